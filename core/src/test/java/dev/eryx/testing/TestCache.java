package dev.eryx.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * What the tests that fetch third-party files (CPython's test sources, Debian's packages and source
 * tarballs) share: their settings, the cache they keep downloads in across {@code mvn clean}, the
 * checksum they pin downloads by, and removing a half-made tree.
 */
public final class TestCache {
    private TestCache() {}

    /**
     * The system property {@code property}, else the environment variable {@code env}, stripped;
     * null when neither is set to something other than blanks.
     */
    public static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** {@code -Deryx.cache.dir} / {@code ERYX_CACHE_DIR}, default {@code ~/.cache/eryx}. */
    public static Path directory() {
        String dir = setting("eryx.cache.dir", "ERYX_CACHE_DIR");
        return dir != null
                ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".cache", "eryx");
    }

    /** The SHA-256 of the file's content, in lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Deletes {@code root} and everything under it, without following links; absent is fine. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
