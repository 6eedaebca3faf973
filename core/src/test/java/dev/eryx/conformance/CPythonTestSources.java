package dev.eryx.conformance;

import dev.eryx.testing.TestCache;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.tukaani.xz.XZInputStream;

/**
 * Obtains CPython's regression test package ({@code Lib/test/}) from the pinned source tarball
 * ({@code cpython-source.properties}), the same tarball the interpreter was built from.
 *
 * <p>The tarball is taken from {@code -Deryx.cpython.tarball} / {@code ERYX_CPYTHON_TARBALL} (an
 * existing file) if set, else from the cache directory ({@code -Deryx.cache.dir} / {@code
 * ERYX_CACHE_DIR}, default {@code ~/.cache/eryx}). Downloading it is the job of {@value
 * #FETCH_SCRIPT}, which CI runs before the build; when the cache is empty this class runs that
 * script once itself, unless {@code -Deryx.conformance.fetch=false}. If the tarball cannot be had
 * (no network, fetching off), {@link NotCachedException} says how to get it, and the suite skips.
 * Every copy is checked against the pinned sha256 before use. The {@code Lib/test/} tree is then
 * extracted once (in Java: xz + tar) into the cache and reused.
 */
final class CPythonTestSources {
    /** Relative to the core module: where the suite runs from (surefire's working directory). */
    static final String FETCH_SCRIPT = "src/test/conformance/fetch-cpython-tests.sh";

    private static final Properties PIN = pin();
    static final String VERSION = PIN.getProperty("version");
    static final String TARBALL = PIN.getProperty("tarball");
    static final String SHA256 = PIN.getProperty("sha256");
    private static final String TAR_PREFIX = "Python-" + VERSION + "/Lib/test/";

    /** Bump when what is extracted changes, so stale caches are redone. */
    private static final String EXTRACT_STAMP = SHA256 + " Lib/test v1";

    /** The fetch script's exit status for "could not download": the suite then skips. */
    private static final int FETCH_UNAVAILABLE = 3;

    private CPythonTestSources() {}

    /** The tarball cannot be had on this machine now; the message says how to provide it. */
    static final class NotCachedException extends IOException {
        NotCachedException(String detail) {
            super(
                    "CPython test sources not cached: run core/"
                            + FETCH_SCRIPT
                            + " (or set -Deryx.cpython.tarball=<path to "
                            + TARBALL
                            + ">): "
                            + detail);
        }
    }

    /**
     * Where the sources come from: a given tarball (or null), the cache, whether to run the fetch
     * script on a miss, and the mirror it should use (null: apt's).
     */
    record Settings(Path tarball, Path cache, boolean fetch, String mirror) {
        static Settings fromSystem() {
            String tarball = TestCache.setting("eryx.cpython.tarball", "ERYX_CPYTHON_TARBALL");
            return new Settings(
                    tarball == null ? null : Path.of(tarball),
                    TestCache.directory(),
                    !"false"
                            .equals(
                                    TestCache.setting(
                                            "eryx.conformance.fetch", "ERYX_CONFORMANCE_FETCH")),
                    TestCache.setting("eryx.cpython.mirror", "ERYX_CPYTHON_MIRROR"));
        }
    }

    /**
     * The host directory holding the {@code test} package (i.e. {@code <dir>/test/__init__.py}).
     */
    static synchronized Path libDir(Settings settings) throws IOException {
        Path cache = settings.cache();
        Files.createDirectories(cache);
        Path out = cache.resolve("cpython-" + VERSION + "-lib");
        Path stamp = out.resolve(".eryx-extracted");
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(EXTRACT_STAMP)) {
            return out;
        }
        Path tarball = tarball(settings);
        Path tmp = Files.createTempDirectory(cache, "extract-");
        try {
            try (InputStream in =
                    new XZInputStream(
                            new BufferedInputStream(Files.newInputStream(tarball), 1 << 16))) {
                extractTar(in, TAR_PREFIX, tmp.resolve("test"));
            }
            if (!Files.isRegularFile(tmp.resolve("test/__init__.py"))) {
                throw new IOException("no Lib/test/__init__.py in " + tarball);
            }
            Files.writeString(tmp.resolve(".eryx-extracted"), EXTRACT_STAMP);
            if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(EXTRACT_STAMP)) {
                return out; // another JVM extracted it meanwhile; keep theirs
            }
            TestCache.deleteTree(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            TestCache.deleteTree(tmp);
        }
        return out;
    }

    /** A verified copy of the source tarball, running the fetch script on a cache miss. */
    static Path tarball(Settings settings) throws IOException {
        if (settings.tarball() != null) {
            Path p = settings.tarball();
            if (!Files.isRegularFile(p)) {
                throw new IOException("eryx.cpython.tarball does not name a file: " + p);
            }
            requireSha256(p);
            return p;
        }
        Path cached = settings.cache().resolve(TARBALL);
        if (Files.isRegularFile(cached) && TestCache.sha256(cached).equals(SHA256)) {
            return cached;
        }
        if (!settings.fetch()) {
            throw new NotCachedException(
                    "no " + TARBALL + " in " + settings.cache() + ", and fetching is off");
        }
        fetch(settings);
        requireSha256(cached);
        return cached;
    }

    /** Runs the fetch script into the cache, relaying its messages to the test log. */
    private static void fetch(Settings settings) throws IOException {
        Path script = Path.of(System.getProperty("basedir", ".")).resolve(FETCH_SCRIPT);
        if (!Files.isRegularFile(script)) {
            throw new NotCachedException("no " + TARBALL + " in the cache, and no " + script);
        }
        System.out.println("[conformance] no cached source tarball: running " + script);
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().put("ERYX_CACHE_DIR", settings.cache().toString());
        if (settings.mirror() != null) {
            pb.environment().put("ERYX_CPYTHON_MIRROR", settings.mirror());
        }
        Process process = pb.start();
        String output;
        int status;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            status = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching", e);
        }
        output.lines().forEach(line -> System.out.println("[conformance]   " + line));
        if (status == FETCH_UNAVAILABLE) {
            throw new NotCachedException(
                    "the download failed (" + output.lines().reduce((a, b) -> b).orElse("") + ")");
        }
        if (status != 0) {
            throw new IOException(script + " failed (exit " + status + "):\n" + output);
        }
    }

    private static Properties pin() {
        Properties p = new Properties();
        try (InputStream in =
                CPythonTestSources.class.getResourceAsStream("cpython-source.properties")) {
            if (in == null) {
                throw new IllegalStateException("no cpython-source.properties next to this class");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    private static void requireSha256(Path p) throws IOException {
        String actual = TestCache.sha256(p);
        if (!actual.equals(SHA256)) {
            throw new IOException(
                    "sha256 mismatch for " + p + ": " + actual + ", expected " + SHA256);
        }
    }

    /**
     * Extracts the regular files and directories under {@code prefix} of a tar stream (ustar, GNU
     * long names, pax extended headers) into {@code dest}. Anything else (links, devices) is
     * skipped; names that would leave {@code dest} are rejected.
     */
    static int extractTar(InputStream in, String prefix, Path dest) throws IOException {
        Files.createDirectories(dest);
        Path root = dest.toAbsolutePath().normalize();
        byte[] header = new byte[512];
        String longName = null;
        String paxPath = null;
        int files = 0;
        while (true) {
            if (!readFully(in, header)) {
                break;
            }
            if (isZero(header)) {
                break;
            }
            String name = cString(header, 0, 100);
            String ustarPrefix = cString(header, 345, 155);
            if (cString(header, 257, 6).startsWith("ustar") && !ustarPrefix.isEmpty()) {
                name = ustarPrefix + "/" + name;
            }
            long size = parseOctal(header, 124, 12);
            char type = (char) (header[156] == 0 ? '0' : header[156]);
            if (type == 'L' || type == 'x' || type == 'g') {
                byte[] data = readBytes(in, size);
                skip(in, pad(size));
                if (type == 'L') {
                    longName = cString(data, 0, data.length);
                } else if (type == 'x') {
                    String p = paxValue(data, "path");
                    if (p != null) {
                        paxPath = p;
                    }
                }
                continue;
            }
            if (paxPath != null) {
                name = paxPath;
            } else if (longName != null) {
                name = longName;
            }
            paxPath = null;
            longName = null;
            boolean wanted = name.startsWith(prefix) && name.length() > prefix.length();
            if (wanted && (type == '0' || type == '5' || type == '7')) {
                Path target = root.resolve(name.substring(prefix.length())).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException("tar entry leaves the destination: " + name);
                }
                if (type == '5') {
                    Files.createDirectories(target);
                    skip(in, size + pad(size));
                } else {
                    Files.createDirectories(target.getParent());
                    try (OutputStream out = Files.newOutputStream(target)) {
                        copy(in, out, size);
                    }
                    skip(in, pad(size));
                    files++;
                }
            } else {
                skip(in, size + pad(size));
            }
        }
        return files;
    }

    /**
     * Looks a key up in pax extended-header records ({@code "<len> <key>=<value>\n"}, len in
     * bytes).
     */
    static String paxValue(byte[] data, String key) {
        String found = null;
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            if (sp >= data.length) {
                break;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                break;
            }
            if (len <= 0 || i + len > data.length) {
                break;
            }
            String rec =
                    new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8); // drop '\n'
            int eq = rec.indexOf('=');
            if (eq > 0 && rec.substring(0, eq).equals(key)) {
                found = rec.substring(eq + 1);
            }
            i += len;
        }
        return found;
    }

    private static long pad(long size) {
        return (512 - size % 512) % 512;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long parseOctal(byte[] b, int off, int len) throws IOException {
        if ((b[off] & 0x80) != 0) { // GNU base-256
            long v = 0;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        String s = cString(b, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException("bad tar header number: " + s, e);
        }
    }

    private static boolean readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new IOException("truncated tar stream");
            }
            off += n;
        }
        return true;
    }

    private static byte[] readBytes(InputStream in, long size) throws IOException {
        if (size > (1 << 20)) {
            throw new IOException("tar extended header too large: " + size);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
        copy(in, out, size);
        return out.toByteArray();
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("truncated tar stream");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("truncated tar stream");
            }
            n -= r;
        }
    }
}
