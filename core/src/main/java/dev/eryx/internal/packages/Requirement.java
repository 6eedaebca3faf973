package dev.eryx.internal.packages;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** STAND-IN until the req branch is merged (it replaces this file): crude markers. */
public final class Requirement {
    private static final Pattern FORM =
            Pattern.compile(
                    "\\s*([A-Za-z0-9][A-Za-z0-9._-]*)\\s*(\\[[^\\]]*\\])?\\s*([^;]*)(;(.*))?");
    private final String name;
    private final VersionSpecifier specifier;
    private final String marker;

    private Requirement(String name, VersionSpecifier specifier, String marker) {
        this.name = name;
        this.specifier = specifier;
        this.marker = marker;
    }

    public static Requirement parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("cannot parse requirement " + text);
        }
        String spec = m.group(3).strip().replace("(", "").replace(")", "");
        return new Requirement(
                m.group(1), VersionSpecifier.parse(spec), m.group(5) == null ? "" : m.group(5));
    }

    public static String normalizeName(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
    }

    public String normalizedName() {
        return normalizeName(name);
    }

    public VersionSpecifier specifier() {
        return specifier;
    }

    public boolean appliesTo(MarkerEnvironment environment) {
        return !marker.contains("extra") && !marker.contains("win32") && !marker.contains("<");
    }
}
