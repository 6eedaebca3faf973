package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;

/** STAND-IN until the req branch is merged (it replaces this file): release numbers only. */
public final class Version implements Comparable<Version> {
    private final String text;
    private final List<Integer> release = new ArrayList<>();

    private Version(String text) {
        this.text = text;
        for (String part : text.split("[^0-9]+")) {
            if (!part.isEmpty()) {
                release.add(Integer.parseInt(part));
            }
        }
        if (release.isEmpty()) {
            throw new IllegalArgumentException("not a version: " + text);
        }
    }

    public static Version parse(String text) {
        return new Version(text.strip());
    }

    @Override
    public int compareTo(Version o) {
        for (int i = 0; i < Math.max(release.size(), o.release.size()); i++) {
            int a = i < release.size() ? release.get(i) : 0;
            int b = i < o.release.size() ? o.release.get(i) : 0;
            if (a != b) {
                return Integer.compare(a, b);
            }
        }
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        return 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
