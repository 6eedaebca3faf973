package dev.eryx.packages;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a wheel for tests: a correct {@code .dist-info} (METADATA, WHEEL, RECORD with the sha256
 * and size of every file) unless the test asks for a corruption.
 */
final class TestWheel {
    private final String name;
    private final String version;
    private String tags = "py3-none-any";
    private String metadataName;
    private final List<String> requires = new ArrayList<>();
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Map<String, byte[]> rawEntries = new LinkedHashMap<>();
    private final Set<String> unlisted = new HashSet<>();
    private final Set<String> wrongHash = new HashSet<>();
    private String wheelFile =
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    private String distInfo;

    private TestWheel(String name, String version) {
        this.name = name;
        this.version = version;
        this.metadataName = name;
        this.distInfo = name.replace('-', '_') + "-" + version + ".dist-info";
    }

    static TestWheel of(String name, String version) {
        return new TestWheel(name, version);
    }

    TestWheel tags(String tags) {
        this.tags = tags;
        return this;
    }

    TestWheel metadataName(String name) {
        this.metadataName = name;
        return this;
    }

    TestWheel distInfo(String directory) {
        this.distInfo = directory;
        return this;
    }

    TestWheel wheelFile(String content) {
        this.wheelFile = content;
        return this;
    }

    TestWheel requires(String... requirements) {
        requires.addAll(List.of(requirements));
        return this;
    }

    TestWheel file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    TestWheel file(String path, byte[] content) {
        files.put(path, content);
        return this;
    }

    /** An entry written as is, not listed in RECORD (for unsafe names). */
    TestWheel rawEntry(String entryName, String content) {
        rawEntries.put(entryName, content.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Leaves {@code path} out of RECORD. */
    TestWheel unlisted(String path) {
        unlisted.add(path);
        return this;
    }

    /** Lists {@code path} in RECORD with a wrong digest. */
    TestWheel wrongHash(String path) {
        wrongHash.add(path);
        return this;
    }

    String fileName() {
        return name.replace('-', '_') + "-" + version + "-" + tags + ".whl";
    }

    Path write(Path dir) throws IOException {
        return write(dir, fileName());
    }

    Path write(Path dir, String fileName) throws IOException {
        Map<String, byte[]> all = new LinkedHashMap<>(files);
        StringBuilder metadata =
                new StringBuilder("Metadata-Version: 2.1\nName: ")
                        .append(metadataName)
                        .append("\nVersion: ")
                        .append(version)
                        .append('\n');
        for (String r : requires) {
            metadata.append("Requires-Dist: ").append(r).append('\n');
        }
        metadata.append("\nA description.\nVersion: not a header\n");
        all.put(distInfo + "/METADATA", bytes(metadata.toString()));
        all.put(distInfo + "/WHEEL", bytes(wheelFile));
        StringBuilder record = new StringBuilder();
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (unlisted.contains(e.getKey())) {
                continue;
            }
            byte[] content = e.getValue();
            if (wrongHash.contains(e.getKey())) {
                content = bytes("something else");
            }
            record.append(csv(e.getKey()))
                    .append(",sha256=")
                    .append(sha256(content))
                    .append(',')
                    .append(content.length)
                    .append('\n');
        }
        record.append(distInfo).append("/RECORD,,\n");
        all.put(distInfo + "/RECORD", bytes(record.toString()));
        all.putAll(rawEntries);
        Path wheel = dir.resolve(fileName);
        try (OutputStream out = Files.newOutputStream(wheel);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : all.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return wheel;
    }

    static String sha256(byte[] content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String csv(String field) {
        return field.contains(",") ? "\"" + field.replace("\"", "\"\"") + "\"" : field;
    }
}
