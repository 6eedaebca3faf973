package dev.eryx.internal.packages;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a zip archive (a wheel) into memory, refusing what could escape the tree or exhaust the
 * host: entries with {@code ..}, absolute paths, backslashes, drive letters or NUL bytes, duplicate
 * entries (also after normalization), and whatever goes beyond the {@link ReadBudget}. The central
 * directory is authoritative; each entry's inflated bytes are counted and its CRC checked, so
 * headers that lie are caught.
 */
final class ArchiveReader {
    private ArchiveReader() {}

    /**
     * The archive's files (directories are implied by them), by normalized path, in archive order.
     *
     * @throws IllegalArgumentException naming the file: unsafe, too big, or corrupt
     */
    static Map<String, byte[]> read(Path file, ReadBudget budget) {
        String source = file.toString();
        Map<String, byte[]> files = new LinkedHashMap<>();
        Set<String> directories = new HashSet<>();
        try (ZipFile zip = new ZipFile(file.toString(), StandardCharsets.UTF_8)) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                budget.countEntry(source); // directory entries too: each costs memory
                String path;
                try {
                    path = EntryPath.normalize(entry.getName());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            source + ": " + e.getMessage() + ": refused", e);
                }
                if (entry.isDirectory()) {
                    directories.add(path);
                    continue;
                }
                if (files.containsKey(path)) {
                    throw new IllegalArgumentException(
                            source
                                    + ": duplicate entry "
                                    + entry.getName()
                                    + " (the archive holds "
                                    + path
                                    + " twice): refused");
                }
                byte[] content;
                try (InputStream in = zip.getInputStream(entry)) {
                    content = budget.read(in, source, path, entry.getCompressedSize());
                }
                CRC32 crc = new CRC32();
                crc.update(content);
                if ((entry.getSize() >= 0 && entry.getSize() != content.length)
                        || (entry.getCrc() >= 0 && entry.getCrc() != crc.getValue())) {
                    throw new IllegalArgumentException(
                            source
                                    + ": corrupt archive: entry "
                                    + path
                                    + " does not match its size or CRC");
                }
                files.put(path, content);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage().startsWith(source)) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException(
                    source + ": corrupt or unreadable zip archive (" + e.getMessage() + ")", e);
        }
        for (String path : files.keySet()) {
            if (directories.contains(path)) {
                throw new IllegalArgumentException(
                        source + ": entry " + path + " is both a file and a directory: refused");
            }
        }
        return files;
    }
}
