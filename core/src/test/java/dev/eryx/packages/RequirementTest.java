package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.packages.MarkerEnvironment;
import dev.eryx.internal.packages.Requirement;
import dev.eryx.internal.packages.Version;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequirementTest {
    private static final MarkerEnvironment WASI = MarkerEnvironment.wasi();

    @Test
    void normalizesNamesAsPep503Says() {
        String[][] cases = {
            {"Requests", "requests"},
            {"zope.interface", "zope-interface"},
            {"typing_extensions", "typing-extensions"},
            {"Foo__Bar-.-baz", "foo-bar-baz"},
            {"charset-normalizer", "charset-normalizer"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], Requirement.normalizeName(c[0]), c[0]);
        }
    }

    /** text, name, extras, specifier, url, marker (as rendered), applies to wasi, toString. */
    private static final String[][] CASES = {
        {"requests", "requests", "", "", "", "", "true", "requests"},
        {
            "charset_normalizer<4,>=2",
            "charset_normalizer",
            "",
            "<4,>=2",
            "",
            "",
            "true",
            "charset_normalizer<4,>=2"
        },
        {"idna >= 2.5 , < 4", "idna", "", ">=2.5,<4", "", "", "true", "idna>=2.5,<4"},
        {
            "coverage[toml] (>=5.3) ; extra == 'cov'",
            "coverage",
            "toml",
            ">=5.3",
            "",
            "extra == \"cov\"",
            "false",
            "coverage[toml]>=5.3; extra == \"cov\""
        },
        {"attrs[docs, tests]", "attrs", "docs,tests", "", "", "", "true", "attrs[docs,tests]"},
        {"attrs[]", "attrs", "", "", "", "", "true", "attrs"},
        {
            "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
            "PySocks",
            "",
            "!=1.5.7,>=1.5.6",
            "",
            "extra == \"socks\"",
            "false",
            "PySocks!=1.5.7,>=1.5.6; extra == \"socks\""
        },
        {
            "importlib-metadata; python_version < \"3.8\"",
            "importlib-metadata",
            "",
            "",
            "",
            "python_version < \"3.8\"",
            "false",
            "importlib-metadata; python_version < \"3.8\""
        },
        {
            "colorama; sys_platform == \"win32\"",
            "colorama",
            "",
            "",
            "",
            "sys_platform == \"win32\"",
            "false",
            "colorama; sys_platform == \"win32\""
        },
        {
            "typing-extensions>=4.6; python_version >= '3.8'",
            "typing-extensions",
            "",
            ">=4.6",
            "",
            "python_version >= \"3.8\"",
            "true",
            "typing-extensions>=4.6; python_version >= \"3.8\""
        },
        {
            "cloudpickle ; (platform_python_implementation == \"CPython\") and extra == 'tests'",
            "cloudpickle",
            "",
            "",
            "",
            "platform_python_implementation == \"CPython\" and extra == \"tests\"",
            "false",
            "cloudpickle; platform_python_implementation == \"CPython\" and extra == \"tests\""
        },
        {
            "pip @ https://files.example.invalid/pip-23.0-py3-none-any.whl",
            "pip",
            "",
            "",
            "https://files.example.invalid/pip-23.0-py3-none-any.whl",
            "",
            "true",
            "pip @ https://files.example.invalid/pip-23.0-py3-none-any.whl"
        },
        {
            "name[quux] @ file:///tmp/x.whl ; os_name == 'nt'",
            "name",
            "quux",
            "",
            "file:///tmp/x.whl",
            "os_name == \"nt\"",
            "false",
            "name[quux] @ file:///tmp/x.whl ; os_name == \"nt\""
        },
        {"  zope.interface  ", "zope.interface", "", "", "", "", "true", "zope.interface"},
        {"A", "A", "", "", "", "", "true", "A"},
        {"foo==1.0.*", "foo", "", "==1.0.*", "", "", "true", "foo==1.0.*"},
        {"foo (===weird)", "foo", "", "===weird", "", "", "true", "foo===weird"},
    };

    @Test
    void parsesPep508() {
        for (String[] c : CASES) {
            Requirement r = Requirement.parse(c[0]);
            assertEquals(c[1], r.name(), c[0]);
            assertEquals(Requirement.normalizeName(c[1]), r.normalizedName(), c[0]);
            assertEquals(
                    c[2].isEmpty() ? Set.of() : Set.copyOf(List.of(c[2].split(","))),
                    r.extras(),
                    c[0]);
            assertEquals(c[3], r.specifier().toString(), c[0]);
            assertEquals(c[4].isEmpty() ? Optional.empty() : Optional.of(c[4]), r.url(), c[0]);
            assertEquals(c[5], r.marker().map(Object::toString).orElse(""), c[0]);
            assertEquals(Boolean.parseBoolean(c[6]), r.appliesTo(WASI), c[0]);
            assertEquals(c[7], r.toString(), c[0]);
            assertEquals(r, Requirement.parse(r.toString()), c[0]);
        }
    }

    @Test
    void appliesToIgnoresTheEnvironmentsExtra() {
        Requirement socks = Requirement.parse("PySocks; extra == 'socks'");
        assertFalse(socks.appliesTo(WASI.withExtra("socks")));
        assertTrue(Requirement.parse("foo; extra == ''").appliesTo(WASI.withExtra("socks")));
    }

    @Test
    void specifierChecksInstalledVersions() {
        Requirement r = Requirement.parse("urllib3 (<3,>=1.21.1)");
        assertTrue(r.specifier().contains(Version.parse("1.26.12")));
        assertTrue(r.specifier().contains(Version.parse("2.0.0rc1"))); // installed: accepted
        assertFalse(r.specifier().contains(Version.parse("3.0")));
        assertFalse(r.specifier().contains(Version.parse("1.21")));
    }

    @Test
    void refusesMalformedRequirementsWithThePosition() {
        String[][] bad = {
            {"", "0", "expected a package name"},
            {">=1.0", "0", "expected a package name"},
            {"-foo", "0", "starts and ends with a letter or digit"},
            {"foo-", "0", "starts and ends with a letter or digit"},
            {"foo bar", "4", "expected an operator"},
            {"foo >=", "4", "expected a version after >="},
            {"foo >= 1.0 2.0", "4", "not a PEP 440 version"},
            {"foo[bar", "7", "expected \",\" or \"]\""},
            {"foo[bar baz]", "8", "expected \",\" or \"]\""},
            {"foo[,]", "4", "expected a package name"},
            {"foo (>=1.0", "4", "expected \")\""},
            {"foo (>=1.0) bar", "12", "expected \";\" or the end"},
            {"foo @", "5", "expected a URL"},
            {"foo @ http://x y", "15", "expected \";\" or the end after the URL"},
            {"foo;", "4", "expected a marker after"},
            {"foo; python_version >> '3'", "21", "expected a marker variable or a quoted string"},
            {"foo; bogus == '1'", "5", "unknown marker variable \"bogus\""},
            {"foo>=1.0; os_name == 'nt' junk", "26", "expected \"and\", \"or\" or the end"},
            {"foo ~= 1", "4", "at least two release segments"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> Requirement.parse(b[0]), b[0]);
            String msg = e.getMessage();
            assertTrue(
                    msg.startsWith("Invalid requirement \"" + b[0] + "\" at position " + b[1] + " ")
                            || msg.startsWith(
                                    "Invalid requirement \""
                                            + b[0]
                                            + "\" at position "
                                            + b[1]
                                            + ":"),
                    msg);
            assertTrue(msg.contains(b[2]), msg);
        }
    }
}
