package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A PEP 508 environment marker such as {@code python_version >= "3.8" and sys_platform != "win32"}:
 * comparisons ({@code ==}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}, {@code ~=},
 * {@code ===}, {@code in}, {@code not in}) between variables and quoted strings, on either side,
 * joined by {@code and} (binding tighter) and {@code or}, with parentheses.
 *
 * <p>With {@code python_version}, {@code python_full_version}, {@code implementation_version} and
 * {@code platform_release} (PEP 508's version-typed variables), a comparison is a PEP 440 version
 * comparison when both sides are versions. Otherwise, as the current dependency-specifier
 * specification says, {@code ==}, {@code <=} and {@code >=} test equality, {@code !=} inequality,
 * {@code <} and {@code >} are false, {@code in} is Python's substring test, and {@code ~=} and
 * {@code ===} are errors: refused when parsing where the literal already shows it, otherwise an
 * {@link IllegalArgumentException} from {@link #evaluate}. Comparisons with {@code extra} compare
 * normalized names (PEP 685). An unknown variable is refused when parsing.
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

    /**
     * Whether the marker holds in {@code env}.
     *
     * @throws IllegalArgumentException a {@code ~=} or {@code ===} comparison whose sides in {@code
     *     env} are not versions (with {@link MarkerEnvironment#wasi()}, only possible when both
     *     sides are variables: a literal that cannot compare is refused by {@link #parse})
     */
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

    /** Operands joined by {@code and}: a list, so a long chain does not nest deeply. */
    private record And(List<Node> operands) implements Node {
        @Override
        public boolean evaluate(MarkerEnvironment env) {
            for (Node n : operands) {
                if (!n.evaluate(env)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            for (Node n : operands) {
                parts.add(n instanceof Or ? "(" + n + ")" : n.toString());
            }
            return String.join(" and ", parts);
        }
    }

    private record Or(List<Node> operands) implements Node {
        @Override
        public boolean evaluate(MarkerEnvironment env) {
            for (Node n : operands) {
                if (n.evaluate(env)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            for (Node n : operands) {
                parts.add(n.toString());
            }
            return String.join(" or ", parts);
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
        /** The variable whose type decides how the sides compare: the left one if both are. */
        String key() {
            return left.variable() != null ? left.variable() : right.variable();
        }

        @Override
        public boolean evaluate(MarkerEnvironment env) {
            String l = left.value(env);
            String r = right.value(env);
            if ("extra".equals(key())) {
                l = Requirement.normalizeName(l);
                r = Requirement.normalizeName(r);
            }
            if (op.equals("in")) {
                return r.contains(l);
            }
            if (op.equals("not in")) {
                return !r.contains(l);
            }
            if (VERSION_VARIABLES.contains(key())) {
                VersionSpecifier spec = versionSpecifier(op, r);
                if (spec != null && Version.isValid(l)) {
                    return spec.contains(Version.parse(l));
                }
            }
            return switch (op) {
                case "==", "<=", ">=" -> l.equals(r); // no order between strings
                case "!=" -> !l.equals(r);
                case "<", ">" -> false;
                default ->
                        throw new IllegalArgumentException(
                                "Undefined comparison in marker \""
                                        + this
                                        + "\": "
                                        + op
                                        + " between \""
                                        + l
                                        + "\" and \""
                                        + r
                                        + "\", which are not both versions");
            };
        }

        @Override
        public String toString() {
            return left + " " + op + " " + right;
        }
    }

    /** The variables PEP 508 types as versions; the others compare as strings. */
    private static final Set<String> VERSION_VARIABLES =
            Set.of(
                    "python_version",
                    "python_full_version",
                    "implementation_version",
                    "platform_release");

    /** {@code op version} as a one-clause specifier, or null when it is not one. */
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

    /** Recursive descent over PEP 508's marker grammar; positions index {@code source}. */
    private static final class Parser {
        private final String source;
        private static final int MAX_DEPTH = 32;
        private final String kind;
        private int pos;
        private int depth;

        Parser(String source, int start, String kind) {
            this.source = source;
            this.pos = start;
            this.kind = kind;
        }

        Node or() {
            List<Node> operands = new ArrayList<>(List.of(and()));
            while (keyword("or")) {
                operands.add(and());
            }
            return operands.size() == 1 ? operands.get(0) : new Or(List.copyOf(operands));
        }

        Node and() {
            List<Node> operands = new ArrayList<>(List.of(expression()));
            while (keyword("and")) {
                operands.add(expression());
            }
            return operands.size() == 1 ? operands.get(0) : new And(List.copyOf(operands));
        }

        Node expression() {
            skipSpace();
            if (peek() == '(') {
                // Metadata comes from packages: bound the recursion instead of overflowing the
                // stack.
                if (++depth > MAX_DEPTH) {
                    throw error("parentheses nested deeper than " + MAX_DEPTH);
                }
                pos++;
                Node inner = or();
                depth--;
                skipSpace();
                if (peek() != ')') {
                    throw error("expected \")\"");
                }
                pos++;
                return inner;
            }
            int start = pos;
            Operand left = operand();
            String op = operator();
            Operand right = operand();
            Compare c = new Compare(left, op, right);
            String undefined = undefined(c);
            if (undefined != null) {
                pos = start;
                throw error(undefined);
            }
            return c;
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

        /**
         * Why {@code c} can never be evaluated (PEP 508: an error, e.g. {@code "dog" ~= "fred"}),
         * or null. Checked here so that such a marker is refused when its metadata is read.
         */
        private static String undefined(Compare c) {
            if (c.left().variable() == null && c.right().variable() == null) {
                return "a comparison needs a marker variable on one side";
            }
            if (!c.op().equals("~=") && !c.op().equals("===")) {
                return null;
            }
            String problem = c.op() + " is undefined between strings that are not versions";
            if (!VERSION_VARIABLES.contains(c.key())) {
                return problem;
            }
            if (c.right().literal() != null
                    && versionSpecifier(c.op(), c.right().literal()) == null) {
                return problem;
            }
            if (c.left().literal() != null && !Version.isValid(c.left().literal())) {
                return problem;
            }
            return null;
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
