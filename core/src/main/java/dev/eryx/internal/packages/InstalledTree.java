package dev.eryx.internal.packages;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads an unpacked site-packages tree (pip's or Debian's {@code dist-packages}): its distributions
 * from {@code *.dist-info} ({@code METADATA}) and {@code *.egg-info} (a directory with {@code
 * PKG-INFO} and {@code requires.txt}, or a single PKG-INFO file), and which files belong to each,
 * from {@code RECORD}, else {@code installed-files.txt}, else {@code top_level.txt}. A file that
 * belongs to no distribution is still served (it is on {@code sys.path}).
 *
 * <p>A RECORD is checked against the files present: a digest that differs is refused. Entries
 * outside the tree (scripts in {@code ../../../bin}) or absent from it are warnings, not errors:
 * Debian's RECORDs list such paths, and Debian strips or drops files after the wheel was built.
 * Native extension modules ({@code .so}, {@code .pyd}, {@code .dylib}) are left out with a warning
 * for the distribution owning them (or, when none does, those owning its top-level package).
 */
final class InstalledTree {
    private InstalledTree() {}

    static SourceContent read(Path dir, ReadBudget budget) {
        String source = dir.toString();
        TreeMap<String, byte[]> files = TreeWalker.walk(dir, budget);
        Set<String> metadataDirs = new TreeSet<>();
        for (String path : files.keySet()) {
            String top = EntryPath.topLevel(path);
            if (top.endsWith(".dist-info") || top.endsWith(".egg-info")) {
                metadataDirs.add(top);
            }
        }
        List<FoundDistribution> distributions = new ArrayList<>();
        for (String metadataDir : metadataDirs) {
            distributions.add(
                    metadataDir.endsWith(".dist-info")
                            ? distInfo(files, metadataDir, source)
                            : eggInfo(files, metadataDir, source));
        }
        Map<String, byte[]> kept = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String path = e.getKey();
            if (EntryPath.isNative(path)) {
                leaveOut(path, distributions);
                continue;
            }
            kept.put(path, e.getValue());
        }
        return new SourceContent(source, kept, distributions);
    }

    /**
     * Warns the distributions owning a native file; when none does (its metadata says nothing of
     * it), those owning files in the same top-level package, so the warning is not lost.
     */
    private static void leaveOut(String path, List<FoundDistribution> distributions) {
        String warning = path + " left out: wasip1 cannot load native extension modules";
        boolean owned = false;
        for (FoundDistribution d : distributions) {
            if (d.files.remove(path)) {
                d.warn(warning);
                owned = true;
            }
        }
        String top = EntryPath.topLevel(path);
        if (owned || top.equals(path)) {
            return;
        }
        for (FoundDistribution d : distributions) {
            if (d.files.stream().anyMatch(f -> f.startsWith(top + "/"))) {
                d.warn(warning);
            }
        }
    }

    private static FoundDistribution distInfo(
            TreeMap<String, byte[]> files, String dir, String source) {
        String where = source + "/" + dir;
        byte[] metadataFile = files.get(dir + "/METADATA");
        if (metadataFile == null) {
            throw new IllegalArgumentException(where + " has no METADATA");
        }
        DistributionMetadata metadata =
                DistributionMetadata.parse(metadataFile, where + "/METADATA");
        FoundDistribution d =
                new FoundDistribution(
                        metadata.name(), metadata.version(), metadata.requiresDist(), where);
        addUnder(files, dir, d);
        byte[] record = files.get(dir + "/RECORD");
        if (record != null) {
            checkRecord(files, dir, record, where, d);
        } else {
            addTopLevel(files, dir, d);
        }
        return d;
    }

    private static FoundDistribution eggInfo(
            TreeMap<String, byte[]> files, String egg, String source) {
        String where = source + "/" + egg;
        if (files.containsKey(egg)) {
            // A single PKG-INFO file named *.egg-info: it says nothing of the files.
            DistributionMetadata metadata = DistributionMetadata.parse(files.get(egg), where);
            FoundDistribution d =
                    new FoundDistribution(
                            metadata.name(), metadata.version(), metadata.requiresDist(), where);
            d.files.add(egg);
            return d;
        }
        byte[] pkgInfo = files.get(egg + "/PKG-INFO");
        if (pkgInfo == null) {
            throw new IllegalArgumentException(where + " has no PKG-INFO");
        }
        DistributionMetadata metadata = DistributionMetadata.parse(pkgInfo, where + "/PKG-INFO");
        List<String> requires = new ArrayList<>(metadata.requiresDist());
        byte[] requiresTxt = files.get(egg + "/requires.txt");
        if (requiresTxt != null) {
            try {
                requires.addAll(
                        RequiresTxt.toRequiresDist(
                                new String(requiresTxt, StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "/requires.txt: " + e.getMessage(), e);
            }
        }
        FoundDistribution d =
                new FoundDistribution(metadata.name(), metadata.version(), requires, where);
        addUnder(files, egg, d);
        byte[] installedFiles = files.get(egg + "/installed-files.txt");
        if (installedFiles != null) {
            for (String line : lines(installedFiles)) {
                Optional<String> path = EntryPath.resolve(egg, line);
                if (path.isEmpty()) {
                    d.warn(egg + "/installed-files.txt lists " + line + ", outside the tree");
                } else if (files.containsKey(path.get())) {
                    d.files.add(path.get());
                } else if (!EntryPath.isBytecode(path.get())) {
                    d.warn(
                            egg
                                    + "/installed-files.txt lists "
                                    + line
                                    + ", which the tree does not hold");
                }
            }
        } else {
            addTopLevel(files, egg, d);
        }
        return d;
    }

    private static void checkRecord(
            TreeMap<String, byte[]> files,
            String dir,
            byte[] record,
            String where,
            FoundDistribution d) {
        for (Record.Entry entry : Record.parse(record, where + "/RECORD", true)) {
            Optional<String> resolved = EntryPath.resolve("", entry.path());
            if (resolved.isEmpty()) {
                d.warn(dir + "/RECORD lists " + entry.path() + ", outside the tree");
                continue;
            }
            String path = resolved.get();
            byte[] content = files.get(path);
            if (content == null) {
                if (!EntryPath.isBytecode(path)) {
                    d.warn(
                            dir
                                    + "/RECORD lists "
                                    + entry.path()
                                    + ", which the tree does not hold");
                }
                continue;
            }
            // Native files are left out anyway; Debian strips them, changing their digest.
            if (!EntryPath.isNative(path) && !entry.matches(content)) {
                throw new IllegalArgumentException(
                        where
                                + "/RECORD: "
                                + path
                                + " does not match its entry ("
                                + (entry.algorithm() == null
                                        ? "size"
                                        : entry.algorithm() + " digest or size")
                                + " differs)");
            }
            d.files.add(path);
        }
    }

    /** Attributes the packages and modules {@code top_level.txt} names. */
    private static void addTopLevel(
            TreeMap<String, byte[]> files, String dir, FoundDistribution d) {
        byte[] topLevel = files.get(dir + "/top_level.txt");
        if (topLevel == null) {
            return;
        }
        for (String name : lines(topLevel)) {
            if (name.isEmpty() || name.contains("..")) {
                continue;
            }
            addUnder(files, name, d);
            for (String path : files.keySet()) {
                if (!path.contains("/")
                        && path.startsWith(name + ".")
                        && (path.equals(name + ".py") || EntryPath.isNative(path))) {
                    d.files.add(path);
                }
            }
        }
    }

    private static void addUnder(TreeMap<String, byte[]> files, String dir, FoundDistribution d) {
        Iterator<String> it = files.tailMap(dir + "/").keySet().iterator();
        while (it.hasNext()) {
            String path = it.next();
            if (!path.startsWith(dir + "/")) {
                break;
            }
            d.files.add(path);
        }
    }

    private static List<String> lines(byte[] content) {
        List<String> lines = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\r\n|\n|\r")) {
            if (!line.isBlank()) {
                lines.add(line.strip());
            }
        }
        return lines;
    }
}
