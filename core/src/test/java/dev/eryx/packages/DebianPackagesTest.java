package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture utility itself, without the network: the lock file and the cache keys. */
class DebianPackagesTest {
    @Test
    void theLockFilePinsEachPackageOnceInAKnownGroup() {
        List<DebianPackages.Entry> lock = DebianPackages.lock();
        Set<String> names = new HashSet<>();
        for (DebianPackages.Entry e : lock) {
            assertTrue(names.add(e.debName()), "pinned twice: " + e.debName());
            assertTrue(e.debName().startsWith("python3-"), e.debName());
            assertTrue(Set.of("all", "amd64").contains(e.arch()), e.toString());
            assertTrue(
                    Set.of("default", "needs-ssl", "limitation").contains(e.group()), e.toString());
            // Debian's version starts with the upstream one (after an epoch, if any).
            assertTrue(
                    e.debVersion().replaceFirst("^\\d+:", "").startsWith(e.version()),
                    e.toString());
        }
        assertTrue(names.contains("python3-requests"));
        assertEquals(
                List.of("python3-typing-extensions"),
                DebianPackages.group("limitation").stream()
                        .map(DebianPackages.Entry::debName)
                        .toList());
    }

    @Test
    void aRootIsKeyedByItsPinsNotTheirOrder() {
        List<DebianPackages.Entry> lock = DebianPackages.lock();
        List<DebianPackages.Entry> reversed = new ArrayList<>(lock);
        Collections.reverse(reversed);
        assertEquals(DebianPackages.cacheKey(lock), DebianPackages.cacheKey(reversed));
        assertNotEquals(
                DebianPackages.cacheKey(lock),
                DebianPackages.cacheKey(lock.subList(1, lock.size())));
        DebianPackages.Entry e = lock.get(0);
        var repinned =
                new DebianPackages.Entry(
                        e.debName(),
                        e.debVersion() + "+b1",
                        e.arch(),
                        e.sha256(),
                        e.distribution(),
                        e.version(),
                        e.group());
        assertNotEquals(
                DebianPackages.cacheKey(List.of(e)), DebianPackages.cacheKey(List.of(repinned)));
    }

    @Test
    void aPackageNotPinnedIsRefused() {
        var e =
                assertThrows(
                        IllegalArgumentException.class, () -> DebianPackages.of("python3-numpy"));
        assertTrue(e.getMessage().contains("python3-numpy is not pinned"), e.getMessage());
    }

    @Test
    void aPinnedVersionTheMirrorNoLongerServesFailsNamingWhatItServes(@TempDir Path cache)
            throws Exception {
        DebianPackages.Entry requests =
                DebianPackages.lock().stream()
                        .filter(e -> e.debName().equals("python3-requests"))
                        .findFirst()
                        .orElseThrow();
        var gone =
                new DebianPackages.Entry(
                        requests.debName(),
                        "0.0.1-0eryx1",
                        requests.arch(),
                        requests.sha256(),
                        requests.distribution(),
                        "0.0.1",
                        requests.group());
        // apt resolves versions from its local lists: nothing is downloaded, but apt is needed.
        AssertionError e = null;
        try {
            DebianPackages.make(new DebianPackages.Settings(cache, false), List.of(gone));
        } catch (DebianPackages.UnavailableException unavailable) {
            Assumptions.abort(unavailable.getMessage());
        } catch (AssertionError expected) {
            e = expected;
        }
        assertNotNull(e, "a vanished pin was not refused");
        assertTrue(
                e.getMessage().contains("python3-requests 0.0.1-0eryx1 (all), pinned in"),
                e.getMessage());
        assertTrue(e.getMessage().contains("is no longer served"), e.getMessage());
        assertTrue(e.getMessage().contains(requests.debVersion()), e.getMessage());
    }

    @Test
    void messagesDoNotNameTheMirror() {
        assertEquals(
                "E: Failed to fetch <mirror>/debian/pool/x.deb  Could not connect",
                DebianPackages.withoutHosts(
                        "E: Failed to fetch http://mirror.invalid/debian/pool/x.deb  Could not connect"));
    }

    @Test
    void debFileNamesFollowApt() {
        var e =
                new DebianPackages.Entry(
                        "python3-x", "1:2.0-1", "all", "0".repeat(64), "x", "2.0", "default");
        assertEquals("python3-x_1%3a2.0-1_all.deb", e.fileName());
        assertEquals("python3-x:all=1:2.0-1", e.aptSpec());
    }
}
