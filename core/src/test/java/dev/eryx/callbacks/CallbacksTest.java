package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Values, errors, schemas, parallelism and timers of host callbacks awaited from Python. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallbacksTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private final AtomicInteger divideCalls = new AtomicInteger();
    private final Sandbox sandbox =
            Sandbox.builder()
                    .callback(
                            Callback.of(
                                            "add",
                                            "Adds a and b",
                                            args -> args.get("a").asInt() + args.get("b").asInt())
                                    .withSchema(
                                            json(
                                                    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},"
                                                            + "\"b\":{\"type\":\"integer\"}},\"required\":[\"a\",\"b\"]}")))
                    .callback(
                            Callback.of(
                                            "divide",
                                            "a / b",
                                            args -> {
                                                divideCalls.incrementAndGet();
                                                return args.get("a").asDouble()
                                                        / args.get("b").asDouble();
                                            })
                                    .withSchema(
                                            json(
                                                    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
                                                            + "\"b\":{\"type\":\"number\",\"not\":{\"const\":0}}},\"required\":[\"a\",\"b\"],"
                                                            + "\"additionalProperties\":false}")))
                    .callback(Callback.of("echo", "Returns its arguments", args -> args))
                    .callback(
                            Callback.of(
                                    "profile",
                                    "A structured value",
                                    args ->
                                            Map.of(
                                                    "name",
                                                    "ada",
                                                    "langs",
                                                    List.of("py", "java"),
                                                    "age",
                                                    36)))
                    .callback(Callback.of("nothing", "Returns null", args -> null))
                    .callback(
                            Callback.of(
                                    "slow",
                                    "Sleeps ms milliseconds",
                                    args -> {
                                        sleep(args.path("ms").asLong(300));
                                        return args.path("tag").asText("done");
                                    }))
                    .callback(
                            Callback.async(
                                    "later",
                                    "Completes asynchronously",
                                    args ->
                                            CompletableFuture.supplyAsync(
                                                    () -> "late:" + args.path("x").asText(),
                                                    CompletableFuture.delayedExecutor(
                                                            args.path("ms").asLong(100),
                                                            TimeUnit.MILLISECONDS))))
                    .callback(
                            Callback.of(
                                    "fail",
                                    "Always throws",
                                    args -> {
                                        throw new IllegalStateException("the database is on fire");
                                    }))
                    .callback(
                            Callback.async(
                                    "failLater",
                                    "A failed stage",
                                    args ->
                                            CompletableFuture.failedFuture(
                                                    new IllegalArgumentException(
                                                            "no such user: 42"))))
                    .build();

    @AfterAll
    void close() {
        sandbox.close();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @Test
    void valuesTravelAsJson() {
        assertEquals(5, sandbox.execute("result = await add(a=2, b=3)").result().asInt());
        assertEquals(
                7,
                sandbox.execute("result = await add(3, 4)").result().asInt(),
                "positional, schema order");
        assertEquals(9, sandbox.execute("result = await add(4, b=5)").result().asInt());
        assertEquals(
                "{\"age\":36,\"langs\":[\"py\",\"java\"],\"name\":\"ada\"}",
                sandbox.execute("p = await profile()\nresult = dict(sorted(p.items()))")
                        .result()
                        .toString());
        assertTrue(sandbox.execute("result = (await nothing()) is None").result().asBoolean());
        assertEquals(
                "{\"s\":\"héllo\",\"n\":[1,2.5,null,true],\"d\":{\"k\":\"v\"}}",
                sandbox.execute(
                                "result = await echo(s='héllo', n=[1, 2.5, None, True], d={'k': 'v'})")
                        .result()
                        .toString());
        assertEquals(
                "late:x", sandbox.execute("result = await later(x='x', ms=50)").result().asText());
    }

    @Test
    void callbacksAreInEryxModuleAndListed() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import eryx",
                                "from eryx import tools, invoke, list_callbacks",
                                "a = await tools.add(a=1, b=1)",
                                "b = await invoke('add', a=2, b=2)",
                                "c = await eryx.tools.echo(k=1)",
                                "specs = {s['name']: s for s in list_callbacks()}",
                                "result = [a, b, c, sorted(specs), specs['add']['description'],",
                                "          list(specs['add']['schema']['properties']), specs['echo']['schema'],",
                                "          tools.add.__doc__, asyncio_ok]"
                                        .replace("asyncio_ok", "callable(add)")));
        assertEquals(
                "[2,4,{\"k\":1},[\"add\",\"divide\",\"echo\",\"fail\",\"failLater\",\"later\",\"nothing\","
                        + "\"profile\",\"slow\"],\"Adds a and b\",[\"a\",\"b\"],null,\"Adds a and b\",true]",
                r.result().toString());
        PythonException missing =
                assertThrows(
                        PythonException.class,
                        () -> sandbox.execute("from eryx import tools\nawait tools.nope()"));
        assertEquals("AttributeError", missing.pythonType());
    }

    @Test
    void gatherRunsCallbacksConcurrently() {
        // Each call returns only once all three have started, which only concurrent calls can do.
        Rendezvous rendezvous = new Rendezvous(3);
        try (Sandbox gathering =
                Sandbox.builder()
                        .callback(rendezvous.callback("a"))
                        .callback(rendezvous.callback("b"))
                        .callback(rendezvous.callback("c"))
                        .build()) {
            ExecutionResult parallel =
                    gathering.execute(
                            String.join(
                                    "\n",
                                    "import asyncio",
                                    "result = await asyncio.gather(a(), b(), c())"));
            assertEquals("[\"a\",\"b\",\"c\"]", parallel.result().toString());
            assertEquals(0, rendezvous.missing());
            assertEquals(3, parallel.stats().callbackInvocations());
        }
    }

    @Test
    void nestedGathersAndTasks() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio, time",
                                "async def pair(tag):",
                                "    a, b = await asyncio.gather(slow(ms=200, tag=tag + '1'), later(x=tag, ms=200))",
                                "    return [a, b, await add(a=len(a), b=len(b))]",
                                "t0 = time.monotonic()",
                                "task = asyncio.create_task(pair('t'))",
                                "inner = await asyncio.gather(pair('x'), pair('y'), asyncio.gather(pair('z'), slow(ms=200)))",
                                "result = [inner, await task, time.monotonic() - t0]"));
        assertEquals(
                "[[\"x1\",\"late:x\",8],[\"y1\",\"late:y\",8],[[\"z1\",\"late:z\",8],\"done\"]]",
                r.result().get(0).toString());
        assertEquals("[\"t1\",\"late:t\",8]", r.result().get(1).toString());
        // That gathered calls really run concurrently is proven, without timing, by
        // gatherRunsCallbacksConcurrently; a wall-clock bound here failed on loaded machines.
        assertEquals(13, r.stats().callbackInvocations());
    }

    @Test
    void failingCallbackRaisesWithMessageButNoJavaTrace() {
        PythonException e =
                assertThrows(PythonException.class, () -> sandbox.execute("await fail()"));
        assertEquals("CallbackError", e.pythonType());
        assertEquals("CallbackError: the database is on fire", e.getMessage());
        assertFalse(e.traceback().contains("java"), e.traceback());
        assertFalse(e.traceback().contains("dev.eryx"), e.traceback());

        ExecutionResult caught =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import eryx, asyncio",
                                "out = []",
                                "for coro in (failLater(), fail()):",
                                "    try:",
                                "        await coro",
                                "    except eryx.CallbackError as e:",
                                "        out.append([type(e).__name__, isinstance(e, RuntimeError), str(e)])",
                                "r = await asyncio.gather(fail(), add(a=1, b=1), return_exceptions=True)",
                                "out.append([type(r[0]).__name__, r[1]])",
                                "result = out"));
        assertEquals(
                "[[\"CallbackError\",true,\"no such user: 42\"],[\"CallbackError\",true,"
                        + "\"the database is on fire\"],[\"CallbackError\",2]]",
                caught.result().toString());
    }

    @Test
    void schemaViolationsRaiseTypeErrorWithoutCallingTheHost() {
        int before = divideCalls.get();
        for (String call :
                List.of(
                        "await divide(a=1, b=0)",
                        "await divide(a='1', b=2)",
                        "await divide(a=1)",
                        "await divide(a=1, b=2, c=3)",
                        "await add(a=1.5, b=2)")) {
            PythonException e =
                    assertThrows(PythonException.class, () -> sandbox.execute(call), call);
            assertEquals("TypeError", e.pythonType(), call);
            assertTrue(e.getMessage().contains("invalid arguments"), e.getMessage());
        }
        assertEquals(before, divideCalls.get());
        assertEquals(2.5, sandbox.execute("result = await divide(5, 2)").result().asDouble());
        PythonException tooMany =
                assertThrows(PythonException.class, () -> sandbox.execute("await add(1, 2, 3)"));
        assertEquals("TypeError", tooMany.pythonType());
        PythonException notJson =
                assertThrows(
                        PythonException.class, () -> sandbox.execute("await echo(x=object())"));
        assertEquals("TypeError", notJson.pythonType());
        PythonException twice =
                assertThrows(PythonException.class, () -> sandbox.execute("await add(1, a=2)"));
        assertEquals("TypeError", twice.pythonType());
    }

    @Test
    void timersWorkAlongsideCallbacks() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio, time",
                                "t0 = time.monotonic()",
                                "await asyncio.sleep(0.2)",
                                "slept = time.monotonic() - t0",
                                "try:",
                                "    await asyncio.wait_for(slow(ms=2000), 0.15)",
                                "    waited = 'no timeout'",
                                "except TimeoutError:",
                                "    waited = time.monotonic() - t0 - slept",
                                "t1 = time.monotonic()",
                                "try:",
                                "    async with asyncio.timeout(0.1):",
                                "        await later(ms=3000)",
                                "    timed = 'no timeout'",
                                "except TimeoutError:",
                                "    timed = time.monotonic() - t1",
                                "# a timer that fires while a callback runs",
                                "t2 = time.monotonic()",
                                "order = []",
                                "async def tick():",
                                "    await asyncio.sleep(0.05)",
                                "    order.append('tick')",
                                "async def call():",
                                "    order.append(await slow(ms=200, tag='call'))",
                                "await asyncio.gather(call(), tick())",
                                "result = [slept, waited, timed, order, time.monotonic() - t2]"));
        JsonNode v = r.result();
        assertTrue(v.get(0).asDouble() >= 0.19 && v.get(0).asDouble() < 0.5, "sleep " + v.get(0));
        assertTrue(
                v.get(1).isNumber() && v.get(1).asDouble() >= 0.14 && v.get(1).asDouble() < 0.6,
                "wait_for " + v.get(1));
        assertTrue(
                v.get(2).isNumber() && v.get(2).asDouble() >= 0.09 && v.get(2).asDouble() < 0.6,
                "timeout " + v.get(2));
        assertEquals("[\"tick\",\"call\"]", v.get(3).toString());
        assertTrue(v.get(4).asDouble() < 0.5, "gather with timer " + v.get(4));
        // Both abandoned calls were cancelled on the host, and the ledger says so.
        long cancelled =
                r.effects().stream().filter(e -> e.outcome() == Effect.Outcome.CANCELLED).count();
        assertEquals(2, cancelled, r.effects().toString());
    }

    @Test
    void synchronousCallOperationAnswersLikePoll() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import _eryx, json",
                                "reply = json.loads(_eryx.invoke(1, json.dumps({'name': 'add', 'args': {'a': 1, 'b': 2}}).encode()))",
                                "result = [reply['ok'], reply['value']]"));
        assertEquals("[true,3]", r.result().toString());
        assertEquals(1, r.stats().callbackInvocations());
    }

    @Test
    void callbacksWorkUnderAsyncioRun() {
        ExecutionResult r =
                sandbox.execute(
                        String.join(
                                "\n",
                                "import asyncio",
                                "async def main():",
                                "    return await asyncio.gather(add(a=1, b=2), later(x='r', ms=20))",
                                "result = asyncio.run(main())"));
        assertEquals("[3,\"late:r\"]", r.result().toString());
    }
}
