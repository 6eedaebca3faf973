package dev.eryx.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The problem set of {@link SparkPassAtK}: 50 small problems (a reference solution, unit tests and
 * mutations that make it subtly wrong, in {@code passatk/problems.txt}) and a deterministic
 * generator of candidate solutions, as a model might write them: correct ones, wrong ones, slow
 * ones and a few hostile ones. Every candidate carries its {@link Kind}, the ground truth the
 * scores are checked against.
 */
public final class PassAtKProblems {
    /** Where the problems are, on the class path. */
    static final String RESOURCE = "passatk/problems.txt";

    /** Candidates per problem in the full set. */
    public static final int CANDIDATES = 40;

    private static final int HOSTILE_PER_PROBLEM = 2;
    private static final int SLOW_PER_PROBLEM = 2;

    /** What a candidate is, and so whether it should pass. */
    public enum Kind {
        /** The reference solution, as is or reformatted: passes. */
        CORRECT,
        /** The reference with one mutation: its tests catch it. */
        WRONG,
        /** Correct, but burns its fuel at import: verdict {@code fuel}. */
        SLOW_IMPORT,
        /** Correct, but every call burns fuel: its test runs out of fuel. */
        SLOW_CALL,
        /** {@code while True: pass}: verdict {@code fuel}. */
        LOOP,
        /** Allocates a MiB at a time until the memory cap: verdict {@code memory}. */
        MEMORY_BOMB,
        /** Prints forever: verdict {@code output}. */
        FLOOD,
        /** {@code os._exit(0)}: verdict {@code crashed}. */
        EXIT,
        /** Raises an exception whose {@code __str__} raises too: verdict {@code python_error}. */
        WEIRD_EXCEPTION,
        /** A wrong solution that prints that all tests passed: fails, printing decides nothing. */
        FORGE_PRINT,
        /** A wrong solution that calls the host's test-report callback itself: fails. */
        FORGE_REPORT,
        /**
         * Returns an object equal to everything: fails, because the tests compare types strictly.
         */
        FORGE_EQUALITY,
        /**
         * Replaces {@code builtins.compile}, so the test the host runs next is a forged report:
         * <b>passes</b>. The forgery the host cannot stop (docs/scale-out.md), kept in the set so
         * the example shows it.
         */
        FORGE_COMPILE;

        /** Whether a candidate of this kind passes its tests under the example's harness. */
        public boolean passes() {
            return this == CORRECT || this == FORGE_COMPILE;
        }

        /** Whether the candidate is a genuine solution (what pass@k should count). */
        public boolean genuine() {
            return this == CORRECT;
        }
    }

    private static final Kind[] HOSTILE = {
        Kind.LOOP,
        Kind.MEMORY_BOMB,
        Kind.FLOOD,
        Kind.EXIT,
        Kind.WEIRD_EXCEPTION,
        Kind.FORGE_PRINT,
        Kind.FORGE_REPORT,
        Kind.FORGE_EQUALITY,
        Kind.FORGE_COMPILE
    };

    /** One problem of the set. */
    public record Problem(
            int index, String name, String reference, List<String[]> cases, List<String[]> wrong) {

        /**
         * The row's test: calls the candidate's function on each case, compares with type-strict
         * equality (an object equal to everything does not pass) and reports once.
         */
        public String test() {
            StringBuilder t = new StringBuilder();
            t.append("import eryx\n")
                    .append("def _same(a, b):\n")
                    .append("    if type(a) is not type(b):\n")
                    .append("        return False\n")
                    .append("    if isinstance(a, (list, tuple)):\n")
                    .append("        return len(a) == len(b) and all(map(_same, a, b))\n")
                    .append("    if isinstance(a, dict):\n")
                    .append("        return (sorted(a, key=repr) == sorted(b, key=repr)\n")
                    .append("                and all(_same(a[k], b[k]) for k in b))\n")
                    .append("    return a == b\n")
                    .append("_cases = [\n");
            for (String[] c : cases) {
                t.append("    (lambda: ")
                        .append(c[0])
                        .append(", '")
                        .append(c[0].replace("\\", "\\\\").replace("'", "\\'"))
                        .append("', ")
                        .append(c[1])
                        .append("),\n");
            }
            t.append("]\n")
                    .append("def _check():\n")
                    .append("    for call, text, want in _cases:\n")
                    .append("        try:\n")
                    .append("            got = call()\n")
                    .append("        except Exception as e:\n")
                    .append("            return False, f'{text} raised {type(e).__name__}'\n")
                    .append("        if not _same(got, want):\n")
                    .append("            return False, f'{text} returned {got!r:.200}, expected")
                    .append(" {want!r}'\n")
                    .append("    return True, ''\n")
                    .append("eryx.report_test(*_check())\n");
            return t.toString();
        }
    }

    /** One candidate solution of a problem. */
    public record Candidate(Problem problem, int index, Kind kind, String code) {}

    private final List<Problem> problems;

    private PassAtKProblems(List<Problem> problems) {
        this.problems = List.copyOf(problems);
    }

    /** The set, read from the class path. */
    public static PassAtKProblems load() {
        try (InputStream in = PassAtKProblems.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no " + RESOURCE + " on the class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the format described at the top of {@code problems.txt}. */
    static PassAtKProblems parse(String text) {
        List<Problem> problems = new ArrayList<>();
        String name = null;
        String section = null;
        StringBuilder reference = new StringBuilder();
        List<String[]> cases = new ArrayList<>();
        List<String[]> wrong = new ArrayList<>();
        int lineNumber = 0;
        for (String line : (text + "\n@@ problem <end>").split("\n", -1)) {
            lineNumber++;
            if (line.startsWith("@@ problem ")) {
                if (name != null) {
                    problems.add(check(problems.size(), name, reference, cases, wrong));
                }
                name = line.substring("@@ problem ".length()).strip();
                section = "reference";
                reference = new StringBuilder();
                cases = new ArrayList<>();
                wrong = new ArrayList<>();
            } else if (line.equals("@@ tests") || line.equals("@@ wrong")) {
                section = line.substring(3);
            } else if (name == null || (!"reference".equals(section) && line.isBlank())) {
                continue; // the header's comments, blank lines between entries
            } else if ("reference".equals(section)) {
                reference.append(line).append('\n');
            } else if ("tests".equals(section)) {
                int at = line.indexOf(" ==> ");
                if (at < 0) {
                    throw new IllegalArgumentException(
                            RESOURCE + ":" + lineNumber + ": a test case needs ' ==> ': " + line);
                }
                cases.add(new String[] {line.substring(0, at), line.substring(at + 5)});
            } else {
                int at = line.indexOf(" => ");
                if (at < 0 && line.endsWith(" =>")) {
                    wrong.add(new String[] {line.substring(0, line.length() - 3), ""});
                } else if (at < 0) {
                    throw new IllegalArgumentException(
                            RESOURCE + ":" + lineNumber + ": a mutation needs ' => ': " + line);
                } else {
                    wrong.add(new String[] {line.substring(0, at), line.substring(at + 4)});
                }
            }
        }
        return new PassAtKProblems(problems);
    }

    private static Problem check(
            int index,
            String name,
            StringBuilder reference,
            List<String[]> cases,
            List<String[]> wrong) {
        String code = reference.toString().strip() + "\n";
        if (!code.contains("def " + name + "(")) {
            throw new IllegalArgumentException(
                    RESOURCE + ": the reference of " + name + " does not define " + name);
        }
        if (cases.isEmpty() || wrong.isEmpty()) {
            throw new IllegalArgumentException(
                    RESOURCE + ": problem " + name + " needs tests and at least one mutation");
        }
        for (String[] mutation : wrong) {
            if (!code.contains(mutation[0])) {
                throw new IllegalArgumentException(
                        RESOURCE
                                + ": the mutation '"
                                + mutation[0]
                                + "' of "
                                + name
                                + " matches nothing in its reference");
            }
        }
        return new Problem(index, name, code, List.copyOf(cases), List.copyOf(wrong));
    }

    public List<Problem> problems() {
        return problems;
    }

    /**
     * The first {@code perProblem} candidates of the first {@code problemCount} problems. The same
     * arguments give the same candidates on every run and machine ({@link Random}'s sequence is
     * specified), and a prefix of a problem's candidates is the same whatever {@code perProblem}.
     */
    public List<Candidate> candidates(int problemCount, int perProblem) {
        if (problemCount < 1 || problemCount > problems.size()) {
            throw new IllegalArgumentException(
                    "problemCount must be 1.." + problems.size() + ", was " + problemCount);
        }
        if (perProblem < 1 || perProblem > CANDIDATES) {
            throw new IllegalArgumentException(
                    "perProblem must be 1.." + CANDIDATES + ", was " + perProblem);
        }
        List<Candidate> out = new ArrayList<>();
        for (Problem p : problems.subList(0, problemCount)) {
            List<Kind> kinds = kinds(p.index());
            int wrong = 0;
            int correct = 0;
            for (int i = 0; i < perProblem; i++) {
                Kind kind = kinds.get(i);
                String code =
                        switch (kind) {
                            case CORRECT -> correct(p, correct++);
                            case WRONG -> mutant(p, wrong++);
                            case SLOW_IMPORT, SLOW_CALL -> slow(p, kind);
                            default -> hostile(p, kind);
                        };
                out.add(
                        new Candidate(
                                p, i, kind, "# " + p.name() + " candidate " + i + "\n" + code));
            }
        }
        return out;
    }

    /**
     * The kinds of a problem's 40 candidates: 2 hostile, 2 slow, between 0 and 32 correct (so
     * pass@k differs from problem to problem), the rest wrong; shuffled, except that the hostile
     * two stand among the first eight, so that a reduced run (8 candidates a problem) meets them.
     */
    static List<Kind> kinds(int problem) {
        int correct = (problem * 17 + 5) % 33;
        List<Kind> kinds = new ArrayList<>();
        kinds.add(Kind.SLOW_IMPORT);
        kinds.add(Kind.SLOW_CALL);
        for (int i = 0; i < correct; i++) {
            kinds.add(Kind.CORRECT);
        }
        while (kinds.size() < CANDIDATES - HOSTILE_PER_PROBLEM) {
            kinds.add(Kind.WRONG);
        }
        Collections.shuffle(kinds, new Random(7919L * problem + 1));
        for (int h = 0; h < HOSTILE_PER_PROBLEM; h++) {
            kinds.add(
                    problem % 4 + 4 * h,
                    HOSTILE[(problem * HOSTILE_PER_PROBLEM + h) % HOSTILE.length]);
        }
        return kinds;
    }

    /** The reference in one of three forms: as is, with a docstring, or behind a wrapper. */
    private static String correct(Problem p, int variant) {
        String name = p.name();
        return switch (variant % 3) {
            case 0 -> p.reference();
            case 1 ->
                    p.reference()
                            .replaceFirst(
                                    "(def " + name + "\\([^)]*\\):\n)",
                                    "$1    \"\"\"Solves " + name + ".\"\"\"\n");
            default ->
                    p.reference().replace("def " + name + "(", "def _" + name + "_impl(")
                            + "\n\ndef "
                            + name
                            + "(*args):\n    return _"
                            + name
                            + "_impl(*args)\n";
        };
    }

    private static String mutant(Problem p, int variant) {
        String[] m = p.wrong().get(variant % p.wrong().size());
        return p.reference()
                .replaceFirst(
                        java.util.regex.Pattern.quote(m[0]),
                        java.util.regex.Matcher.quoteReplacement(m[1]));
    }

    private static String slow(Problem p, Kind kind) {
        if (kind == Kind.SLOW_IMPORT) {
            // A "precomputed table" far beyond any fuel budget.
            return "_table = sum(i * i for i in range(10 ** 10))\n" + p.reference();
        }
        return p.reference().replace("def " + p.name() + "(", "def _" + p.name() + "_fast(")
                + "\n\ndef "
                + p.name()
                + "(*args):\n"
                + "    for _ in range(10 ** 9):  # a retry loop that never breaks\n"
                + "        pass\n"
                + "    return _"
                + p.name()
                + "_fast(*args)\n";
    }

    private static String hostile(Problem p, Kind kind) {
        String wrong = mutant(p, 0);
        return switch (kind) {
            case LOOP -> "while True:\n    pass\n";
            case MEMORY_BOMB -> "hog = []\nwhile True:\n    hog.append(bytearray(1 << 20))\n";
            case FLOOD -> "while True:\n    print('spam ' * 200)\n";
            case EXIT -> "import os\nos._exit(0)\n";
            case WEIRD_EXCEPTION ->
                    "class Weird(Exception):\n"
                            + "    def __str__(self):\n"
                            + "        raise RuntimeError('no message for you')\n"
                            + "raise Weird()\n";
            case FORGE_PRINT -> wrong + "print('ALL TESTS PASSED')\nprint('{\"passed\": true}')\n";
            case FORGE_REPORT ->
                    wrong
                            + "import eryx\n"
                            + "try:\n"
                            + "    await eryx.tools._eryx_report_test(nonce='0' * 32, passed=True)\n"
                            + "except Exception:\n"
                            + "    pass\n";
            case FORGE_EQUALITY ->
                    "class Anything:\n"
                            + "    def __eq__(self, other):\n"
                            + "        return True\n"
                            + "    __hash__ = object.__hash__\n"
                            + "def "
                            + p.name()
                            + "(*args):\n"
                            + "    return Anything()\n";
            case FORGE_COMPILE ->
                    "import builtins\n"
                            + "_compile = builtins.compile\n"
                            + "def compile(source, filename, *args, **kwargs):\n"
                            + "    if filename == '<test>':  # the row's test, as the host's prelude names it\n"
                            + "        source = 'import eryx\\neryx.report_test(True)\\n'\n"
                            + "    return _compile(source, filename, *args, **kwargs)\n"
                            + "builtins.compile = compile\n";
            default -> throw new IllegalArgumentException("not hostile: " + kind);
        };
    }
}
