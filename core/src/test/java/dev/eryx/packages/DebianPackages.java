package dev.eryx.packages;

import dev.eryx.testing.TestCache;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Test fixtures made of real third-party packages: Debian's binary packages for Python 3 ({@code
 * python3-requests}, {@code python3-jinja2}, ...), at the exact versions pinned in {@value
 * #LOCK_RESOURCE}, fetched with {@code apt-get download} from the suite in the machine's apt
 * configuration, checked against the pinned sha256, extracted with {@code dpkg-deb -x} into one
 * root, with every {@code .so} file deleted so that the packages' pure-Python fallbacks are used
 * (wasip1 cannot load shared objects).
 *
 * <p>Everything is cached under {@code <cache>/debian-packages/} ({@code -Deryx.cache.dir} / {@code
 * ERYX_CACHE_DIR}, default {@code ~/.cache/eryx}), outside {@code target/} so that {@code mvn
 * clean} keeps it. Two JVMs may fill the cache at once: each downloads and extracts into its own
 * temporary directory and moves the result into place with an atomic rename; a loser of that race
 * uses the winner's copy (the contents are the same, pinned by sha256).
 *
 * <p>When {@code apt-get} or {@code dpkg-deb} is missing, apt's lists do not know a package, or the
 * mirror cannot be reached, the calling test is <em>skipped</em> (a JUnit assumption) with a
 * message saying why, unless {@code -Deryx.debian.required=true} / {@code
 * ERYX_DEBIAN_REQUIRED=true} (CI) turns that into a failure. A pinned version that the mirror no
 * longer serves, or a download whose sha256 differs from the pin, always fails: the lock file must
 * then be re-pinned on purpose (its header says how), never silently.
 */
public final class DebianPackages {
    static final String LOCK_RESOURCE = "debian-packages.lock";

    /** Where Debian installs Python 3 packages, relative to the extraction root. */
    static final String DIST_PACKAGES = "usr/lib/python3/dist-packages";

    /** Bump when what the extraction leaves changes, so that stale cached roots are redone. */
    private static final String EXTRACT_VERSION = "v1";

    private static final String STAMP = ".eryx-extracted";
    private static final String REMOVED = "removed-native-files.txt";

    /** A download that has not finished by then is treated as an unreachable mirror. */
    private static final long APT_TIMEOUT_SECONDS = 300;

    /** Fixtures already made by this JVM, by cache key: tests of several classes share them. */
    private static final Map<String, Fixture> MADE = new HashMap<>();

    private DebianPackages() {}

    /**
     * One pinned Debian package (a line of the lock file).
     *
     * @param debName Debian's package name, e.g. {@code python3-requests}
     * @param debVersion Debian's exact version, e.g. {@code 2.28.1+dfsg-1}
     * @param arch {@code all}, or the architecture of a package that also ships native code
     * @param sha256 of the {@code .deb}
     * @param distribution the Python distribution's name as its metadata spells it
     * @param version the distribution's version as {@code importlib.metadata} reports it
     * @param group {@code default} (the set the tests share) or {@code limitation} (known not to
     *     import, tested on its own)
     */
    public record Entry(
            String debName,
            String debVersion,
            String arch,
            String sha256,
            String distribution,
            String version,
            String group) {
        String fileName() {
            return debName + "_" + debVersion.replace(":", "%3a") + "_" + arch + ".deb";
        }

        String aptSpec() {
            return debName + ":" + arch + "=" + debVersion;
        }
    }

    /**
     * An extracted set of packages.
     *
     * @param root where the {@code .deb}s were extracted
     * @param distPackages the {@code dist-packages} directory in it: what goes on {@code sys.path}
     * @param packages what it holds
     * @param removedNativeFiles the {@code .so} files deleted, relative to {@code distPackages}
     */
    public record Fixture(
            Path root, Path distPackages, List<Entry> packages, List<String> removedNativeFiles) {}

    /** Where the cache is and whether a missing tool or an unreachable mirror fails or skips. */
    record Settings(Path cache, boolean required) {
        static Settings fromSystem() {
            return new Settings(
                    TestCache.directory().resolve("debian-packages"),
                    "true"
                            .equals(
                                    TestCache.setting(
                                            "eryx.debian.required", "ERYX_DEBIAN_REQUIRED")));
        }
    }

    /** The packages cannot be had on this machine now (no apt, no mirror): tests skip. */
    static final class UnavailableException extends Exception {
        UnavailableException(String message) {
            super(message);
        }
    }

    /** Every pinned package, in lock-file order. */
    public static List<Entry> lock() {
        InputStream in = DebianPackages.class.getResourceAsStream(LOCK_RESOURCE);
        if (in == null) {
            throw new IllegalStateException("no " + LOCK_RESOURCE + " next to DebianPackages");
        }
        List<Entry> entries = new ArrayList<>();
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                String[] f = s.split("\\s+");
                if (f.length != 7 || !f[3].matches("[0-9a-f]{64}")) {
                    throw new IllegalStateException(
                            LOCK_RESOURCE + " line " + number + ": expected 7 fields: " + line);
                }
                entries.add(new Entry(f[0], f[1], f[2], f[3], f[4], f[5], f[6]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(entries);
    }

    /** The packages of one group of the lock file (e.g. {@code default}). */
    public static List<Entry> group(String group) {
        List<Entry> entries = lock().stream().filter(e -> e.group().equals(group)).toList();
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no group " + group + " in " + LOCK_RESOURCE);
        }
        return entries;
    }

    /**
     * Every pinned package extracted into one root, the tree the real-package tests share (each
     * test imports only the packages of the group it is about); skips the calling test when the
     * packages cannot be had (see the class comment).
     */
    public static Fixture all() {
        return fixture(lock());
    }

    /** The named Debian packages (lock-file names) extracted into one root of their own. */
    public static Fixture of(String... debNames) {
        Map<String, Entry> byName = new LinkedHashMap<>();
        lock().forEach(e -> byName.put(e.debName(), e));
        List<Entry> entries = new ArrayList<>();
        for (String name : debNames) {
            Entry e = byName.get(name);
            if (e == null) {
                throw new IllegalArgumentException(name + " is not pinned in " + LOCK_RESOURCE);
            }
            entries.add(e);
        }
        return fixture(entries);
    }

    /**
     * As {@link #make}, with the system's settings; an unavailable package skips the calling test
     * (fails it when required).
     */
    public static Fixture fixture(List<Entry> entries) {
        Settings settings = Settings.fromSystem();
        try {
            return make(settings, entries);
        } catch (UnavailableException e) {
            String message = "Debian packages unavailable, test skipped: " + e.getMessage();
            if (settings.required()) {
                throw new AssertionError(
                        message.replace("test skipped", "and eryx.debian.required is set"));
            }
            Assumptions.abort(message);
            throw new AssertionError("unreachable");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fetches (on a cache miss), verifies and extracts {@code entries} into one cached root. */
    static synchronized Fixture make(Settings settings, List<Entry> entries)
            throws IOException, UnavailableException {
        String key = cacheKey(entries);
        Fixture made = MADE.get(settings.cache() + "/" + key);
        if (made != null) {
            return made;
        }
        Path root = settings.cache().resolve("root-" + key);
        if (!isExtracted(root, key)) {
            Files.createDirectories(settings.cache());
            List<Path> debs = fetch(settings, entries);
            extract(settings.cache(), debs, root, key);
        }
        List<String> removed =
                Files.readAllLines(root.resolve(REMOVED), StandardCharsets.UTF_8).stream()
                        .filter(s -> !s.isBlank())
                        .toList();
        Fixture fixture = new Fixture(root, root.resolve(DIST_PACKAGES), entries, removed);
        MADE.put(settings.cache() + "/" + key, fixture);
        return fixture;
    }

    /** The cached, verified {@code .deb} of each entry, downloading the missing ones. */
    static List<Path> fetch(Settings settings, List<Entry> entries)
            throws IOException, UnavailableException {
        Path debs = settings.cache().resolve("debs");
        Files.createDirectories(debs);
        List<Entry> missing = new ArrayList<>();
        for (Entry e : entries) {
            Path deb = debs.resolve(e.fileName());
            if (!Files.isRegularFile(deb) || !TestCache.sha256(deb).equals(e.sha256())) {
                missing.add(e);
            }
        }
        if (!missing.isEmpty()) {
            download(debs, missing);
        }
        return entries.stream().map(e -> debs.resolve(e.fileName())).toList();
    }

    /**
     * Downloads {@code entries} with one {@code apt-get download} into a private directory, checks
     * each against its pin, and renames it into {@code debs} (atomically: a concurrent reader sees
     * a whole file or none).
     */
    private static void download(Path debs, List<Entry> entries)
            throws IOException, UnavailableException {
        Path tmp = Files.createTempDirectory(debs, "download-");
        try {
            List<String> command = new ArrayList<>();
            command.addAll(
                    List.of(
                            "apt-get",
                            "-q",
                            "-o",
                            "Acquire::Retries=1",
                            "-o",
                            "Acquire::http::Timeout=30",
                            "download"));
            entries.forEach(e -> command.add(e.aptSpec()));
            Run run = run(tmp, command, "apt-get");
            if (run.status() != 0) {
                failedDownload(run.output(), entries);
            }
            for (Entry e : entries) {
                Path deb = tmp.resolve(e.fileName());
                if (!Files.isRegularFile(deb)) {
                    throw new IOException(
                            "apt-get download left no "
                                    + e.fileName()
                                    + " (it left "
                                    + list(tmp)
                                    + ")");
                }
                String actual = TestCache.sha256(deb);
                if (!actual.equals(e.sha256())) {
                    throw new AssertionError(
                            e.aptSpec()
                                    + " as served now has sha256 "
                                    + actual
                                    + ", but "
                                    + LOCK_RESOURCE
                                    + " pins "
                                    + e.sha256()
                                    + ": the mirror rebuilt the package under the same version;"
                                    + " re-pin it on purpose (see the lock file's header)");
                }
                Files.move(
                        deb,
                        debs.resolve(e.fileName()),
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            TestCache.deleteTree(tmp);
        }
    }

    /**
     * What a failed {@code apt-get download} means: a pinned version gone from the mirror is the
     * lock file's problem (an error naming what is served instead); anything else is this machine's
     * (no lists, no network: the test skips).
     */
    private static void failedDownload(String output, List<Entry> entries)
            throws UnavailableException {
        String errors = withoutHosts(errorLines(output));
        for (Entry e : entries) {
            if (output.contains("Version '" + e.debVersion() + "' for '" + e.debName() + "'")
                    && output.contains("was not found")) {
                throw new AssertionError(
                        e.debName()
                                + " "
                                + e.debVersion()
                                + " ("
                                + e.arch()
                                + "), pinned in "
                                + LOCK_RESOURCE
                                + ", is no longer served by the configured suite; apt offers "
                                + served(e)
                                + ". Re-pin it on purpose (see the lock file's header) and check"
                                + " the tests against the new version. apt-get said: "
                                + errors);
            }
        }
        if (output.contains("Unable to locate package")) {
            throw new UnavailableException(
                    "apt's package lists do not know every package (run `apt-get update` once):"
                            + " "
                            + errors);
        }
        throw new UnavailableException(
                "`apt-get download` failed (mirror unreachable?): " + errors);
    }

    /** The versions of {@code e} that apt knows now, for the message of a vanished pin. */
    private static String served(Entry e) {
        try {
            Run run =
                    run(
                            Path.of("."),
                            List.of("apt-cache", "madison", e.debName() + ":" + e.arch()),
                            "apt-cache");
            List<String> versions =
                    run.output()
                            .lines()
                            .map(l -> l.split("\\|"))
                            .filter(f -> f.length >= 2)
                            .map(f -> f[1].strip())
                            .distinct()
                            .toList();
            return versions.isEmpty() ? "no version of it" : "version(s) " + versions;
        } catch (IOException | UnavailableException ex) {
            return "(apt-cache madison failed: " + ex.getMessage() + ")";
        }
    }

    /**
     * Extracts {@code debs} into a private directory next to {@code root}, deletes the {@code .so}
     * files under dist-packages (recording which), stamps it and renames it to {@code root}.
     */
    private static void extract(Path cache, List<Path> debs, Path root, String key)
            throws IOException, UnavailableException {
        Path tmp = Files.createTempDirectory(cache, "extract-");
        try {
            for (Path deb : debs) {
                Run run =
                        run(
                                cache,
                                List.of("dpkg-deb", "-x", deb.toString(), tmp.toString()),
                                "dpkg-deb");
                if (run.status() != 0) {
                    throw new IOException(
                            "dpkg-deb -x " + deb + " failed (exit " + run.status() + "): " + run);
                }
            }
            Path dist = tmp.resolve(DIST_PACKAGES);
            if (!Files.isDirectory(dist)) {
                throw new IOException("the packages left no " + DIST_PACKAGES + " in " + tmp);
            }
            List<String> removed = new ArrayList<>();
            try (Stream<Path> s = Files.walk(dist)) {
                for (Path p : s.filter(DebianPackages::isSharedObject).sorted().toList()) {
                    removed.add(dist.relativize(p).toString());
                    Files.delete(p);
                }
            }
            Files.write(tmp.resolve(REMOVED), removed, StandardCharsets.UTF_8);
            Files.writeString(tmp.resolve(STAMP), stampOf(key));
            try {
                Files.move(tmp, root, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                if (!isExtracted(root, key)) {
                    // A half-made root of a crashed run (renames are atomic, so not a live one).
                    TestCache.deleteTree(root);
                    Files.move(tmp, root, StandardCopyOption.ATOMIC_MOVE);
                }
                // Otherwise another JVM finished first: keep its identical copy.
            }
        } finally {
            TestCache.deleteTree(tmp);
        }
    }

    private static boolean isSharedObject(Path p) {
        String name = p.getFileName().toString();
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                && (name.endsWith(".so") || name.contains(".so."));
    }

    private static boolean isExtracted(Path root, String key) throws IOException {
        Path stamp = root.resolve(STAMP);
        return Files.isRegularFile(stamp)
                && Files.readString(stamp).equals(stampOf(key))
                && Files.isRegularFile(root.resolve(REMOVED));
    }

    private static String stampOf(String key) {
        return key + " " + EXTRACT_VERSION;
    }

    /** A short digest of the pins: a root per distinct set, redone when a pin changes. */
    static String cacheKey(List<Entry> entries) {
        StringBuilder sb = new StringBuilder(EXTRACT_VERSION);
        entries.stream()
                .sorted(Comparator.comparing(Entry::debName))
                .forEach(e -> sb.append('\n').append(e.aptSpec()).append(' ').append(e.sha256()));
        return sha256(sb.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    record Run(int status, String output) {}

    /**
     * Runs a tool, stdout and stderr merged; a missing tool or a run past the timeout is {@link
     * UnavailableException}.
     */
    private static Run run(Path dir, List<String> command, String tool)
            throws IOException, UnavailableException {
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LC_ALL", "C"); // apt's messages are matched in English
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UnavailableException(tool + " is not installed (" + e.getMessage() + ")");
        }
        try {
            // Read on another thread so that a chatty tool cannot block on a full pipe while we
            // wait for it with a timeout.
            var output = new java.util.concurrent.CompletableFuture<String>();
            Thread reader =
                    new Thread(
                            () -> {
                                try (InputStream in = process.getInputStream()) {
                                    output.complete(
                                            new String(in.readAllBytes(), StandardCharsets.UTF_8));
                                } catch (IOException e) {
                                    output.completeExceptionally(e);
                                }
                            },
                            tool + "-output");
            reader.setDaemon(true);
            reader.start();
            if (!process.waitFor(APT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new UnavailableException(
                        String.join(" ", command)
                                + " did not finish in "
                                + APT_TIMEOUT_SECONDS
                                + " s");
            }
            return new Run(process.exitValue(), output.get(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + tool, e);
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new IOException("could not read the output of " + tool, e);
        }
    }

    private static String errorLines(String output) {
        String errors =
                String.join(
                        " | ",
                        output.lines().filter(l -> l.startsWith("E:")).map(String::strip).toList());
        return errors.isEmpty() ? output.strip() : errors;
    }

    /** apt's messages name the mirror; test reports need not. */
    static String withoutHosts(String s) {
        return s.replaceAll("[a-z][a-z0-9+.-]*://[^/\\s]+", "<mirror>");
    }

    private static String list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
