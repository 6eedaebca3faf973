package dev.eryx.internal.net.secrets;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The secrets of one sandbox with their placeholders. Thread-safe, immutable after bind.
 *
 * <p>Placeholders restored from a saved state are kept (the guest's memory holds them); one whose
 * secret the restoring host did not give stays in the guest's environment as an inert string:
 * nothing is substituted for it and nothing refuses it.
 */
public final class SecretSet {
    private static final SecretSet NONE = new SecretSet(List.of(), Map.of(), Map.of());

    /** The secrets with a value, in order. */
    private final List<SecretValue> secrets;

    /** Their placeholders by name. */
    private final Map<String, String> bound;

    /** Every placeholder the guest holds, bound or inert, by name. */
    private final Map<String, String> placeholders;

    private final Redactor redactor;

    /**
     * Each value and placeholder → the name of its secret, for {@link #redactNamed}; null when
     * there is none.
     */
    private final Map<String, String> namesByText;

    /** Matches them, the longest first: a text containing another is replaced whole. */
    private final Pattern named;

    private final byte[][] values;
    private final byte[][] valuePlaceholders;

    private SecretSet(
            List<SecretValue> secrets, Map<String, String> bound, Map<String, String> all) {
        this.secrets = List.copyOf(secrets);
        this.bound = Collections.unmodifiableMap(new LinkedHashMap<>(bound));
        this.placeholders = Collections.unmodifiableMap(new LinkedHashMap<>(all));
        List<String> plain = new ArrayList<>();
        values = new byte[secrets.size()][];
        valuePlaceholders = new byte[secrets.size()][];
        for (int i = 0; i < secrets.size(); i++) {
            SecretValue s = secrets.get(i);
            plain.add(s.value());
            values[i] = s.value().getBytes(StandardCharsets.UTF_8);
            valuePlaceholders[i] = bound.get(s.name()).getBytes(StandardCharsets.US_ASCII);
        }
        this.redactor = new Redactor(plain);
        Map<String, String> byText = new LinkedHashMap<>();
        for (SecretValue secret : secrets) {
            byText.putIfAbsent(secret.value(), secret.name());
        }
        for (Map.Entry<String, String> e : all.entrySet()) {
            byText.putIfAbsent(e.getValue(), e.getKey());
        }
        if (byText.isEmpty()) {
            this.namesByText = null;
            this.named = null;
        } else {
            this.namesByText = Map.copyOf(byText);
            // Alternatives are tried in order at each position: longest first, so a value that
            // contains another secret's is named as itself.
            this.named =
                    Pattern.compile(
                            byText.keySet().stream()
                                    .sorted(Comparator.comparingInt(String::length).reversed())
                                    .map(Pattern::quote)
                                    .collect(Collectors.joining("|")));
        }
    }

    /**
     * Gives each secret its placeholder: the restored one for its name if any (the guest already
     * holds it), else a fresh one from {@code random} (the sandbox's generator, so a seeded sandbox
     * gets the same placeholders every time).
     *
     * @throws IllegalArgumentException a restored placeholder is malformed, or has not the length
     *     of the value now given for its secret (the scrubber swaps the two in place)
     */
    public static SecretSet bind(
            List<SecretValue> secrets,
            RandomGenerator random,
            Map<String, String> restoredPlaceholders) {
        Objects.requireNonNull(random, "random");
        if (secrets.isEmpty() && restoredPlaceholders.isEmpty()) {
            return NONE;
        }
        Map<String, String> all = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : restoredPlaceholders.entrySet()) {
            if (!Placeholders.wellFormed(e.getValue())) {
                throw new IllegalArgumentException(
                        "the saved placeholder of secret " + e.getKey() + " is malformed");
            }
            all.put(e.getKey(), e.getValue());
        }
        Map<String, String> bound = new LinkedHashMap<>();
        List<String> values = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (SecretValue s : secrets) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("secret " + s.name() + " is given twice");
            }
            values.add(s.value());
        }
        for (SecretValue s : secrets) {
            int length = s.value().getBytes(StandardCharsets.UTF_8).length;
            String placeholder = all.get(s.name());
            if (placeholder != null && placeholder.length() != length) {
                throw new IllegalArgumentException(
                        "secret "
                                + s.name()
                                + " was saved with a placeholder of "
                                + placeholder.length()
                                + " bytes, but its value now has "
                                + length
                                + ": the guest holds the old placeholder, and a placeholder"
                                + " must have its value's length");
            }
            while (placeholder == null || clashes(placeholder, s.name(), all, values)) {
                placeholder = Placeholders.generate(length, random);
            }
            all.put(s.name(), placeholder);
            bound.put(s.name(), placeholder);
        }
        return new SecretSet(secrets, bound, all);
    }

    /** A placeholder equal to, inside, or containing another placeholder or any value. */
    private static boolean clashes(
            String placeholder, String name, Map<String, String> all, List<String> values) {
        for (Map.Entry<String, String> e : all.entrySet()) {
            String other = e.getValue();
            if (!e.getKey().equals(name)
                    && (other.contains(placeholder) || placeholder.contains(other))) {
                return true;
            }
        }
        for (String value : values) {
            if (value.contains(placeholder) || placeholder.contains(value)) {
                return true;
            }
        }
        return false;
    }

    public static SecretSet none() {
        return NONE;
    }

    /** Whether a secret names {@code host} among its hosts. */
    public boolean bindsHost(String host) {
        String normalized = normalizeHost(host);
        for (SecretValue s : secrets) {
            if (s.hosts().contains(normalized)) {
                return true;
            }
        }
        return false;
    }

    /** No secret and no placeholder: nothing to do anywhere. */
    public boolean isEmpty() {
        return placeholders.isEmpty();
    }

    /** name → placeholder (the guest's os.environ), inert restored ones included. */
    public Map<String, String> placeholders() {
        return placeholders;
    }

    /**
     * Filters for one connection. hostName: the verified TLS name, or the loopback host for plain
     * HTTP under allowLocalhost; trusted: TLS verified with JDK/policy anchors only (not guest
     * anchors) or plain loopback under allowLocalhost.
     */
    public ConnectionFilter forConnection(String hostName, boolean trusted) {
        if (secrets.isEmpty()) {
            return SecretConnection.passThrough();
        }
        String host = hostName == null ? "" : normalizeHost(hostName);
        List<RequestRewriter.Binding> bindings = new ArrayList<>();
        List<PlaceholderGuard.Refusal> foreign = new ArrayList<>();
        List<PlaceholderGuard.Refusal> all = new ArrayList<>();
        for (SecretValue s : secrets) {
            String placeholder = bound.get(s.name());
            boolean forHost = s.hosts().contains(host);
            if (forHost && trusted) {
                bindings.add(
                        new RequestRewriter.Binding(
                                s.name(),
                                placeholder,
                                new String(
                                        s.value().getBytes(StandardCharsets.UTF_8),
                                        StandardCharsets.ISO_8859_1),
                                s.inQuery()));
            } else {
                foreign.add(new PlaceholderGuard.Refusal(placeholder, why(s, host, forHost)));
            }
            all.add(new PlaceholderGuard.Refusal(placeholder, why(s, host, forHost)));
        }
        ResponseScrubber scrubber =
                new ResponseScrubber(new StreamReplacer(values, valuePlaceholders));
        if (bindings.isEmpty()) {
            return new SecretConnection(false, new PlaceholderGuard(all), scrubber);
        }
        return new SecretConnection(true, new RequestRewriter(host, bindings, foreign), scrubber);
    }

    private static String why(SecretValue s, String host, boolean forHost) {
        String shown = host.isEmpty() ? "an unnamed address" : host;
        if (forHost) {
            return "the placeholder of secret "
                    + s.name()
                    + " was not sent: the connection to "
                    + shown
                    + " is not verified with the host's trust anchors (a certificate the guest"
                    + " supplied, or plain HTTP to a non-loopback host)";
        }
        return "the placeholder of secret "
                + s.name()
                + " was not sent: it may go only to "
                + String.join(", ", s.hosts())
                + (s.hosts().isEmpty() ? "no host" : "")
                + ", not to "
                + shown;
    }

    private static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    /**
     * {@code text} with every value and placeholder (inert restored ones included) replaced by
     * {@code [secret NAME]}: for hosts that show code and output. {@code text} itself when nothing
     * matches.
     */
    public String redactNamed(String text) {
        Objects.requireNonNull(text, "text");
        if (named == null) {
            return text;
        }
        Matcher m = named.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        do {
            m.appendReplacement(
                    out, Matcher.quoteReplacement("[secret " + namesByText.get(m.group()) + "]"));
        } while (m.find());
        return m.appendTail(out).toString();
    }

    /** Real values → "[REDACTED]". */
    public Redactor redactor() {
        return redactor;
    }
}
