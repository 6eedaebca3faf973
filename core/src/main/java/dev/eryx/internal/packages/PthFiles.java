package dev.eryx.internal.packages;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code .pth} files at the root of site-packages, as CPython's {@code site} module reads them,
 * minus code: a line naming a directory of the tree adds it to {@code sys.path}; {@code import}
 * lines (which {@code site} would execute) are ignored with a warning, comments and blank lines
 * skipped, and a line leading outside the tree or to nothing is ignored with a warning.
 */
final class PthFiles {
    private PthFiles() {}

    /**
     * @param files the merged tree
     * @param directories every directory of the tree
     * @param warnings receives (file, warning) pairs
     * @return {@code ""} then the extra {@code sys.path} entries, relative to the root, in order
     */
    static List<String> pathEntries(
            Map<String, byte[]> files, Set<String> directories, Warnings warnings) {
        List<String> entries = new ArrayList<>();
        entries.add("");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String file = e.getKey();
            if (file.contains("/") || !file.endsWith(".pth")) {
                continue;
            }
            String text = new String(e.getValue(), StandardCharsets.UTF_8);
            for (String raw : text.split("\r\n|\n|\r")) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("import ") || line.startsWith("import\t")) {
                    warnings.add(file, file + ": import line ignored (no code runs at start-up)");
                    continue;
                }
                Optional<String> dir = EntryPath.resolve("", line);
                if (dir.isEmpty() || !directories.contains(dir.get())) {
                    warnings.add(
                            file,
                            file
                                    + ": path "
                                    + line
                                    + " ignored: not a directory inside site-packages");
                    continue;
                }
                if (!entries.contains(dir.get())) {
                    entries.add(dir.get());
                }
            }
        }
        return entries;
    }

    /** Where a warning about a file goes: the distribution owning it. */
    interface Warnings {
        void add(String file, String warning);
    }
}
