package dev.eryx.internal.wasi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.eryx.internal.vfs.ReadOnlyLayer;
import dev.eryx.internal.vfs.Vfs;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of the WASI layer: real CPython starting and importing under it. Runs only
 * where the early build exists (it is not committed yet); Chicory's interpreter makes it slow.
 */
class CPythonSmokeTest {
  private static final Path EARLY = Path.of("/tmp/eryx-early");

  @org.junit.jupiter.api.io.TempDir Path hostDir;

  @Test
  void pythonStartsImportsAndListsRoot() throws Exception {
    assumeTrue(Files.exists(EARLY.resolve("python.wasm")) && Files.exists(EARLY.resolve("stdlib.zip")),
        "no early CPython build at " + EARLY);
    ReadOnlyLayer stdlib;
    try (InputStream in = Files.newInputStream(EARLY.resolve("stdlib.zip"))) {
      stdlib = ReadOnlyLayer.fromZip(in);
    }
    WasmModule module = Parser.parse(EARLY.resolve("python.wasm"));
    Vfs vfs = Vfs.builder().build();
    vfs.mount(stdlib, "/usr/local/lib/python3.14");
    Files.writeString(hostDir.resolve("in.txt"), "from host");
    vfs.mount(hostDir, "/data", false);
    GuestRun run = new GuestRun();
    WasiConfig config = run.capture(WasiConfig.builder())
        .vfs(vfs)
        .args(List.of("python", "-c",
            "import sys, os, json; print(sys.version); print(os.listdir('/'));"
                + " open('/tmp.txt','w').write('hi'); print(open('/tmp.txt').read());"
                + " import time, random, sqlite3; time.sleep(0.01); print(len(os.urandom(8)), random.random() < 1);"
                + " print(open('/data/in.txt').read()); open('/data/out.txt','w').write('from guest');"
                + " print(sorted(os.listdir('/data')), os.stat('/data/in.txt').st_size)"))
        .env("PYTHONHASHSEED", "0")
        .wallClock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .randomSeed(42)
        .build();
    long start = System.nanoTime();
    run.run(module, config);
    System.out.println("CPython smoke: " + (System.nanoTime() - start) / 1_000_000 + " ms");
    System.out.println("stdout: " + run.out());
    System.out.println("stderr: " + run.err());
    assertEquals(0, run.exitCode, run.err());
    assertTrue(run.out().startsWith("3.14"), run.out());
    assertTrue(run.out().contains("['tmp.txt', 'usr']") || run.out().contains("'usr'"), run.out());
    assertTrue(run.out().contains("hi\n8 True\nfrom host\n['in.txt', 'out.txt'] 9\n"), run.out());
    assertEquals("from guest", Files.readString(hostDir.resolve("out.txt")));
  }
}
