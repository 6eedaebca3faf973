package dev.eryx.conformance;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.tukaani.xz.XZInputStream;

/**
 * Obtains CPython's regression test package ({@code Lib/test/}) from the pinned 3.14.7 source
 * tarball, the same tarball the interpreter was built from.
 *
 * <p>The tarball is looked up, in order: the {@code eryx.cpython.tarball} system property or the
 * {@code ERYX_CPYTHON_TARBALL} environment variable (an existing file); the cache directory ({@code
 * eryx.cache.dir} / {@code ERYX_CACHE_DIR}, default {@code ~/.cache/eryx}); else it is downloaded
 * into the cache from the Debian mirror this machine's apt is configured with. Every copy is
 * checked against the pinned sha256 before use. The {@code Lib/test/} tree is then extracted once
 * (in Java: xz + tar) into the cache and reused.
 */
final class CPythonTestSources {
    static final String VERSION = "3.14.7";
    static final String TARBALL = "python3.14_" + VERSION + ".orig.tar.xz";
    static final String POOL_PATH = "/pool/main/p/python3.14/" + TARBALL;
    static final String SHA256 = "3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81";
    private static final String TAR_PREFIX = "Python-" + VERSION + "/Lib/test/";

    /** Bump when what is extracted changes, so stale caches are redone. */
    private static final String EXTRACT_STAMP = SHA256 + " Lib/test v1";

    private CPythonTestSources() {}

    /**
     * The host directory holding the {@code test} package (i.e. {@code <dir>/test/__init__.py}).
     */
    static synchronized Path libDir() throws IOException {
        Path cache = cacheDir();
        Path out = cache.resolve("cpython-" + VERSION + "-lib");
        Path stamp = out.resolve(".eryx-extracted");
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(EXTRACT_STAMP)) {
            return out;
        }
        Path tarball = tarball(cache);
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
            deleteTree(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(tmp);
        }
        return out;
    }

    static Path cacheDir() throws IOException {
        String dir = setting("eryx.cache.dir", "ERYX_CACHE_DIR");
        Path p =
                dir != null
                        ? Path.of(dir)
                        : Path.of(System.getProperty("user.home"), ".cache", "eryx");
        Files.createDirectories(p);
        return p;
    }

    /** A verified copy of the source tarball, downloading it into {@code cache} if needed. */
    static Path tarball(Path cache) throws IOException {
        String override = setting("eryx.cpython.tarball", "ERYX_CPYTHON_TARBALL");
        if (override != null) {
            Path p = Path.of(override);
            if (!Files.isRegularFile(p)) {
                throw new IOException("eryx.cpython.tarball does not name a file: " + p);
            }
            requireSha256(p);
            return p;
        }
        Path cached = cache.resolve(TARBALL);
        if (Files.isRegularFile(cached) && sha256(cached).equals(SHA256)) {
            return cached;
        }
        List<String> mirrors = aptMirrors();
        if (mirrors.isEmpty()) {
            throw new IOException(
                    "no Debian mirror in the apt configuration (/etc/apt/sources.list.d/*.sources,"
                            + " /etc/apt/sources.list); set -Deryx.cpython.tarball=<path to "
                            + TARBALL
                            + ">");
        }
        IOException last = null;
        for (String mirror : mirrors) {
            URI uri = URI.create(mirror + POOL_PATH);
            try {
                download(uri, cached);
                requireSha256(cached);
                return cached;
            } catch (IOException e) {
                last = new IOException("fetching " + uri + ": " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** Mirror base URIs from apt's configuration, deb822 files first, then the one-line format. */
    static List<String> aptMirrors() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        Path dir = Path.of("/etc/apt/sources.list.d");
        if (Files.isDirectory(dir)) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.sources")) {
                ds.forEach(files::add);
            }
            files.sort(Comparator.naturalOrder());
            for (Path f : files) {
                out.addAll(parseDeb822Uris(Files.readString(f)));
            }
        }
        Path list = Path.of("/etc/apt/sources.list");
        if (Files.isRegularFile(list)) {
            out.addAll(parseOneLineUris(Files.readString(list)));
        }
        return new ArrayList<>(out);
    }

    static List<String> parseDeb822Uris(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.regionMatches(true, 0, "URIs:", 0, 5)) {
                for (String u : l.substring(5).trim().split("\\s+")) {
                    if (isHttp(u)) {
                        out.add(stripSlash(u));
                    }
                }
            }
        }
        return out;
    }

    static List<String> parseOneLineUris(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.startsWith("deb ") && !l.startsWith("deb\t")) {
                continue;
            }
            String rest = l.substring(3).trim();
            if (rest.startsWith("[")) {
                int end = rest.indexOf(']');
                if (end < 0) {
                    continue;
                }
                rest = rest.substring(end + 1).trim();
            }
            String u = rest.split("\\s+")[0];
            if (isHttp(u)) {
                out.add(stripSlash(u));
            }
        }
        return out;
    }

    private static boolean isHttp(String u) {
        return u.startsWith("http://") || u.startsWith("https://");
    }

    private static String stripSlash(String u) {
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }

    private static void download(URI uri, Path dest) throws IOException {
        HttpClient client =
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .connectTimeout(Duration.ofSeconds(30))
                        .build();
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build();
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
        try {
            HttpResponse<Path> resp = client.send(req, HttpResponse.BodyHandlers.ofFile(part));
            if (resp.statusCode() != 200) {
                throw new IOException("HTTP " + resp.statusCode());
            }
            Files.move(
                    part,
                    dest,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static void requireSha256(Path p) throws IOException {
        String actual = sha256(p);
        if (!actual.equals(SHA256)) {
            throw new IOException(
                    "sha256 mismatch for " + p + ": " + actual + ", expected " + SHA256);
        }
    }

    static String sha256(Path p) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
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

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder())
                    .forEach(
                            q -> {
                                try {
                                    Files.delete(q);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        }
    }
}
