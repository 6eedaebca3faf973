package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.packages.Version;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionTest {
    /** Strictly increasing, PEP 440's examples included; equal-ordering pairs are tested below. */
    private static final String[] ORDER = {
        "1.0.dev0",
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.0.15",
        "1.1.dev1",
        "1.1",
        "2.0",
        "10.0",
        "1!0.1",
        "1!1.0",
        "2!0.0.dev0",
    };

    @Test
    void ordersAsPep440Says() {
        for (int i = 0; i + 1 < ORDER.length; i++) {
            Version a = Version.parse(ORDER[i]);
            Version b = Version.parse(ORDER[i + 1]);
            assertTrue(a.compareTo(b) < 0, a + " < " + b);
            assertTrue(b.compareTo(a) > 0, b + " > " + a);
            assertNotEquals(a, b);
        }
        List<Version> shuffled = new ArrayList<>();
        for (String s : ORDER) {
            shuffled.add(Version.parse(s));
        }
        Collections.shuffle(shuffled, new Random(16));
        Collections.sort(shuffled);
        assertEquals(List.of(ORDER), shuffled.stream().map(Version::toString).toList());
    }

    @Test
    void normalizesSpellings() {
        String[][] cases = {
            {"1.0RC1", "1.0rc1"},
            {"1.0c1", "1.0rc1"},
            {"1.0-pre.1", "1.0rc1"},
            {"1.0preview2", "1.0rc2"},
            {"1.0alpha", "1.0a0"},
            {"1.0.BETA-3", "1.0b3"},
            {"1.0-post1", "1.0.post1"},
            {"1.0_post_1", "1.0.post1"},
            {"1.0rev2", "1.0.post2"},
            {"1.0r", "1.0.post0"},
            {"1.0-1", "1.0.post1"},
            {"1.0.post", "1.0.post0"},
            {"1.0dev", "1.0.dev0"},
            {"1.0-dev-7", "1.0.dev7"},
            {"v1.0", "1.0"},
            {"V2", "2"},
            {" 1.0 \n", "1.0"},
            {"01.002.0003", "1.2.3"},
            {"0!1.0", "1.0"},
            {"3!1.0", "3!1.0"},
            {"1.0+Ubuntu-1_A", "1.0+ubuntu.1.a"},
            {"1.0+007", "1.0+7"},
            {"1.2.3a1.post2.dev3+x", "1.2.3a1.post2.dev3+x"},
            {"99999999999999999999999.1", "99999999999999999999999.1"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], Version.parse(c[0]).toString(), c[0]);
            assertEquals(Version.parse(c[1]), Version.parse(c[0]), c[0]);
        }
    }

    @Test
    void equalityIgnoresTrailingZerosAndIsConsistentWithHashCode() {
        String[][] equal = {{"1.0", "1"}, {"1.0.0", "1"}, {"1!1.0", "1!1"}, {"1.0a1", "1.0.0a1"}};
        for (String[] e : equal) {
            Version a = Version.parse(e[0]);
            Version b = Version.parse(e[1]);
            assertEquals(0, a.compareTo(b));
            assertEquals(a, b);
            assertEquals(a.hashCode(), b.hashCode());
        }
        assertNotEquals(Version.parse("1.0"), Version.parse("1.0+local"));
        assertNotEquals(Version.parse("1.0"), Version.parse("1.0.post0"));
        assertNotEquals(Version.parse("1.0a0"), Version.parse("1.0b0"));
    }

    @Test
    void prereleasesAndParts() {
        assertTrue(Version.parse("1.0a1").isPrerelease());
        assertTrue(Version.parse("1.0rc1").isPrerelease());
        assertTrue(Version.parse("1.0.dev0").isPrerelease());
        assertTrue(Version.parse("1.0.post1.dev0").isPrerelease());
        assertFalse(Version.parse("1.0").isPrerelease());
        assertFalse(Version.parse("1.0.post1").isPrerelease());
        assertFalse(Version.parse("1.0+rc1").isPrerelease());
        assertEquals("1!2.0", Version.parse("1!2.0rc1.post3+x").baseVersion().toString());
        assertEquals("2.0rc1", Version.parse("2.0rc1+x").publicVersion().toString());
        assertEquals("1.0RC1", Version.parse("1.0RC1").text());
    }

    @Test
    void lengthIsBoundedSoThatHostileMetadataCannotOverflowTheStack() {
        String release = "1" + ".0".repeat(255); // 511 characters
        assertEquals(Version.parse("1"), Version.parse(release));
        assertTrue(Version.parse("1+" + "a.".repeat(254) + "b").hasLocal());
        for (String tooLong : new String[] {release + ".0", "1" + ".0".repeat(50_000)}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Version.parse(tooLong));
            assertTrue(e.getMessage().contains("longer than 512 characters"), e.getMessage());
            assertFalse(Version.isValid(tooLong));
        }
    }

    @Test
    void refusesWhatIsNotPep440() {
        for (String bad :
                new String[] {
                    "",
                    " ",
                    "1.",
                    ".1",
                    "1..0",
                    "a",
                    "1.0-",
                    "1.0+",
                    "1.0+a..b",
                    "1.0 0",
                    "1,0",
                    "1.0a1a2",
                    "1.0.post1.post2",
                    "1.0-final",
                    "2.0.0-SNAPSHOT",
                    "1!",
                    "!1",
                    "1.*",
                    "1.0+ü",
                    "vv1"
                }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Version.parse(bad), bad);
            assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
            assertFalse(Version.isValid(bad), bad);
        }
    }
}
