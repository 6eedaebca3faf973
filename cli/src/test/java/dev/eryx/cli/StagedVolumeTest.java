package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.MountMode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -v HOST:GUEST:staged}: changes listed on stderr, applied only with --commit. */
class StagedVolumeTest {
    private static final String CODE =
            "import os\nopen('/w/a.txt', 'a').write('two\\n')\nopen('/w/new.txt', 'w').write('n\\n')\n"
                    + "os.remove('/w/old.txt')\nprint('done')";

    private static void fill(Path dir) throws Exception {
        Files.writeString(dir.resolve("a.txt"), "one\n");
        Files.writeString(dir.resolve("old.txt"), "old\n");
    }

    @Test
    void parsesTheStagedMode() {
        assertEquals(MountMode.STAGED, Volume.parse("/tmp/x:/data:staged").mode());
        assertFalse(Volume.parse("/tmp/x:/data:staged").readOnly());
        assertEquals("/tmp/x:/data:staged", Volume.parse("/tmp/x:/data:staged").toString());
    }

    @Test
    void withoutCommitTheChangesAreOnlyListed(@TempDir Path dir) throws Exception {
        fill(dir);
        CliRun r = CliRun.run("-v", dir + ":/w:staged", "-c", CODE);
        assertEquals(0, r.exitCode, r.toString());
        assertEquals("done\n", r.out);
        assertTrue(r.err.contains("  M /w/a.txt  8 bytes  sha256 "), r.err);
        assertTrue(r.err.contains("  A /w/new.txt  2 bytes"), r.err);
        assertTrue(r.err.contains("  D /w/old.txt"), r.err);
        assertTrue(r.err.contains("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n one\n+two\n"), r.err);
        assertTrue(r.err.contains("not committed (use --commit"), r.err);
        assertEquals("one\n", Files.readString(dir.resolve("a.txt")));
        assertTrue(Files.exists(dir.resolve("old.txt")));
        assertFalse(Files.exists(dir.resolve("new.txt")));
    }

    @Test
    void withCommitTheyAreApplied(@TempDir Path dir) throws Exception {
        fill(dir);
        CliRun r = CliRun.run("-v", dir + ":/w:staged", "--commit", "-c", CODE);
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.err.contains("committed 3 change(s)"), r.err);
        assertEquals("one\ntwo\n", Files.readString(dir.resolve("a.txt")));
        assertFalse(Files.exists(dir.resolve("old.txt")));
        assertEquals("n\n", Files.readString(dir.resolve("new.txt")));
    }

    @Test
    void aFailedProgramCommitsNothingAndKeepsItsExitCode(@TempDir Path dir) throws Exception {
        fill(dir);
        CliRun r =
                CliRun.run(
                        "-v",
                        dir + ":/w:staged",
                        "--commit",
                        "-c",
                        "open('/w/new.txt', 'w').write('n')\nraise ValueError('boom')");
        assertEquals(ExitCodes.PYTHON_EXCEPTION, r.exitCode, r.toString());
        assertTrue(r.err.contains("not committed: the program did not finish"), r.err);
        assertTrue(r.err.contains("ValueError: boom"), r.err);
        assertFalse(Files.exists(dir.resolve("new.txt")));
    }
}
