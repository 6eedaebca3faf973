package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxCrashedException;
import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Ordinary Python values and objects against the guest runtime (issue 15, items 4 and 5): a {@code
 * result} past Jackson's default limits, and user objects that raise a {@code BaseException} inside
 * the runtime's own code (formatting the error, the exit status, the result). Each must end in the
 * value or a {@link PythonException}, never a crashed sandbox, and the next {@code print(1)} on the
 * same sandbox must work.
 */
class GuestRuntimeAttacksTest extends SharedVictimAttacks {
    /** A small output allowance keeps the string cases small: strings may be this long. */
    private static final long MAX_OUTPUT = 2L << 20;

    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(30))
                    .maxMemoryBytes(128L << 20)
                    .maxOutputBytes(MAX_OUTPUT)
                    .build();

    @Override
    Sandbox newVictim() {
        return Sandbox.builder().resourceLimits(LIMITS).build();
    }

    /** The execution's result; a crash (or any other failure) fails the test. */
    private JsonNode value(String code) {
        JsonNode result = sandbox.execute(code).result();
        assertNextExecutionWorks();
        return result;
    }

    /** The PythonException the execution ends with. */
    private PythonException raises(String code) {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.execute(code));
        assertNextExecutionWorks();
        return e;
    }

    private void assertNextExecutionWorks() {
        assertEquals("1\n", sandbox.execute("print(1)").stdout());
    }

    private static void assertRefusedResult(PythonException e, String limit) {
        assertEquals("ValueError", e.pythonType(), e.getMessage());
        assertTrue(e.getMessage().contains("result"), e.getMessage());
        assertTrue(e.getMessage().contains(limit), e.getMessage());
        // One line of the runtime's, not its internal traceback.
        assertEquals(e.getMessage() + "\n", e.traceback());
    }

    @Test
    void intsUpToTheGuestsDigitLimitComeBack() {
        bystander.alongside(
                () -> {
                    BigInteger factorial = BigInteger.ONE;
                    for (int i = 2; i <= 1000; i++) {
                        factorial = factorial.multiply(BigInteger.valueOf(i));
                    }
                    assertEquals(
                            factorial,
                            value("import math\nresult = math.factorial(1000)").bigIntegerValue());
                    assertEquals(
                            BigInteger.TEN.pow(4299),
                            value("result = [10 ** 4299]").get(0).bigIntegerValue());
                    assertRefusedResult(
                            raises("result = {'n': 10 ** 4300}"), "sys.set_int_max_str_digits");
                    // The guest's own setting counts (the host's bound, 100,000 digits, is
                    // GuestJsonTest's).
                    assertEquals(
                            BigInteger.TEN.pow(5000),
                            value(
                                            "import sys\nsys.set_int_max_str_digits(6000)\nresult = 10 ** 5000")
                                    .bigIntegerValue());
                    value("sys.set_int_max_str_digits(4300)");
                });
    }

    @Test
    void nestingUpToTheGuestsRecursionLimitComesBack() {
        String nest =
                "def nest(n):\n    v = []\n    for _ in range(n - 1):\n        v = [v]\n    return v\n";
        bystander.alongside(
                () -> {
                    JsonNode deepest =
                            value(
                                    nest
                                            + "import sys\nassert sys.getrecursionlimit() == 1000\nresult = nest(1000)");
                    assertEquals(1000, depth(deepest));
                    assertRefusedResult(raises("result = nest(1001)"), "recursion limit (1000");
                    assertEquals(
                            2500, depth(value("sys.setrecursionlimit(3000)\nresult = nest(2500)")));
                    value("sys.setrecursionlimit(1000)");
                    // The same nesting inside user code is only data.
                    assertEquals(
                            1001,
                            value("import json\nresult = len(json.dumps(nest(1001))) // 2")
                                    .asInt());
                });
    }

    private static int depth(JsonNode node) {
        int depth = 0;
        while (node != null && node.isArray()) {
            depth++;
            node = node.get(0);
        }
        return depth;
    }

    @Test
    void stringsAndKeysUpToTheOutputAllowanceComeBack() {
        int longest = (int) MAX_OUTPUT;
        bystander.alongside(
                () -> {
                    assertEquals(longest, value("result = 'x' * " + longest).asText().length());
                    // Jackson's default would refuse keys over 50,000 characters.
                    assertEquals(
                            1, value("result = {'k' * 60_000: 1}").get("k".repeat(60_000)).asInt());
                    assertRefusedResult(
                            raises("result = 'x' * " + (longest + 1)), "maxOutputBytes");
                    assertRefusedResult(
                            raises("result = {'k' * " + (longest + 1) + ": 1}"), "maxOutputBytes");
                });
    }

    @Test
    void exceptionsWhoseStrRaisesABaseException() {
        bystander.alongside(
                () -> {
                    for (String raised :
                            new String[] {"KeyboardInterrupt", "SystemExit(3)", "GeneratorExit"}) {
                        PythonException e =
                                raises(
                                        "class E(Exception):\n    def __str__(self):\n        raise "
                                                + raised
                                                + "\n    __repr__ = __str__\nraise E()");
                        assertEquals("E", e.pythonType());
                        assertTrue(
                                e.traceback().endsWith("E: <exception str() failed>\n"),
                                e.traceback());
                    }
                    // ... also as the cause of another exception, and as an argument.
                    PythonException chained =
                            raises(
                                    "class X(Exception):\n    def __str__(self):\n        raise KeyboardInterrupt\n"
                                            + "try:\n    raise X()\nexcept X as e:\n    raise ValueError('chained') from e");
                    assertEquals("ValueError: chained", chained.getMessage());
                    assertTrue(chained.traceback().contains("direct cause"), chained.traceback());
                    PythonException argument =
                            raises(
                                    "class R:\n    def __repr__(self):\n        raise KeyboardInterrupt\n    __str__ = __repr__\nraise ValueError(R())");
                    assertEquals("ValueError", argument.pythonType());
                    // A metaclass cannot fake the type's name either.
                    PythonException named =
                            raises(
                                    "class M(type):\n    @property\n    def __name__(cls):\n        raise KeyboardInterrupt\n"
                                            + "class Named(Exception, metaclass=M):\n    pass\nraise Named('x')");
                    assertEquals("Named", named.pythonType());
                });
    }

    @Test
    void systemExitWhoseCodeMisbehaves() {
        bystander.alongside(
                () -> {
                    ExecutionResult exit =
                            sandbox.execute(
                                    "class S:\n    def __str__(self):\n        raise KeyboardInterrupt\nresult = 'kept'\nraise SystemExit(S())");
                    assertEquals(1, exit.exitCode());
                    assertEquals("kept", exit.result().asText());
                    assertEquals(
                            1,
                            sandbox.execute(
                                            "class C(SystemExit):\n    @property\n    def code(self):\n        raise KeyboardInterrupt\nraise C()")
                                    .exitCode());
                    // Like CPython: out of a C long long's range is -1, which a process sees as
                    // 255.
                    assertEquals(-1, sandbox.execute("raise SystemExit(2 ** 64)").exitCode());
                    assertEquals(
                            7, sandbox.execute("import sys\nsys.exit(2 ** 32 + 7)").exitCode());
                    assertNextExecutionWorks();
                });
    }

    @Test
    void resultsWhoseMethodsRaiseABaseException() {
        bystander.alongside(
                () -> {
                    // The encoder never calls these: the values come back as the base types.
                    assertEquals(
                            "[5,\"s\",{\"k\":\"v\"}]",
                            value(
                                            "class I(int):\n    def __repr__(self):\n        raise KeyboardInterrupt\n    __str__ = __repr__\n"
                                                    + "class S(str):\n    def __str__(self):\n        raise KeyboardInterrupt\n    def __len__(self):\n        raise SystemExit\n"
                                                    + "result = [I(5), S('s'), {S('k'): S('v')}]")
                                    .toString());
                    // A dict subclass's items() is the user's code: its exception is the outcome.
                    for (String raised : new String[] {"KeyboardInterrupt", "SystemExit(4)"}) {
                        PythonException e =
                                raises(
                                        "class D(dict):\n    def items(self):\n        raise "
                                                + raised
                                                + "\nresult = D(a=1)");
                        assertTrue(e.traceback().contains("in items"), e.traceback());
                    }
                    // An Exception there means "not JSON", as for any other value JSON cannot hold.
                    assertNull(
                            value(
                                    "class D(dict):\n    def items(self):\n        raise RuntimeError\nresult = D(a=1)"));
                });
    }

    @Test
    void finalizersAndOutputStreamsThatRaise() {
        bystander.alongside(
                () -> {
                    sandbox.execute(
                            "class D:\n    def __del__(self):\n        raise KeyboardInterrupt\nresult = D()");
                    // The next execution drops the old result: its __del__ runs and is ignored.
                    ExecutionResult next = sandbox.execute("result = 7");
                    assertEquals(7, next.result().asInt());
                    assertTrue(next.stderr().contains("KeyboardInterrupt"), next.stderr());
                    ExecutionResult streams =
                            sandbox.execute(
                                    "import sys\nclass Bad:\n    def write(self, s):\n        raise KeyboardInterrupt\n"
                                            + "    def flush(self):\n        raise SystemExit\n"
                                            + "sys.stdout = sys.stderr = Bad()\nresult = 'flushed'");
                    assertEquals("flushed", streams.result().asText());
                    // Printing the message fails: ignored, as CPython ignores it.
                    assertEquals(1, sandbox.execute("raise SystemExit('bye')").exitCode());
                    value("sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__");
                });
    }

    @Test
    void globalsWithHostileEqualityAndHash() {
        bystander.alongside(
                () -> {
                    // A global key with the hash of "result" and an __eq__ that raises sits in the
                    // slot the runtime looks "result" up in.
                    sandbox.execute(
                            "class K:\n    armed = True\n    def __hash__(self):\n        return hash('result')\n"
                                    + "    def __eq__(self, other):\n        if K.armed:\n            raise KeyboardInterrupt\n        return self is other\n"
                                    + "bad = K()\nglobals()[bad] = 1");
                    assertNull(sandbox.execute("x = 1").result());
                    assertNextExecutionWorks();
                    // Assigning result compares with it: the user's own exception, reported.
                    assertEquals("KeyboardInterrupt", raises("result = 2").pythonType());
                    assertEquals(
                            3, value("K.armed = False\ndel globals()[bad]\nresult = 3").asInt());
                });
    }

    @Test
    void aClosedEventLoopIsReplaced() {
        bystander.alongside(
                () -> {
                    value("import asyncio\nasyncio.get_event_loop().close()");
                    assertEquals(9, value("await asyncio.sleep(0)\nresult = 9").asInt());
                });
    }

    @Test
    void aRuntimeFailureIsReportedOnce() {
        // Sabotage of the runtime's private modules still retires the sandbox; the crash message
        // carries the traceback's last line, not the whole traceback a second time.
        bystander.alongside(
                () -> {
                    try (Sandbox sabotaged = Sandbox.builder().resourceLimits(LIMITS).build()) {
                        SandboxCrashedException e =
                                assertThrows(
                                        SandboxCrashedException.class,
                                        () ->
                                                sabotaged.execute(
                                                        "from eryx import _bridge\n_bridge.encode = None"));
                        assertTrue(
                                e.getMessage()
                                        .endsWith("TypeError: 'NoneType' object is not callable"),
                                e.getMessage());
                        assertTrue(e.partialResult().stderr().startsWith("Traceback"));
                    }
                });
    }
}
