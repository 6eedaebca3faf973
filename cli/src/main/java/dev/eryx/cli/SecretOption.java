package dev.eryx.cli;

import dev.eryx.Secret;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code --secret NAME@HOST[,HOST...]}: the value comes from the host environment variable NAME,
 * read when the sandbox is configured, never from the command line (which other users of the
 * machine can see).
 */
record SecretOption(String name, List<String> hosts) {
    static SecretOption parse(String text) {
        int at = text.indexOf('@');
        if (at <= 0 || at == text.length() - 1) {
            throw new IllegalArgumentException(
                    "'"
                            + text
                            + "' is not NAME@HOST[,HOST...] (the value is read from the host"
                            + " environment variable NAME)");
        }
        List<String> hosts = List.of(text.substring(at + 1).split(",", -1));
        if (hosts.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("'" + text + "' has an empty host");
        }
        return new SecretOption(text.substring(0, at), hosts);
    }

    /**
     * @throws IllegalArgumentException the variable is not set, or the library refuses the secret
     */
    Secret secret(UnaryOperator<String> hostEnvironment) {
        String value = hostEnvironment.apply(name);
        if (value == null) {
            throw new IllegalArgumentException(
                    "--secret "
                            + name
                            + ": the host environment variable "
                            + name
                            + " is not set (a secret's value is read from there, never from the"
                            + " command line)");
        }
        return Secret.of(name, value).forHosts(hosts.toArray(String[]::new));
    }
}
