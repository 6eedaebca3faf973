package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;

/** STAND-IN until the req branch is merged (it replaces this file). */
public final class VersionSpecifier {
    private final List<String[]> clauses = new ArrayList<>();
    private final String text;

    private VersionSpecifier(String text) {
        this.text = text;
        for (String clause : text.split(",")) {
            clause = clause.strip();
            if (clause.isEmpty()) {
                continue;
            }
            int i = 0;
            while (i < clause.length() && "<>=!~".indexOf(clause.charAt(i)) >= 0) {
                i++;
            }
            clauses.add(new String[] {clause.substring(0, i), clause.substring(i).strip()});
        }
    }

    public static VersionSpecifier parse(String text) {
        return new VersionSpecifier(text);
    }

    public boolean contains(Version v) {
        for (String[] c : clauses) {
            int cmp = v.compareTo(Version.parse(c[1].replace(".*", "")));
            boolean ok =
                    switch (c[0]) {
                        case "<" -> cmp < 0;
                        case "<=" -> cmp <= 0;
                        case ">" -> cmp > 0;
                        case ">=", "~=" -> cmp >= 0;
                        case "!=" -> cmp != 0;
                        default -> cmp == 0;
                    };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
