package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.packages.Marker;
import dev.eryx.internal.packages.MarkerEnvironment;
import org.junit.jupiter.api.Test;

class MarkerTest {
    private static final MarkerEnvironment WASI = MarkerEnvironment.wasi();

    /** marker, value in {@link MarkerEnvironment#wasi()}. */
    private static final Object[][] CASES = {
        {"sys_platform == 'wasi'", true},
        {"sys_platform == \"win32\"", false},
        {"sys_platform != 'win32'", true},
        {"platform_machine == 'wasm32'", true},
        {"extra == \"socks\"", false},
        {"extra == ''", true},
        {"extra != 'socks'", true},
        {"python_version >= \"3.8\"", true},
        {"python_version >= '3'", true},
        {"python_version < \"3.8\"", false},
        {"python_version > '3.9'", true}, // as versions; "3.14" > "3.9" is false as strings
        {"python_version == '3.14'", true},
        {"python_version == '3.14.0'", true},
        {"python_version == '3.*'", true},
        {"python_version ~= '3.10'", true},
        {"python_version ~= '3.10.0'", false},
        {"python_full_version >= '3.14.7'", true},
        {"python_full_version < '3.14.7'", false},
        {"implementation_version >= '3.14'", true},
        {"'3.8' <= python_version", true},
        {"'3.15' <= python_version", false},
        {"'wasi' == sys_platform", true},
        {"os_name == 'nt'", false},
        {"os_name == 'posix'", true},
        {"platform_system == 'Windows'", false},
        {"platform_system != 'Darwin'", true},
        {"implementation_name == 'cpython'", true},
        {"platform_python_implementation == 'CPython'", true},
        {"platform_python_implementation == 'PyPy'", false},
        {"platform_release >= '0'", true},
        {"'linux' in sys_platform", false},
        {"'was' in sys_platform", true},
        {"sys_platform in 'wasi emscripten'", true},
        {"'win' not in sys_platform", true},
        {"sys_platform not in 'win32 cygwin'", true},
        {"os_name == 'nt' or sys_platform == 'wasi'", true},
        {"os_name == 'nt' and sys_platform == 'wasi'", false},
        // "and" binds tighter than "or".
        {"sys_platform == 'wasi' or os_name == 'nt' and python_version < '3'", true},
        {"(sys_platform == 'wasi' or os_name == 'nt') and python_version < '3'", false},
        {"os_name == 'nt' and python_version < '3' or sys_platform == 'wasi'", true},
        {"os_name == 'nt' and (python_version < '3' or sys_platform == 'wasi')", false},
        {"((sys_platform=='wasi'))and(extra=='')", true},
        {
            "(os_name != \"nt\" or python_version >= \"3\") and platform_python_implementation == \"CPython\"",
            true
        },
        {"extra == 'Use_Chardet.On-Py3'", false},
        {"sys.platform == 'wasi' and os.name == 'posix'", true}, // the dotted names of old metadata
        // String-typed variables: no order, so <= and >= test equality and < and > are false.
        {"platform_machine < 'x86'", false},
        {"platform_machine > 'a'", false},
        {"platform_system <= 'wasi'", true},
        {"platform_system >= 'a'", false},
        {
            "platform_version >= '0'", false
        }, // a String variable, even when its value looks like a version
        {"platform_version == '0.0.0'", true},
        // Version-typed variables against a literal that is not a version: the same rules.
        {"python_version == 'abc'", false},
        {"python_version != 'abc'", true},
        {"python_version < 'abc'", false},
        {
            "python_version <= ' 3.14 '", true
        }, // as a specifier clause, white space around the version is allowed
        {"python_version === '3.14'", true},
        {"python_full_version === '3.14.7'", true},
        {"python_version > os_name", false}, // two variables: typed by the left one
    };

    @Test
    void evaluatesInTheWasiEnvironment() {
        for (Object[] c : CASES) {
            Marker m = Marker.parse((String) c[0]);
            assertEquals(c[1], m.evaluate(WASI), (String) c[0]);
            // The rendering parses back to the same marker.
            Marker again = Marker.parse(m.toString());
            assertEquals(m, again, m.toString());
            assertEquals(c[1], again.evaluate(WASI), m.toString());
        }
    }

    @Test
    void extraNamesCompareNormalized() {
        MarkerEnvironment socks = WASI.withExtra("Socks");
        assertTrue(Marker.parse("extra == 'socks'").evaluate(socks));
        assertTrue(
                Marker.parse("extra == 'use-chardet-on-py3'")
                        .evaluate(WASI.withExtra("use_chardet_on_py3")));
    }

    @Test
    void anUndefinedComparisonFailsAtEvaluationWhenOnlyTheEnvironmentShowsIt() {
        MarkerEnvironment linux =
                new MarkerEnvironment(
                        "posix",
                        "linux",
                        "x86_64",
                        "Linux",
                        "6.1.0-18-amd64",
                        "#1 SMP",
                        "3.11",
                        "3.11.2",
                        "cpython",
                        "3.11.2",
                        "CPython",
                        "");
        assertEquals(false, Marker.parse("platform_release >= '6'").evaluate(linux));
        assertEquals(true, Marker.parse("platform_release == '6.1.0-18-amd64'").evaluate(linux));
        Marker compatible = Marker.parse("platform_release ~= '6.1'");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> compatible.evaluate(linux));
        assertTrue(e.getMessage().contains("platform_release ~= \"6.1\""), e.getMessage());
        assertTrue(compatible.evaluate(WASI.withExtra("")) == false);
    }

    @Test
    void hostileSizesGiveAnswersOrClearErrorsNotStackOverflows() {
        String chain = "sys_platform == 'x' or ".repeat(20_000) + "os_name == 'posix'";
        assertTrue(Marker.parse(chain).evaluate(WASI));
        String ands = "os_name == 'posix' and ".repeat(20_000) + "sys_platform == 'x'";
        assertEquals(false, Marker.parse(ands).evaluate(WASI));
        assertTrue(
                Marker.parse("(".repeat(32) + "os_name == 'posix'" + ")".repeat(32))
                        .evaluate(WASI));
        String deep = "(".repeat(10_000) + "os_name == 'posix'" + ")".repeat(10_000);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Marker.parse(deep));
        assertTrue(
                e.getMessage().contains("nested deeper than 32"), e.getMessage().substring(0, 40));
    }

    @Test
    void rendersWithNeededParenthesesOnly() {
        assertEquals(
                "(os_name == \"nt\" or python_version >= \"3\") and extra == \"x\"",
                Marker.parse("(os_name=='nt' or (python_version>='3')) and extra=='x'").toString());
        assertEquals(
                "sys_platform == 'a\"b' or os_name != \"c\"",
                Marker.parse("sys_platform == 'a\"b' or os_name != \"c\"").toString());
        assertEquals(
                "sys_platform not in \"win32\"",
                Marker.parse("sys_platform  not   in 'win32'").toString());
    }

    @Test
    void refusesMalformedMarkersAtParse() {
        String[][] bad = {
            {"", "0", "expected a marker variable or a quoted string"},
            {"python_version", "14", "expected a comparison operator"},
            {"python_version >= ", "18", "expected a marker variable or a quoted string"},
            {"python_version >= '3.8", "18", "unterminated string"},
            {"python_versio >= '3.8'", "0", "unknown marker variable \"python_versio\""},
            {"platform == 'x'", "0", "unknown marker variable \"platform\""},
            {"os_name = 'nt'", "8", "expected a comparison operator"},
            {"os_name == 'nt' and", "19", "expected a marker variable or a quoted string"},
            {"os_name == 'nt' xor os_name == 'x'", "16", "expected \"and\", \"or\" or the end"},
            {"(os_name == 'nt'", "16", "expected \")\""},
            {"os_name == 'nt')", "15", "expected \"and\", \"or\" or the end"},
            {"os_name notin 'nt'", "8", "expected a comparison operator"},
            {"os_name == nt", "11", "unknown marker variable \"nt\""},
            {"os_name == 'a' or 'a' == 'a'", "18", "needs a marker variable"},
            {"sys_platform ~= 'wasi'", "0", "~= is undefined"},
            {"python_version ~= 'surprise'", "0", "~= is undefined"},
            {"python_version ~= '3'", "0", "~= is undefined"}, // ~= needs two release segments
            {"'dog' ~= python_version", "0", "~= is undefined"},
            {"platform_version === '0.0.0'", "0", "=== is undefined"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Marker.parse(b[0]), b[0]);
            String msg = e.getMessage();
            assertTrue(
                    msg.startsWith("Invalid marker \"" + b[0] + "\" at position " + b[1] + " "),
                    msg);
            assertTrue(msg.contains(b[2]), msg);
        }
    }
}
