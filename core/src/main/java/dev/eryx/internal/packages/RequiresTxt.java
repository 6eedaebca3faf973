package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;

/** STAND-IN until the req branch is merged (it replaces this file). */
public final class RequiresTxt {
    private RequiresTxt() {}

    public static List<String> toRequiresDist(String text) {
        List<String> out = new ArrayList<>();
        String section = "";
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            if (section.isEmpty()) {
                out.add(line);
            } else if (section.startsWith(":")) {
                out.add(line + "; " + section.substring(1));
            } else {
                int colon = section.indexOf(':');
                String extra = colon < 0 ? section : section.substring(0, colon);
                out.add(line + "; extra == \"" + extra + "\"");
            }
        }
        return out;
    }
}
