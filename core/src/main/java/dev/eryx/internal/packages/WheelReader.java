package dev.eryx.internal.packages;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads and validates one wheel: a pure-Python tag, a safe archive, a {@code WHEEL} file of version
 * 1.x, a {@code .dist-info} matching the file name, every file listed in {@code RECORD} with its
 * digest; then installs it in memory as an installer would ({@code .data/purelib} and {@code
 * platlib} merged into the root, the other {@code .data} directories ignored).
 */
final class WheelReader {
    private WheelReader() {}

    static SourceContent read(Path file, ReadBudget budget) {
        String fileName = file.getFileName().toString();
        String source = file.toString();
        WheelFile wheel = WheelFile.parse(fileName);
        if (wheel.pureTag().isEmpty()) {
            throw new IllegalArgumentException(
                    source
                            + ": a native wheel (tag "
                            + wheel.tags()
                            + "): the guest is CPython for wasm32-wasip1, which cannot load"
                            + " native extension modules; use a pure-Python wheel (a tag like"
                            + " py3-none-any)");
        }
        Map<String, byte[]> archive = ArchiveReader.read(file, budget);
        String distInfo = distInfo(archive, wheel, source);
        checkWheelMetadata(archive, distInfo, source);
        List<String> warnings = new ArrayList<>();
        verifyRecord(archive, distInfo, source, warnings);

        byte[] metadataFile = archive.get(distInfo + "/METADATA");
        if (metadataFile == null) {
            throw new IllegalArgumentException(source + ": " + distInfo + "/METADATA is missing");
        }
        DistributionMetadata metadata =
                DistributionMetadata.parse(metadataFile, source + ": " + distInfo + "/METADATA");
        if (!Requirement.normalizeName(metadata.name())
                .equals(Requirement.normalizeName(wheel.name()))) {
            throw new IllegalArgumentException(
                    source + ": its METADATA names " + metadata.name() + ", not " + wheel.name());
        }
        FoundDistribution distribution =
                new FoundDistribution(
                        metadata.name(), metadata.version(), metadata.requiresDist(), source);
        distribution.warnings.addAll(warnings);

        String data = distInfo.substring(0, distInfo.length() - ".dist-info".length()) + ".data";
        Map<String, byte[]> installed = new LinkedHashMap<>();
        Set<String> ignoredData = new TreeSet<>();
        for (Map.Entry<String, byte[]> e : archive.entrySet()) {
            String path = e.getKey();
            if (path.startsWith(data + "/")) {
                String rest = path.substring(data.length() + 1);
                String scheme = EntryPath.topLevel(rest);
                if ((scheme.equals("purelib") || scheme.equals("platlib"))
                        && rest.length() > scheme.length()) {
                    path = rest.substring(scheme.length() + 1);
                } else {
                    ignoredData.add(scheme);
                    continue;
                }
            }
            if (EntryPath.isBytecode(path)) {
                continue;
            }
            if (EntryPath.isNative(path)) {
                distribution.warn(path + " left out: wasip1 cannot load native extension modules");
                continue;
            }
            if (installed.put(path, e.getValue()) != null) {
                throw new IllegalArgumentException(
                        source + ": " + path + " is both in the root and in " + data);
            }
            distribution.files.add(path);
        }
        for (String scheme : ignoredData) {
            distribution.warn(
                    data + "/" + scheme + " ignored: only purelib and platlib are installed");
        }
        return new SourceContent(source, installed, List.of(distribution));
    }

    private static String distInfo(Map<String, byte[]> archive, WheelFile wheel, String source) {
        Set<String> distInfos = new TreeSet<>();
        for (String path : archive.keySet()) {
            String top = EntryPath.topLevel(path);
            if (top.endsWith(".dist-info") && !top.equals(path)) {
                distInfos.add(top);
            }
        }
        if (distInfos.size() != 1) {
            throw new IllegalArgumentException(
                    source
                            + ": a wheel holds exactly one .dist-info directory; this one holds "
                            + (distInfos.isEmpty() ? "none" : String.join(", ", distInfos)));
        }
        String distInfo = distInfos.iterator().next();
        String stem = distInfo.substring(0, distInfo.length() - ".dist-info".length());
        int dash = stem.lastIndexOf('-');
        boolean matches =
                dash > 0
                        && Requirement.normalizeName(stem.substring(0, dash))
                                .equals(Requirement.normalizeName(wheel.name()))
                        && stem.substring(dash + 1)
                                .toLowerCase(Locale.ROOT)
                                .equals(wheel.version().toLowerCase(Locale.ROOT));
        if (!matches) {
            throw new IllegalArgumentException(
                    source
                            + ": its "
                            + distInfo
                            + " does not match the file name ("
                            + wheel.name()
                            + " "
                            + wheel.version()
                            + ")");
        }
        return distInfo;
    }

    private static void checkWheelMetadata(
            Map<String, byte[]> archive, String distInfo, String source) {
        byte[] wheelFile = archive.get(distInfo + "/WHEEL");
        if (wheelFile == null) {
            throw new IllegalArgumentException(source + ": " + distInfo + "/WHEEL is missing");
        }
        Map<String, List<String>> headers = DistributionMetadata.headers(wheelFile);
        List<String> version = headers.get("wheel-version");
        if (version == null || !version.get(0).matches("1(\\.\\d+)?")) {
            throw new IllegalArgumentException(
                    source
                            + ": "
                            + distInfo
                            + "/WHEEL has Wheel-Version "
                            + (version == null ? "(none)" : version.get(0))
                            + "; only 1.x is understood");
        }
        List<String> purelib = headers.get("root-is-purelib");
        if (purelib == null
                || !(purelib.get(0).equalsIgnoreCase("true")
                        || purelib.get(0).equalsIgnoreCase("false"))) {
            // Either value installs to the one site-packages the guest has.
            throw new IllegalArgumentException(
                    source + ": " + distInfo + "/WHEEL has no Root-Is-Purelib: true|false");
        }
    }

    private static void verifyRecord(
            Map<String, byte[]> archive, String distInfo, String source, List<String> warnings) {
        String recordPath = distInfo + "/RECORD";
        byte[] recordFile = archive.get(recordPath);
        if (recordFile == null) {
            throw new IllegalArgumentException(source + ": " + recordPath + " is missing");
        }
        Map<String, Record.Entry> entries = new LinkedHashMap<>();
        for (Record.Entry entry : Record.parse(recordFile, source + ": " + recordPath, false)) {
            String path;
            try {
                path = EntryPath.normalize(entry.path());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        source + ": " + recordPath + ": " + e.getMessage(), e);
            }
            entries.put(path, entry);
        }
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, byte[]> e : archive.entrySet()) {
            String path = e.getKey();
            if (Record.isRecordFile(path, distInfo)) {
                continue;
            }
            Record.Entry entry = entries.get(path);
            if (entry == null) {
                throw new IllegalArgumentException(
                        source + ": " + path + " is not listed in " + recordPath);
            }
            if (entry.digest() == null) {
                throw new IllegalArgumentException(
                        source + ": " + recordPath + " has no hash for " + path);
            }
            if (!entry.matches(e.getValue())) {
                throw new IllegalArgumentException(
                        source
                                + ": "
                                + path
                                + " does not match its "
                                + recordPath
                                + " entry ("
                                + entry.algorithm()
                                + " digest or size differs)");
            }
            seen.add(path);
        }
        for (String path : entries.keySet()) {
            if (!seen.contains(path) && !Record.isRecordFile(path, distInfo)) {
                warnings.add(recordPath + " lists " + path + ", which the wheel does not hold");
            }
        }
    }
}
