package dev.eryx.internal.wasi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.eryx.internal.vfs.Vfs;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real wasi-libc programs (sources and build script next to the .wasm files) under our WASI. */
class WasiFixturesTest {
    static WasmModule fixture(String name) throws IOException {
        try (InputStream in =
                WasiFixturesTest.class.getResourceAsStream("/wasi-fixtures/" + name)) {
            return Parser.parse(in);
        }
    }

    @Test
    void fileOperationsBehaveLikePosix() throws Exception {
        Vfs vfs = Vfs.builder().build();
        GuestRun run = new GuestRun();
        List<Long> sleeps = new java.util.ArrayList<>();
        WasiConfig config =
                run.capture(WasiConfig.builder())
                        .vfs(vfs)
                        .args(List.of("fs_ops", "first"))
                        .env("ERYX_TEST", "yes")
                        .wallClock(
                                Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC))
                        .monotonicNanos(
                                () -> 5) // frozen source: the guest clock must still advance
                        .randomSeed(7)
                        .sleeper(sleeps::add)
                        .build();
        run.run(fixture("fs_ops.wasm"), config);
        String out = run.out();
        assertEquals(3, run.exitCode, out + run.err());
        assertEquals("to-stderr\n", run.err());
        for (String line : out.split("\n")) {
            if (!line.contains("=")) {
                assertTrue(line.endsWith(" ok"), "fixture check failed: " + line + "\n" + out);
            }
        }
        assertTrue(out.contains("argc=2 argv1=first env=yes\n"), out);
        assertTrue(out.contains("read=hello eryx\n"), out);
        assertTrue(out.contains("size=16 isreg=1\n"), out);
        assertTrue(out.contains("lseek-end=16\nlseek-set=6\npread-ish=eryx\n"), out);
        assertTrue(out.contains("readlink=b.txt\n"), out);
        assertTrue(out.contains("entries=.,..,b.txt,link,loop1,loop2,sub\n"), out);
        assertTrue(out.contains("realtime=1700000000\n"), out);
        assertEquals(List.of(1_000_000L), sleeps);
        assertTrue(vfs.exists("/work/rel.txt"));
        assertFalse(vfs.exists("/work/b.txt"));

        // Same seed, same bytes.
        GuestRun again = new GuestRun();
        again.run(
                fixture("fs_ops.wasm"),
                again.capture(WasiConfig.builder())
                        .vfs(Vfs.builder().build())
                        .args(List.of("fs_ops"))
                        .randomSeed(7)
                        .sleeper(n -> {})
                        .build());
        assertEquals(line(out, "random="), line(again.out(), "random="));
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void descriptorExhaustionIsEmfile() throws Exception {
        GuestRun run = new GuestRun();
        run.run(
                fixture("many_fds.wasm"),
                run.capture(WasiConfig.builder())
                        .vfs(Vfs.builder().build())
                        .maxOpenFiles(64)
                        .build());
        assertEquals(0, run.exitCode, run.err());
        assertEquals("opened=60 emfile=1\n", run.out());
    }
}
