package dev.eryx.internal.packages;

import java.util.Objects;

/**
 * A PEP 508 environment marker such as {@code python_version >= "3.8" and sys_platform != "win32"}:
 * comparisons ({@code ==}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}, {@code ~=},
 * {@code ===}, {@code in}, {@code not in}) between variables and quoted strings, on either side,
 * joined by {@code and} (binding tighter) and {@code or}, with parentheses.
 *
 * <p>A comparison is a PEP 440 version comparison when the right side is a valid specifier version
 * and the left side a version; otherwise the strings compare as Python compares them ({@code ~=}
 * between non-versions is false). Comparisons with {@code extra} compare normalized names (PEP
 * 685). An unknown variable is an error when parsing, not when evaluating.
 */
public final class Marker {
    private final Node root;

    private Marker(Node root) {
        this.root = root;
    }

    /**
     * Parses a marker expression.
     *
     * @throws IllegalArgumentException the text is not a marker; the message quotes it and the
     *     position
     */
    public static Marker parse(String text) {
        Objects.requireNonNull(text, "text");
        return parse(text, 0, "marker");
    }

    /**
     * Parses the marker that starts at {@code start} of {@code source} and runs to its end; errors
     * name {@code source} as a {@code kind} with positions in it.
     */
    static Marker parse(String source, int start, String kind) {
        Parser p = new Parser(source, start, kind);
        Node node = p.or();
        p.skipSpace();
        if (p.pos < source.length()) {
            throw p.error("expected \"and\", \"or\" or the end");
        }
        return new Marker(node);
    }

    /** Whether the marker holds in {@code env}. */
    public boolean evaluate(MarkerEnvironment env) {
        Objects.requireNonNull(env, "env");
        return root.evaluate(env);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Marker m && toString().equals(m.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** A normalized rendering: canonical variable names, double quotes, needed parentheses only. */
    @Override
    public String toString() {
        return root.toString();
    }

    private sealed interface Node permits And, Or, Compare {
        boolean evaluate(MarkerEnvironment env);
    }

    private record And(Node left, Node right) implements Node {
        @Override
        public boolean evaluate(MarkerEnvironment env) {
            return left.evaluate(env) && right.evaluate(env);
        }

        @Override
        public String toString() {
            return wrap(left) + " and " + wrap(right);
        }

        private static String wrap(Node n) {
            return n instanceof Or ? "(" + n + ")" : n.toString();
        }
    }

    private record Or(Node left, Node right) implements Node {
        @Override
        public boolean evaluate(MarkerEnvironment env) {
            return left.evaluate(env) || right.evaluate(env);
        }

        @Override
        public String toString() {
            return left + " or " + right;
        }
    }

    /** A variable (canonical name) or a quoted literal. */
    private record Operand(String variable, String literal) {
        String value(MarkerEnvironment env) {
            return variable != null ? env.get(variable) : literal;
        }

        @Override
        public String toString() {
            if (variable != null) {
                return variable;
            }
            return literal.indexOf('"') >= 0 ? "'" + literal + "'" : '"' + literal + '"';
        }
    }

    private record Compare(Operand left, String op, Operand right) implements Node {
        @Override
        public boolean evaluate(MarkerEnvironment env) {
            String l = left.value(env);
            String r = right.value(env);
            if ("extra".equals(left.variable()) || "extra".equals(right.variable())) {
                l = Requirement.normalizeName(l);
                r = Requirement.normalizeName(r);
            }
            switch (op) {
                case "in":
                    return r.contains(l);
                case "not in":
                    return !r.contains(l);
                default:
                    break;
            }
            VersionSpecifier spec = versionSpecifier(op, r);
            if (spec != null && Version.isValid(l)) {
                return spec.contains(Version.parse(l));
            }
            return switch (op) {
                case "==" -> l.equals(r);
                case "===" -> l.equalsIgnoreCase(r);
                case "!=" -> !l.equals(r);
                case "<" -> compareCodePoints(l, r) < 0;
                case "<=" -> compareCodePoints(l, r) <= 0;
                case ">" -> compareCodePoints(l, r) > 0;
                case ">=" -> compareCodePoints(l, r) >= 0;
                default -> false; // ~= has no meaning between strings that are not versions
            };
        }

        private static VersionSpecifier versionSpecifier(String op, String version) {
            if (version.indexOf(',') >= 0 || version.isBlank()) {
                return null; // one clause only: "1, >=2" is a string, not two clauses
            }
            try {
                return VersionSpecifier.parse(op + version);
            } catch (IllegalArgumentException notAVersion) {
                return null;
            }
        }

        // Python compares str by code points; String.compareTo by UTF-16 units.
        private static int compareCodePoints(String a, String b) {
            return java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
        }

        @Override
        public String toString() {
            return left + " " + op + " " + right;
        }
    }

    /** Recursive descent over PEP 508's marker grammar; positions index {@code source}. */
    private static final class Parser {
        private final String source;
        private final String kind;
        private int pos;

        Parser(String source, int start, String kind) {
            this.source = source;
            this.pos = start;
            this.kind = kind;
        }

        Node or() {
            Node left = and();
            while (keyword("or")) {
                left = new Or(left, and());
            }
            return left;
        }

        Node and() {
            Node left = expression();
            while (keyword("and")) {
                left = new And(left, expression());
            }
            return left;
        }

        Node expression() {
            skipSpace();
            if (peek() == '(') {
                pos++;
                Node inner = or();
                skipSpace();
                if (peek() != ')') {
                    throw error("expected \")\"");
                }
                pos++;
                return inner;
            }
            Operand left = operand();
            String op = operator();
            Operand right = operand();
            return new Compare(left, op, right);
        }

        Operand operand() {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = source.indexOf(c, pos + 1);
                if (end < 0) {
                    throw error("unterminated string");
                }
                String literal = source.substring(pos + 1, end);
                pos = end + 1;
                return new Operand(null, literal);
            }
            int start = pos;
            String word = word();
            if (word.isEmpty()) {
                throw error("expected a marker variable or a quoted string");
            }
            String variable = canonicalVariable(word);
            if (variable == null) {
                pos = start;
                throw error("unknown marker variable \"" + word + "\"");
            }
            return new Operand(variable, null);
        }

        String operator() {
            skipSpace();
            for (String op : new String[] {"===", "==", "!=", "~=", "<=", ">=", "<", ">"}) {
                if (source.startsWith(op, pos)) {
                    pos += op.length();
                    return op;
                }
            }
            if (keyword("in")) {
                return "in";
            }
            int start = pos;
            if (keyword("not")) {
                if (keyword("in")) {
                    return "not in";
                }
                pos = start;
            }
            throw error(
                    "expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in)");
        }

        /** Consumes {@code word} if it comes next as a whole word. */
        private boolean keyword(String word) {
            int save = pos;
            skipSpace();
            if (source.startsWith(word, pos)) {
                int end = pos + word.length();
                if (end == source.length() || !isWordChar(source.charAt(end))) {
                    pos = end;
                    return true;
                }
            }
            pos = save;
            return false;
        }

        private String word() {
            int start = pos;
            while (pos < source.length() && isWordChar(source.charAt(pos))) {
                pos++;
            }
            return source.substring(start, pos);
        }

        private static boolean isWordChar(char c) {
            return (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '_'
                    || c == '.';
        }

        void skipSpace() {
            while (pos < source.length() && Character.isWhitespace(source.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            return pos < source.length() ? source.charAt(pos) : '\0';
        }

        IllegalArgumentException error(String reason) {
            String rest = source.substring(Math.min(pos, source.length()));
            String near = rest.isEmpty() ? "at the end" : "near \"" + abbreviate(rest) + "\"";
            return new IllegalArgumentException(
                    "Invalid "
                            + kind
                            + " \""
                            + source
                            + "\" at position "
                            + pos
                            + " ("
                            + near
                            + "): "
                            + reason);
        }

        private static String abbreviate(String s) {
            return s.length() <= 20 ? s : s.substring(0, 20) + "...";
        }
    }

    /** PEP 508's variables, and the dotted names older metadata used for some of them. */
    private static String canonicalVariable(String word) {
        return switch (word) {
            case "os_name",
                    "sys_platform",
                    "platform_machine",
                    "platform_python_implementation",
                    "platform_release",
                    "platform_system",
                    "platform_version",
                    "python_version",
                    "python_full_version",
                    "implementation_name",
                    "implementation_version",
                    "extra" ->
                    word;
            case "os.name" -> "os_name";
            case "sys.platform" -> "sys_platform";
            case "platform.version" -> "platform_version";
            case "platform.machine" -> "platform_machine";
            case "platform.python_implementation", "python_implementation" ->
                    "platform_python_implementation";
            default -> null;
        };
    }
}
