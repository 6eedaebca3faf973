package dev.eryx.internal.packages;

import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Merges the sources into one site-packages tree and builds the shared layer. Several sources may
 * put files in one directory (PEP 420 namespace packages) and may give the same file with the same
 * content (the same wheel twice); one path with two contents, a path that is a file in one source
 * and a directory in another, and two versions of one project are refused naming both sources.
 */
final class LayerBuilder {
    /**
     * Every node gets this modification time (2000-01-01): the layer is then a function of the
     * files' content alone, as images and saved states need, whatever the host's timestamps.
     */
    static final long MTIME_NANOS = 946_684_800_000_000_000L;

    private final TreeMap<String, byte[]> files = new TreeMap<>();
    private final Map<String, String> origins = new TreeMap<>();
    private final TreeMap<String, FoundDistribution> distributions = new TreeMap<>();

    void add(SourceContent source) {
        for (Map.Entry<String, byte[]> e : source.files().entrySet()) {
            String path = e.getKey();
            byte[] previous = files.get(path);
            if (previous == null) {
                files.put(path, e.getValue());
                origins.put(path, source.label());
            } else if (!Arrays.equals(previous, e.getValue())) {
                throw new IllegalArgumentException(
                        path
                                + " is given twice with different content: by "
                                + origins.get(path)
                                + " and by "
                                + source.label());
            }
        }
        for (FoundDistribution d : source.distributions()) {
            FoundDistribution other = distributions.get(d.normalizedName);
            if (other == null) {
                distributions.put(d.normalizedName, d);
            } else if (!other.version.equals(d.version)) {
                throw new IllegalArgumentException(
                        "two versions of "
                                + d.name
                                + ": "
                                + other.version
                                + " (from "
                                + other.origin
                                + ") and "
                                + d.version
                                + " (from "
                                + d.origin
                                + ")");
            } else if (!other.files.equals(d.files)) {
                throw new IllegalArgumentException(
                        d.name
                                + " "
                                + d.version
                                + " is given twice with different files: by "
                                + other.origin
                                + " and by "
                                + d.origin);
            }
            // Otherwise the same distribution twice (its files are equal, checked above): one.
        }
    }

    Map<String, FoundDistribution> distributions() {
        return distributions;
    }

    PackageSet build() {
        Set<String> directories = directories();
        List<String> pathEntries =
                PthFiles.pathEntries(
                        files,
                        directories,
                        (file, warning) -> {
                            for (FoundDistribution d : distributions.values()) {
                                if (d.files.contains(file)) {
                                    d.warn(warning);
                                }
                            }
                        });
        ReadOnlyLayer.Builder tree = ReadOnlyLayer.builder();
        for (String dir : directories) {
            tree.directory(dir, MTIME_NANOS);
        }
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            tree.file(e.getKey(), e.getValue(), MTIME_NANOS);
        }
        List<PackageIdentity> identities = new ArrayList<>();
        List<PackageSet.DistributionInfo> infos = new ArrayList<>();
        for (FoundDistribution d : distributions.values()) {
            String sha256 = identity(d);
            identities.add(new PackageIdentity(d.normalizedName, d.version, sha256));
            infos.add(
                    new PackageSet.DistributionInfo(
                            d.name,
                            d.version,
                            sha256,
                            d.requires,
                            List.copyOf(d.files),
                            List.copyOf(d.warnings)));
        }
        return new PackageSet(new PackageLayer(tree.build(), pathEntries, identities), infos);
    }

    /** Every directory implied by the files; refuses a path that is both file and directory. */
    private Set<String> directories() {
        Set<String> directories = new HashSet<>();
        for (String path : files.keySet()) {
            int slash = path.lastIndexOf('/');
            while (slash > 0) {
                String dir = path.substring(0, slash);
                if (files.containsKey(dir)) {
                    throw new IllegalArgumentException(
                            dir
                                    + " is a file in "
                                    + origins.get(dir)
                                    + " but a directory in "
                                    + origins.get(path));
                }
                if (!directories.add(dir)) {
                    break;
                }
                slash = dir.lastIndexOf('/');
            }
        }
        return directories;
    }

    /**
     * SHA-256 over the distribution's files, sorted by path: each path in UTF-8, a NUL, the SHA-256
     * of its content.
     */
    private String identity(FoundDistribution d) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String path : d.files) {
                byte[] content = files.get(path);
                if (content == null) {
                    continue; // attributed but left out (cannot happen: attribution uses files)
                }
                digest.update(path.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(MessageDigest.getInstance("SHA-256").digest(content));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
