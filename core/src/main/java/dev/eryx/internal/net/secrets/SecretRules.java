package dev.eryx.internal.net.secrets;

/** Validation of {@code Secret}s. Contract stub of issue 17 (owner: secrets). */
public final class SecretRules {
    private SecretRules() {}

    public static void checkNameAndValue(String name, String value) {
        if (name.isEmpty() || value.isEmpty()) {
            throw new IllegalArgumentException("a secret needs a name and a value");
        }
    }

    /** Returns the host normalized to lower case. */
    public static String checkHost(String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("empty host");
        }
        return host.trim().toLowerCase(java.util.Locale.ROOT);
    }
}
