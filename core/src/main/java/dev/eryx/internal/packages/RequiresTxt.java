package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads the {@code requires.txt} of an {@code .egg-info} directory (Debian's trees have these
 * instead of {@code .dist-info}): requirement lines, grouped under optional section headers {@code
 * [extra]}, {@code [:marker]} or {@code [extra:marker]}; blank lines and {@code #} comments are
 * skipped.
 */
public final class RequiresTxt {
    private RequiresTxt() {}

    /**
     * The requirements as {@code Requires-Dist} strings, in file order, with each section's
     * condition as their marker: {@code [x]} gives {@code ; extra == "x"}, {@code [:m]} gives
     * {@code ; m}, {@code [x:m]} gives {@code ; (m) and extra == "x"} (the same strings {@code
     * importlib.metadata} derives). The lines are not parsed; {@link Requirement#parse} does that.
     *
     * @throws IllegalArgumentException a section header is not closed; the message names the line
     */
    public static List<String> toRequiresDist(String requiresTxt) {
        Objects.requireNonNull(requiresTxt, "requiresTxt");
        List<String> out = new ArrayList<>();
        String condition = "";
        String[] lines = requiresTxt.split("\r\n|\r|\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]")) {
                    throw new IllegalArgumentException(
                            "Invalid requires.txt: line "
                                    + (i + 1)
                                    + " \""
                                    + line
                                    + "\" opens a section without closing it");
                }
                condition = condition(line.substring(1, line.length() - 1).strip());
                continue;
            }
            // PEP 508 needs a space between a URL and the ";" that starts the marker.
            String space = line.contains("@") ? " " : "";
            out.add(condition.isEmpty() ? line : line + space + "; " + condition);
        }
        return out;
    }

    private static String condition(String section) {
        int colon = section.indexOf(':');
        String extra = (colon < 0 ? section : section.substring(0, colon)).strip();
        String marker = colon < 0 ? "" : section.substring(colon + 1).strip();
        String extraCondition = extra.isEmpty() ? "" : "extra == \"" + extra + "\"";
        if (marker.isEmpty()) {
            return extraCondition;
        }
        return extraCondition.isEmpty() ? marker : "(" + marker + ") and " + extraCondition;
    }
}
