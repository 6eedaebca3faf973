package dev.eryx.internal.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.engine.InterpreterState;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The image the build captures (core's pom runs {@link DefaultImage#main}) is on the class path, is
 * exactly what this code base captures now (so it is neither stale nor dependent on the machine or
 * moment of the build), and anything unusable in its place is ignored rather than fatal.
 */
class DefaultImageTest {
    private static byte[] packagedImage() throws IOException {
        try (InputStream in = DefaultImage.class.getResourceAsStream(DefaultImage.RESOURCE)) {
            assertNotNull(
                    in,
                    "the build did not capture "
                            + DefaultImage.RESOURCE
                            + " (core's pom runs DefaultImage in process-classes)");
            return in.readAllBytes();
        }
    }

    @Test
    void theBuildShipsTheImageThatThisCodeCaptures() throws IOException {
        byte[] packaged = packagedImage();
        byte[] fresh = DefaultImage.capture();
        // Byte equality proves the capture is deterministic (fixed seed and clocks) and the
        // packaged resource is not left over from another build.
        assertArrayEquals(
                fresh, packaged, "the packaged default image differs from a fresh capture");
    }

    @Test
    void thePackagedImageIsWhatSandboxesRestore() throws IOException {
        Optional<InterpreterState> decoded =
                DefaultImage.decodePrebuilt(new ByteArrayInputStream(packagedImage()));
        assertTrue(decoded.isPresent());
        assertEquals(decoded.get().memoryBytes(), DefaultImage.get().memoryBytes());
    }

    @Test
    void anUnusableImageMeansBootingNotFailing() throws IOException {
        byte[] packaged = packagedImage();
        assertEquals(Optional.empty(), DefaultImage.decodePrebuilt(null));
        assertEquals(
                Optional.empty(),
                DefaultImage.decodePrebuilt(new ByteArrayInputStream(new byte[0])));
        assertEquals(
                Optional.empty(),
                DefaultImage.decodePrebuilt(
                        new ByteArrayInputStream(Arrays.copyOf(packaged, packaged.length / 2))));
        byte[] otherBuild = packaged.clone();
        otherBuild[10] ^= 1; // first byte of the guest-build identity, after magic and version
        assertEquals(
                Optional.empty(),
                DefaultImage.decodePrebuilt(new ByteArrayInputStream(otherBuild)));
        byte[] corrupt = packaged.clone();
        corrupt[corrupt.length - 1] ^= 1;
        assertEquals(
                Optional.empty(), DefaultImage.decodePrebuilt(new ByteArrayInputStream(corrupt)));
        InputStream failing =
                new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("disk gone");
                    }
                };
        assertEquals(Optional.empty(), DefaultImage.decodePrebuilt(failing));
    }
}
