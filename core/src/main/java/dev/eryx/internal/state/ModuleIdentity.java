package dev.eryx.internal.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Identifies the guest build a saved state belongs to: SHA-256 over the asset checksums ({@code
 * SHA256SUMS}: python.wasm and the stdlib) and the guest runtime archive. A state is a raw memory
 * image of one exact interpreter build, so any other build must refuse it.
 */
public final class ModuleIdentity {
    static final int LENGTH = 32;

    private static final class Holder {
        static final byte[] ID = compute();
    }

    private ModuleIdentity() {}

    /** Also the build part of compiled-code cache keys ({@code internal.execution.CodeCache}). */
    public static byte[] current() {
        return Holder.ID.clone();
    }

    private static byte[] compute() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String resource : new String[] {"SHA256SUMS", "eryx-runtime.zip"}) {
                try (InputStream in =
                        dev.eryx.wasm.PythonModule.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new IllegalStateException("missing guest asset " + resource);
                    }
                    sha.update(resource.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    sha.update(in.readAllBytes());
                }
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the guest assets", e);
        }
    }
}
