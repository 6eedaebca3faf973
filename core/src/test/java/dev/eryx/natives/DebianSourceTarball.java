package dev.eryx.natives;

import dev.eryx.testing.TestCache;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A source tarball from the Debian pool, pinned by sha256: downloaded once into the cache ({@code
 * -Deryx.cache.dir} / {@code ERYX_CACHE_DIR}, default {@code ~/.cache/eryx}), checked on every use,
 * and unpacked there. The mirror is read from this machine's apt configuration (as {@code
 * wasm-assets/build/lib.sh} does) unless {@code ERYX_DEBIAN_MIRROR} names one; no host name is
 * written here.
 */
final class DebianSourceTarball {
    /** The tarball cannot be had now (no mirror, no network): tests skip with this message. */
    static final class UnavailableException extends IOException {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String poolPath;
    private final String sha256;

    DebianSourceTarball(String poolPath, String sha256) {
        this.poolPath = poolPath;
        this.sha256 = sha256;
    }

    /**
     * A directory holding the tarball's regular files for which {@code keep} is true (paths below
     * its top directory), extracted once; reused while its stamp names the same sha256.
     */
    Path extract(String name, Predicate<String> keep) throws IOException {
        Path out = cacheDir().resolve(name);
        Path stamp = out.resolve(".eryx-extracted");
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(sha256)) {
            return out;
        }
        Path tarball = tarball();
        Path tmp = Files.createTempDirectory(cacheDir(), "extract-");
        try (InputStream in =
                new GZIPInputStream(
                        new BufferedInputStream(Files.newInputStream(tarball), 1 << 16))) {
            untar(in, keep, tmp);
            Files.writeString(tmp.resolve(".eryx-extracted"), sha256);
            TestCache.deleteTree(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            TestCache.deleteTree(tmp);
        }
        return out;
    }

    /** A verified copy of the tarball in the cache, downloaded on a miss. */
    Path tarball() throws IOException {
        Path cached = cacheDir().resolve(Path.of(poolPath).getFileName().toString());
        if (Files.isRegularFile(cached) && TestCache.sha256(cached).equals(sha256)) {
            return cached;
        }
        String mirror = mirror();
        URI uri = URI.create(mirror + "/pool/main/" + poolPath);
        Path part = Files.createTempFile(cacheDir(), "download-", ".part");
        try {
            HttpClient client =
                    HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(15))
                            .followRedirects(HttpClient.Redirect.NORMAL)
                            .build();
            HttpResponse<Path> response =
                    client.send(
                            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                            HttpResponse.BodyHandlers.ofFile(part));
            if (response.statusCode() != 200) {
                throw new UnavailableException(
                        "could not download " + poolPath + ": HTTP " + response.statusCode(), null);
            }
            String actual = TestCache.sha256(part);
            if (!actual.equals(sha256)) {
                throw new IOException(
                        "sha256 mismatch for " + poolPath + ": " + actual + ", expected " + sha256);
            }
            Files.move(part, cached, StandardCopyOption.REPLACE_EXISTING);
            return cached;
        } catch (IOException e) {
            if (e instanceof UnavailableException
                    || e.getMessage() != null && e.getMessage().startsWith("sha256 mismatch")) {
                throw e;
            }
            throw new UnavailableException("could not download " + poolPath + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while downloading " + poolPath, e);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static Path cacheDir() throws IOException {
        Path cache = TestCache.directory();
        Files.createDirectories(cache);
        return cache;
    }

    /** The first non-security mirror of apt's deb822 sources, else of its one-line lists. */
    private static String mirror() throws UnavailableException {
        String env = System.getenv("ERYX_DEBIAN_MIRROR");
        if (env != null && !env.isBlank()) {
            return strip(env);
        }
        try {
            for (Path f : list(Path.of("/etc/apt/sources.list.d"), "*.sources")) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String[] w = line.trim().split("\\s+");
                    if (w.length > 1 && w[0].equals("URIs:") && !w[1].contains("-security")) {
                        return strip(w[1]);
                    }
                }
            }
            List<Path> lists = new ArrayList<>(List.of(Path.of("/etc/apt/sources.list")));
            lists.addAll(list(Path.of("/etc/apt/sources.list.d"), "*.list"));
            for (Path f : lists) {
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String l = line.trim().replaceFirst("^deb\\s+\\[[^]]*\\]", "deb");
                    String[] w = l.split("\\s+");
                    if (w.length > 1 && w[0].equals("deb") && !l.contains("security")) {
                        return strip(w[1]);
                    }
                }
            }
        } catch (IOException e) {
            throw new UnavailableException("cannot read the apt configuration: " + e, e);
        }
        throw new UnavailableException(
                "no Debian mirror in the apt configuration (set ERYX_DEBIAN_MIRROR)", null);
    }

    private static List<Path> list(Path dir, String glob) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
                ds.forEach(out::add);
            }
        }
        out.sort(null);
        return out;
    }

    private static String strip(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    /**
     * Extracts the regular files of a ustar/GNU tar stream whose path, minus the top directory,
     * {@code keep} accepts. Only plain names (no {@code ..}, not absolute) are written.
     */
    private static void untar(InputStream in, Predicate<String> keep, Path dest)
            throws IOException {
        byte[] header = new byte[512];
        String longName = null;
        while (in.readNBytes(header, 0, 512) == 512) {
            if (header[0] == 0) {
                return; // end-of-archive block
            }
            String name = longName != null ? longName : field(header, 0, 100);
            longName = null;
            String prefix = field(header, 345, 155);
            if (!prefix.isEmpty() && name.equals(field(header, 0, 100))) {
                name = prefix + "/" + name;
            }
            String octal = field(header, 124, 12).trim();
            long size = octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
            byte type = header[156];
            byte[] body = in.readNBytes((int) size);
            in.skipNBytes((512 - size % 512) % 512);
            if (type == 'L') {
                longName = new String(body, StandardCharsets.UTF_8).replace("\0", "");
                continue;
            }
            int slash = name.indexOf('/');
            String rel = slash < 0 ? "" : name.substring(slash + 1);
            if ((type == '0' || type == 0)
                    && !rel.isEmpty()
                    && !rel.startsWith("/")
                    && !rel.contains("..")
                    && keep.test(rel)) {
                Path target = dest.resolve(rel);
                Files.createDirectories(target.getParent());
                Files.write(target, body);
            }
        }
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }
}
