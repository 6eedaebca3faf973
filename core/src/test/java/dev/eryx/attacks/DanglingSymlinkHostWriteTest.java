package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Sandbox;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Found by {@code VfsPathsFuzzer} (docs/fuzzing.md): a guest plants a dangling symlink whose target
 * is in another directory, and the host writes a file below it through {@code Sandbox.files()}.
 * Creating the parents used to make a directory named after the link next to the link's target,
 * then fail with a NullPointerException out of the host API. Now the write fails as documented
 * (UncheckedIOException, EEXIST as with {@code mkdir -p}), nothing stray is created, and the
 * sandbox and its neighbour are intact.
 */
class DanglingSymlinkHostWriteTest {
    @Test
    void hostWriteBelowADanglingSymlinkFailsCleanly() {
        try (Bystander bystander = new Bystander();
                Sandbox sandbox = Sandbox.builder().build()) {
            bystander.alongside(
                    () -> {
                        sandbox.execute("import os\nos.symlink('/missing', '/tmp/d')");
                        UncheckedIOException refused =
                                assertThrows(
                                        UncheckedIOException.class,
                                        () ->
                                                sandbox.files()
                                                        .write(
                                                                "/tmp/d/f",
                                                                "x"
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8)));
                        assertTrue(refused.getMessage().contains("/tmp/d/f"), refused.getMessage());
                    });
            assertFalse(sandbox.files().exists("/d"), "a stray directory next to the target");
            assertFalse(sandbox.files().exists("/missing"));
            assertEquals(
                    "/missing",
                    sandbox.execute("import os\nresult = os.readlink('/tmp/d')").result().asText());
            sandbox.files().write("/tmp/ok/f", new byte[] {1});
            assertArrayEquals(new byte[] {1}, sandbox.files().read("/tmp/ok/f"));
        }
    }
}
