package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file entries of the audit ledger, recorded by the host's WASI layer, in order with callbacks.
 */
class FileLedgerTest {

    /** kind target[->destination] bytes outcome[ error]: one line per entry, durations left out. */
    private static List<String> lines(List<Effect> effects) {
        return effects.stream()
                .map(
                        e ->
                                e.kind()
                                        + " "
                                        + e.target()
                                        + e.destination().map(d -> "->" + d).orElse("")
                                        + " "
                                        + e.bytes()
                                        + " "
                                        + e.outcome()
                                        + e.error().map(x -> " " + x).orElse(""))
                .collect(Collectors.toList());
    }

    private static Sandbox.Builder withPing() {
        return Sandbox.builder().callback(Callback.of("ping", "answers pong", args -> "pong"));
    }

    @Test
    void writeReadCallbackDeleteAndDirectoriesAreRecordedInOrder() {
        try (Sandbox sandbox = withPing().build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os",
                                    "with open('/tmp/notes.txt', 'w') as f:",
                                    "    f.write('hello')",
                                    "    f.write(' world')",
                                    "with open('/tmp/notes.txt') as f:",
                                    "    text = f.read()",
                                    "answer = await ping()",
                                    "os.remove('/tmp/notes.txt')",
                                    "os.mkdir('/tmp/d')",
                                    "os.rename('/tmp/d', '/tmp/e')",
                                    "os.symlink('/tmp/e', '/tmp/link')",
                                    "os.unlink('/tmp/link')",
                                    "os.rmdir('/tmp/e')",
                                    "result = [text, answer]"));
            assertEquals("[\"hello world\",\"pong\"]", r.result().toString());
            assertEquals(
                    List.of(
                            "FILE_WRITE /tmp/notes.txt 11 OK",
                            "FILE_READ /tmp/notes.txt 11 OK",
                            "CALLBACK ping 8 OK",
                            "FILE_DELETE /tmp/notes.txt 11 OK",
                            "DIR_CREATE /tmp/d 0 OK",
                            "FILE_RENAME /tmp/d->/tmp/e 0 OK",
                            "SYMLINK_CREATE /tmp/link->/tmp/e 0 OK",
                            "FILE_DELETE /tmp/link 0 OK",
                            "DIR_DELETE /tmp/e 0 OK"),
                    lines(r.effects()));
            assertTrue(
                    r.effects().stream().allMatch(e -> !e.duration().isNegative()),
                    r.effects().toString());
        }
    }

    @Test
    void theInterpretersOwnReadsAreNotEffects() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            // Imports read the stdlib layer (fractions is not in the image), tracebacks read
            // sources.
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import fractions, traceback, json, os",
                                    "try:",
                                    "    json.loads('{')",
                                    "except ValueError:",
                                    "    formatted = traceback.format_exc()",
                                    "stdlib_source = open(json.__file__).read()",
                                    "print(fractions.Fraction(1, 3))"));
            assertEquals("1/3\n", r.stdout());
            assertEquals(List.of(), lines(r.effects()));
        }
    }

    @Test
    void aReadLoopOnOneFileIsOneEntry() {
        try (Sandbox sandbox = Sandbox.builder().file("/data/blob.bin", new byte[1500]).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "f = open('/data/blob.bin', 'rb', buffering=0)",
                                    "n = 0",
                                    "for _ in range(1000):",
                                    "    n += len(f.read(1))",
                                    "f.close()",
                                    "result = n"));
            assertEquals(1000, r.result().asInt());
            assertEquals(List.of("FILE_READ /data/blob.bin 1000 OK"), lines(r.effects()));
        }
    }

    @Test
    void failuresCarryTheirErrno() {
        ResourceLimits limits = ResourceLimits.builder().maxVfsBytes(4096).build();
        try (Sandbox sandbox = Sandbox.builder().resourceLimits(limits).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os",
                                    "errors = []",
                                    "try:",
                                    "    open('<string>')  # indistinguishable from CPython's own source probe: not recorded",
                                    "except OSError:",
                                    "    pass",
                                    "for attempt in (lambda: open('/tmp/missing.txt'),",
                                    "                lambda: os.remove('/tmp/missing.txt'),",
                                    "                lambda: open('/usr/local/lib/python3.14/os.py', 'a'),",
                                    "                lambda: open('/tmp/big.bin', 'wb', buffering=0).write(b'x' * 10000)):",
                                    "    try:",
                                    "        attempt()",
                                    "    except OSError as e:",
                                    "        errors.append(e.errno)",
                                    "import gc; gc.collect()",
                                    "result = len(errors)"));
            assertEquals(4, r.result().asInt());
            // The stdlib layer is left out entirely, even a failed attempt to write there.
            assertEquals(
                    List.of(
                            "FILE_READ /tmp/missing.txt 0 ERROR ENOENT",
                            "FILE_DELETE /tmp/missing.txt 0 ERROR ENOENT",
                            "FILE_WRITE /tmp/big.bin 0 ERROR ENOSPC"),
                    lines(r.effects()));
        }
    }

    @Test
    void mountsAreRecordedUnderTheirGuestPaths(@TempDir Path host) throws Exception {
        Path in = Files.createDirectories(host.resolve("in"));
        Path out = Files.createDirectories(host.resolve("out"));
        Files.writeString(in.resolve("question.txt"), "6 * 7");
        try (Sandbox sandbox =
                Sandbox.builder().mount(in, "/in", true).mount(out, "/out", false).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "q = open('/in/question.txt').read()",
                                    "with open('/out/answer.txt', 'w') as f:",
                                    "    f.write(str(eval(q)))",
                                    "try:",
                                    "    open('/in/answer.txt', 'w')",
                                    "except OSError as e:",
                                    "    err = e.errno"));
            assertEquals("42", Files.readString(out.resolve("answer.txt"), StandardCharsets.UTF_8));
            List<String> lines = lines(r.effects());
            assertEquals(3, lines.size(), lines.toString());
            assertEquals("FILE_READ /in/question.txt 5 OK", lines.get(0));
            assertEquals("FILE_WRITE /out/answer.txt 2 OK", lines.get(1));
            assertTrue(
                    lines.get(2).startsWith("FILE_WRITE /in/answer.txt 0 ERROR E"), lines.get(2));
        }
    }

    @Test
    void aFileLeftOpenIsReportedPerExecution() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult first =
                    sandbox.execute(
                            "log = open('/tmp/log.txt', 'w')\nlog.write('12345')\nlog.flush()");
            assertEquals(List.of("FILE_WRITE /tmp/log.txt 5 OK"), lines(first.effects()));
            ExecutionResult idle = sandbox.execute("x = 1");
            assertEquals(List.of(), lines(idle.effects()));
            ExecutionResult second = sandbox.execute("log.write('678')\nlog.close()");
            assertEquals(List.of("FILE_WRITE /tmp/log.txt 3 OK"), lines(second.effects()));
        }
    }

    @Test
    void relativePathsAndDirectoryDescriptorsGiveAbsoluteGuestPaths() {
        try (Sandbox sandbox =
                Sandbox.builder()
                        .file("/work/a/b.txt", "bee".getBytes(StandardCharsets.UTF_8))
                        .build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os",
                                    "os.chdir('/work')",
                                    "first = open('a/../a/./b.txt').read()",
                                    "d = os.open('/work/a', os.O_RDONLY | os.O_DIRECTORY)",
                                    "fd = os.open('b.txt', os.O_RDONLY, dir_fd=d)",
                                    "second = os.read(fd, 10).decode()",
                                    "os.close(fd); os.close(d)",
                                    "result = first + second"));
            assertEquals("beebee", r.result().asText());
            assertEquals(
                    List.of("FILE_READ /work/a/b.txt 3 OK", "FILE_READ /work/a/b.txt 3 OK"),
                    lines(r.effects()));
        }
    }

    @Test
    void thePartialResultOfATimeoutHasTheLedgerSoFar() {
        ResourceLimits limits =
                ResourceLimits.builder().executionTimeout(Duration.ofSeconds(2)).build();
        try (Sandbox sandbox = withPing().resourceLimits(limits).build()) {
            ExecutionTimeoutException e =
                    assertThrows(
                            ExecutionTimeoutException.class,
                            () ->
                                    sandbox.execute(
                                            String.join(
                                                    "\n",
                                                    "with open('/tmp/done.txt', 'w') as f:",
                                                    "    f.write('x' * 100)",
                                                    "await ping()",
                                                    "progress = open('/tmp/progress.txt', 'w')",
                                                    "progress.write('step 1')",
                                                    "progress.flush()",
                                                    "while True:",
                                                    "    pass")));
            assertEquals(
                    List.of(
                            "FILE_WRITE /tmp/done.txt 100 OK",
                            "CALLBACK ping 8 OK",
                            "FILE_WRITE /tmp/progress.txt 6 OK"),
                    lines(e.partialResult().effects()));
        }
    }

    @Test
    void theLedgerIsBoundedAndSaysSo() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os",
                                    "for i in range(10_050):",
                                    "    try:",
                                    "        os.rmdir('/tmp/none')",
                                    "    except OSError:",
                                    "        pass"));
            List<Effect> effects = r.effects();
            assertEquals(10_001, effects.size());
            Effect last = effects.get(10_000);
            assertEquals(Effect.Kind.LEDGER_TRUNCATED, last.kind());
            assertEquals(50, last.bytes());
        }
    }
}
