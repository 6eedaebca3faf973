package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's view of the sandbox's files, and host directories mounted into it. */
class SandboxFilesTest {
    @TempDir Path temp;

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void hostAndGuestSeeEachOthersFiles() {
        try (Sandbox sandbox =
                Sandbox.builder().file("/data/input.txt", utf8("from builder")).build()) {
            SandboxFiles files = sandbox.files();
            assertEquals(
                    "from builder",
                    sandbox.execute("result = open('/data/input.txt').read()").result().asText());

            sandbox.execute(
                    "import os\nos.makedirs('/tmp/out', exist_ok=True)\n"
                            + "open('/tmp/out/a.bin', 'wb').write(bytes(range(256)))\nopen('/tmp/out/b.txt', 'w').write('b')");
            byte[] expected = new byte[256];
            for (int i = 0; i < 256; i++) {
                expected[i] = (byte) i;
            }
            assertArrayEquals(expected, files.read("/tmp/out/a.bin"));
            assertEquals(List.of("a.bin", "b.txt"), files.list("/tmp/out"));

            files.write("/work/new/host.txt", utf8("from host"));
            assertEquals(
                    "from host",
                    sandbox.execute("result = open('/work/new/host.txt').read()")
                            .result()
                            .asText());

            assertTrue(files.exists("/tmp/out/b.txt"));
            files.delete("/tmp/out/b.txt");
            assertFalse(files.exists("/tmp/out/b.txt"));
            assertFalse(
                    sandbox.execute("import os\nresult = os.path.exists('/tmp/out/b.txt')")
                            .result()
                            .asBoolean());
        }
    }

    @Test
    void hostAccessFailuresNameThePath() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            UncheckedIOException missing =
                    assertThrows(
                            UncheckedIOException.class,
                            () -> sandbox.files().read("/tmp/missing.txt"));
            assertTrue(missing.getMessage().contains("/tmp/missing.txt"), missing.getMessage());
            assertThrows(UncheckedIOException.class, () -> sandbox.files().read("/tmp"));
            assertThrows(
                    IllegalArgumentException.class, () -> sandbox.files().read("relative.txt"));
        }
    }

    @Test
    void readOnlyMountRefusesWritesWithEROFS() throws Exception {
        Files.writeString(temp.resolve("config.txt"), "host content");
        try (Sandbox sandbox = Sandbox.builder().mount(temp, "/config", true).build()) {
            assertEquals(
                    "host content",
                    sandbox.execute("result = open('/config/config.txt').read()")
                            .result()
                            .asText());
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import errno",
                                    "outcomes = []",
                                    "for attempt in (lambda: open('/config/new.txt', 'w'),",
                                    "                lambda: open('/config/config.txt', 'a'),",
                                    "                lambda: __import__('os').remove('/config/config.txt'),",
                                    "                lambda: __import__('os').mkdir('/config/dir')):",
                                    "    try:",
                                    "        attempt()",
                                    "        outcomes.append('allowed')",
                                    "    except OSError as e:",
                                    "        outcomes.append(errno.errorcode[e.errno])",
                                    "result = outcomes"));
            assertEquals("[\"EROFS\",\"EROFS\",\"EROFS\",\"EROFS\"]", r.result().toString());
            assertThrows(
                    UncheckedIOException.class,
                    () -> sandbox.files().write("/config/x.txt", utf8("x")));
        }
        assertEquals(List.of(temp.resolve("config.txt")), Files.list(temp).toList());
        assertEquals("host content", Files.readString(temp.resolve("config.txt")));
    }

    @Test
    void readWriteMountWritesThroughToTheHost() throws Exception {
        try (Sandbox sandbox = Sandbox.builder().mount(temp, "/out", false).build()) {
            sandbox.execute("open('/out/report.txt', 'w').write('written by guest')");
            assertEquals("written by guest", Files.readString(temp.resolve("report.txt")));
            Files.writeString(temp.resolve("later.txt"), "written by host");
            assertEquals(
                    "written by host",
                    sandbox.execute("result = open('/out/later.txt').read()").result().asText());
            assertEquals(List.of("later.txt", "report.txt"), sandbox.files().list("/out"));
        }
    }

    @Test
    void dotDotCannotLeaveAMount() throws Exception {
        Path mounted = Files.createDirectory(temp.resolve("mounted"));
        Files.writeString(temp.resolve("secret.txt"), "host secret");
        try (Sandbox sandbox = Sandbox.builder().mount(mounted, "/m", false).build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os",
                                    "seen = []",
                                    "for path in ('/m/../secret.txt', '/m/../../secret.txt', '/m/sub/../../secret.txt'):",
                                    "    try:",
                                    "        seen.append(open(path).read())",
                                    "    except OSError as e:",
                                    "        seen.append(type(e).__name__)",
                                    "result = {'reads': seen, 'parent': sorted(os.listdir('/m/..'))}"));
            assertEquals(
                    "[\"FileNotFoundError\",\"FileNotFoundError\",\"FileNotFoundError\"]",
                    r.result().get("reads").toString());
            assertFalse(
                    r.result().get("parent").toString().contains("secret.txt"),
                    r.result().toString());
            assertThrows(
                    UncheckedIOException.class, () -> sandbox.files().read("/m/../secret.txt"));
            sandbox.execute("open('/m/../escaped.txt', 'w').write('x')");
        }
        assertFalse(Files.exists(temp.resolve("escaped.txt")), "a guest write left the mount");
    }
}
