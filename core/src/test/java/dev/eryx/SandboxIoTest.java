package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Standard streams, environment, clock and randomness: exactly what the builder grants. */
class SandboxIoTest {
    @Test
    void nulBytesAndInvalidUtf8AreDecodedWithReplacement() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult r =
                    sandbox.execute(
                            "import sys\nsys.stdout.buffer.write(b'a\\x00\\xffb')\n"
                                    + "sys.stderr.buffer.write(b'\\xc3(')\nprint('\\u00e9\\U0001F600')");
            assertEquals("a\u0000\uFFFDb\u00e9\uD83D\uDE00\n", r.stdout());
            assertEquals("\uFFFD(", r.stderr());
        }
    }

    @Test
    void listenersReceiveOutputWhileTheCodeRuns() throws Exception {
        CountDownLatch firstChunk = new CountDownLatch(1);
        List<String> stdout = new CopyOnWriteArrayList<>();
        List<String> stderr = new CopyOnWriteArrayList<>();
        try (Sandbox sandbox =
                Sandbox.builder()
                        .stdout(
                                chunk -> {
                                    stdout.add(chunk);
                                    firstChunk.countDown();
                                })
                        .stderr(stderr::add)
                        .build()) {
            ExecutionHandle handle =
                    sandbox.executeAsync(
                            "import sys, time\nprint('early')\nsys.stderr.write('err')\ntime.sleep(1.5)\nprint('late')");
            assertTrue(firstChunk.await(10, TimeUnit.SECONDS), "no output streamed");
            assertFalse(handle.isDone(), "the listener saw output only after the execution ended");
            assertEquals("early\nlate\n", handle.get().stdout());
            assertEquals("early\nlate\n", String.join("", stdout));
            assertEquals("err", String.join("", stderr));
        }
    }

    @Test
    void aCharacterSplitAcrossWritesReachesTheListenerWhole() {
        StringBuilder streamed = new StringBuilder();
        try (Sandbox sandbox = Sandbox.builder().stdout(streamed::append).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            "import sys\nsys.stdout.buffer.write(b'\\xc3')\n"
                                    + "sys.stdout.buffer.write(b'\\xa9!')");
            assertEquals("\u00e9!", r.stdout());
            assertEquals("\u00e9!", streamed.toString());
        }
    }

    @Test
    void stdinComesFromTheBuilder() {
        byte[] input = "first line\nsecond\nthird\n".getBytes(StandardCharsets.UTF_8);
        try (Sandbox sandbox = Sandbox.builder().stdin(new ByteArrayInputStream(input)).build()) {
            assertEquals("first line", sandbox.execute("result = input()").result().asText());
            assertEquals(
                    "second\nthird\n",
                    sandbox.execute("import sys\nresult = sys.stdin.read()").result().asText());
        }
        try (Sandbox empty = Sandbox.builder().build()) {
            assertEquals(
                    "", empty.execute("import sys\nresult = sys.stdin.read()").result().asText());
        }
    }

    @Test
    void environmentIsExactlyWhatTheBuilderSet() {
        try (Sandbox sandbox =
                Sandbox.builder().env("GREETING", "hello").env("EMPTY", "").build()) {
            ExecutionResult r =
                    sandbox.execute("import os\nresult = dict(sorted(os.environ.items()))");
            assertEquals("{\"EMPTY\":\"\",\"GREETING\":\"hello\"}", r.result().toString());
            for (String hostVariable : System.getenv().keySet()) {
                assertFalse(r.result().has(hostVariable), "host variable leaked: " + hostVariable);
            }
        }
        try (Sandbox bare = Sandbox.builder().build()) {
            assertEquals(
                    "{}", bare.execute("import os\nresult = dict(os.environ)").result().toString());
        }
    }

    @Test
    void aFixedClockFixesWallTimeButNotMonotonicTime() {
        Instant fixed = Instant.parse("2001-02-03T04:05:06Z");
        try (Sandbox sandbox =
                Sandbox.builder().clock(Clock.fixed(fixed, ZoneOffset.UTC)).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import time, datetime",
                                    "wall = time.time()",
                                    "mono = time.monotonic()",
                                    "time.sleep(0.05)",
                                    "result = {'wall': wall, 'wall_after': time.time(), 'slept': time.monotonic() - mono,",
                                    "          'now': datetime.datetime.now(datetime.timezone.utc).isoformat()}"));
            assertEquals(fixed.getEpochSecond(), r.result().get("wall").asDouble(), 1e-6);
            assertEquals(fixed.getEpochSecond(), r.result().get("wall_after").asDouble(), 1e-6);
            assertEquals("2001-02-03T04:05:06+00:00", r.result().get("now").asText());
            assertTrue(r.result().get("slept").asDouble() >= 0.05, r.result().toString());
        }
    }

    @Test
    void aSeedMakesRandomnessReproducible() {
        String code =
                "import os, random\nresult = [os.urandom(16).hex(), random.random(), random.getrandbits(64)]";
        String first;
        try (Sandbox sandbox = Sandbox.builder().randomSeed(42).build()) {
            first = sandbox.execute(code).result().toString();
        }
        try (Sandbox sandbox = Sandbox.builder().randomSeed(42).build()) {
            assertEquals(first, sandbox.execute(code).result().toString());
        }
        try (Sandbox a = Sandbox.builder().build();
                Sandbox b = Sandbox.builder().build()) {
            String unseeded = a.execute(code).result().toString();
            assertNotEquals(first, unseeded);
            assertNotEquals(unseeded, b.execute(code).result().toString());
        }
    }
}
