package dev.eryx.internal.net.secrets;

import java.util.List;
import java.util.Objects;

/**
 * A {@code Secret} as the internals hold it, real value included. Never logged: {@link #toString()}
 * leaves the value out.
 */
public record SecretValue(String name, String value, List<String> hosts, boolean inQuery) {
    public SecretValue {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        hosts = List.copyOf(hosts);
    }

    @Override
    public String toString() {
        return "SecretValue{" + name + " for " + hosts + "}";
    }
}
