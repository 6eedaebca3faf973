package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.packages.Version;
import dev.eryx.internal.packages.VersionSpecifier;
import org.junit.jupiter.api.Test;

class VersionSpecifierTest {
    /** specifier, versions it contains, versions it does not ("|"-separated). */
    private static final String[][] CASES = {
        {"", "0|1.0|2.0rc1|1.0+local|1!5", ""},
        {">=1.2,<2", "1.2|1.2.0|1.5|1.9.9|1.2.post1|1.3a1", "1.1|2|2.0|1.2rc1|2.0rc1|2.0.dev1"},
        {" >= 1.2 , < 2 ", "1.5", "2.1"},
        {"==1.*", "1|1.0|1.9.9|1.5rc1|1.0.post1|1.0+local", "2.0|0.9|1!1.0"},
        {"==1.0.*", "1|1.0|1.0.0|1.0.5|1.0rc1|1.0.5+x", "1.1|10.0"},
        {"!=1.3.*", "1.2|1.4|13.0|1.30", "1.3|1.3.0|1.3.5|1.3a1|1.3.0.post1"},
        {"~=1.4.5", "1.4.5|1.4.6|1.4.99|1.4.5.post1|1.4.6a1", "1.4.4|1.5|1.5.0|2.0|1.4.5rc1"},
        {"~=2.2", "2.2|2.3|2.99|2.2.post3", "2.1|3.0|3"},
        {"~=1.4.5a4", "1.4.5a4|1.4.5|1.4.9", "1.4.5a3|1.5"},
        {"~=1!2.0", "1!2.0|1!2.5", "2.5|2!2.0"},
        {"==1.0", "1|1.0|1.0.0|1.0+local|1.0+ubuntu.1", "1.0.post1|1.0rc1|1.0.1"},
        {"==1.0+local", "1.0+local|1.0.0+LOCAL", "1.0|1.0+other"},
        {"!=1.0", "1.1|1.0.post1", "1.0|1.0+x"},
        {"===1.0RC1", "1.0rc1|1.0RC1", "1.0.0rc1"},
        {"===foobar", "", "1.0"},
        {"<2", "1.9|1.0a1|1.9.post1|0", "2|2.0rc1|2.0.dev1|2.0.post1"},
        {"<2.0rc1", "2.0b1|2.0.dev0", "2.0rc1|2.0"},
        {">1", "1.1|2|1.1.dev0|1.1a1", "1|1.0|1.post1|1.0+local|1.0.post1+l"},
        {">1.post1", "1.post2|1.1", "1.post1"},
        {">1.0a1", "1.0a2+local|1.0a2.post1|1.0", "1.0a1+local|1.0a1.post1"},
        {">1.0.dev0", "1.0.post2|1.0a1", "1.0.dev0+x"},
        {"<1.post2", "1rc1|1.0|1.post1|1.post1.dev0", "1.post2.dev0|1.post2.dev5"},
        {"<=1.0", "1.0|1.0+local|0.9|1.0rc1", "1.0.post1|1.1"},
        {">=1.0", "1.0|1.0+local|1.0.post1", "1.0rc1|0.9"},
        {">=1.0rc1", "1.0rc1|1.0", "1.0b9"},
        {">=1!0.1", "1!0.1|1!3", "5.0"},
    };

    @Test
    void containsAsPep440Says() {
        for (String[] c : CASES) {
            VersionSpecifier spec = VersionSpecifier.parse(c[0]);
            for (String v : split(c[1])) {
                assertTrue(spec.contains(Version.parse(v)), "'" + c[0] + "' contains " + v);
            }
            for (String v : split(c[2])) {
                assertTrue(!spec.contains(Version.parse(v)), "'" + c[0] + "' excludes " + v);
            }
        }
    }

    @Test
    void rendersClauses() {
        assertEquals(">=1.2,<2", VersionSpecifier.parse(" >= 1.2 ,< 2 ").toString());
        assertEquals("", VersionSpecifier.parse("  ").toString());
        assertTrue(VersionSpecifier.parse("").isAny());
        assertEquals(">=1.0", VersionSpecifier.parse(">=1.0, ").toString()); // PEP 508 allows it
        assertEquals(VersionSpecifier.parse(">=1,<2"), VersionSpecifier.parse(">= 1, <2"));
    }

    @Test
    void refusesMalformedSpecifiers() {
        String[][] bad = {
            {"1.0", "expected an operator"},
            {">=", "expected a version after >="},
            {">=1.0,,a", "expected an operator"},
            {"=>1.0", "expected an operator"},
            {"==1.0.*.*", "not a PEP 440 version"},
            {">=1.*", "only with == and !="},
            {"~=1.*", "only with == and !="},
            {"~=1", "at least two release segments"},
            {"<1.0+local", "local version label"},
            {"==1.0+local.*", "may follow only the release"},
            {"==1.0a1.*", "may follow only the release"},
            {"!=1.0.post1.*", "may follow only the release"},
            {"~=1.0+x", "local version label"},
            {"==1.0 a", "not a PEP 440 version"},
            {"===a b", "white space"},
            {">=foo", "not a PEP 440 version"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> VersionSpecifier.parse(b[0]),
                            b[0]);
            assertTrue(e.getMessage().contains("\"" + b[0] + "\""), e.getMessage());
            assertTrue(e.getMessage().contains(b[1]), e.getMessage());
        }
    }

    private static String[] split(String s) {
        return s.isEmpty() ? new String[0] : s.split("\\|");
    }
}
