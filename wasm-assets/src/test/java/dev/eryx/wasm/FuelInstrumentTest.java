package dev.eryx.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests build/tools/FuelInstrument.java by running it as the asset build does (a source-file
 * program on this JVM) and executing its output under Chicory. Fixtures and their sources are in
 * src/test/resources/fuel (rebuilt by build-fixtures.sh there).
 */
class FuelInstrumentTest {

    private static final Path MODULE_DIR =
            Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    private static final Path TOOL = MODULE_DIR.resolve("build/tools/FuelInstrument.java");
    private static final Path FIXTURES = MODULE_DIR.resolve("src/test/resources/fuel");

    /**
     * Fuel for the control.wasm calls: finite, so that a mis-rewritten branch traps instead of
     * spinning.
     */
    private static final long BUDGET = 10_000_000;

    @TempDir static Path tmp;

    private static byte[] bounded;
    private static byte[] spin;
    private static byte[] recurse;
    private static byte[] control;
    private static String controlReport;

    @BeforeAll
    static void instrumentFixtures() throws Exception {
        bounded = instrumented("bounded");
        spin = instrumented("spin");
        recurse = instrumented("recurse");
        control = instrumented("control");
        controlReport =
                run(
                                FIXTURES.resolve("control.wasm"),
                                tmp.resolve("control.report.wasm"),
                                "--report")
                        .output;
    }

    // (a) -----------------------------------------------------------------------------------------

    @Test
    void instrumentedProgramPrintsWhatTheOriginalPrints() throws IOException {
        Run original =
                runWasi(Files.readAllBytes(FIXTURES.resolve("bounded.wasm")), Long.MAX_VALUE);
        Run metered = runWasi(bounded, Long.MAX_VALUE);

        assertEquals("hash=2915469435 fib(20)=6765\n", original.stdout);
        assertEquals(original.stdout, metered.stdout);
        assertEquals(0, metered.exitCode);
        assertEquals(0, original.fuelUsed, "the original module does not touch the counter");
        assertTrue(metered.fuelUsed > 0);
    }

    // (b) -----------------------------------------------------------------------------------------

    @Test
    void infiniteLoopTrapsWhenFuelRunsOut() {
        long fuel = 1_000_000;
        Run run = runWasi(spin, fuel);

        assertTrue(run.trap instanceof TrapException, "expected a trap, got " + run.trap);
        assertTrue(run.fuelLeft < 0, "a fuel trap leaves a negative counter, got " + run.fuelLeft);
        // The trap comes at the first point that overdraws: never more than one point's cost late.
        assertTrue(run.fuelUsed > fuel && run.fuelUsed < fuel + 100, "used " + run.fuelUsed);
    }

    @Test
    void unboundedRecursionWithoutLoopsTrapsWhenFuelRunsOut() {
        // Little fuel: the interpreter's call stack must not run out first (about 100 calls deep).
        long fuel = 600;
        Run run = runWasi(recurse, fuel);

        assertTrue(run.trap instanceof TrapException, "expected a trap, got " + run.trap);
        assertTrue(run.fuelLeft < 0, "a fuel trap leaves a negative counter, got " + run.fuelLeft);
        assertTrue(run.fuelUsed > fuel && run.fuelUsed < fuel + 100, "used " + run.fuelUsed);
    }

    @Test
    void zeroFuelTrapsAtTheFirstPoint() {
        Run run = runWasi(bounded, 0);

        assertTrue(run.trap instanceof TrapException);
        assertTrue(run.fuelLeft < 0);
        assertEquals("", run.stdout);
    }

    // (c) -----------------------------------------------------------------------------------------

    @Test
    void sameProgramUsesExactlyTheSameFuelEachTime() {
        Run first = runWasi(bounded, Long.MAX_VALUE);
        Run second = runWasi(bounded, Long.MAX_VALUE);
        assertEquals(first.fuelUsed, second.fuelUsed);

        // Running out exactly at the end: the full amount succeeds, one unit less traps.
        Run exact = runWasi(bounded, first.fuelUsed);
        assertEquals(0, exact.exitCode);
        assertEquals(0, exact.fuelLeft);
        Run short1 = runWasi(bounded, first.fuelUsed - 1);
        assertTrue(short1.trap instanceof TrapException);
    }

    @Test
    void outputIsDeterministic() throws Exception {
        assertArrayEquals(
                bounded,
                Files.readAllBytes(
                        run(FIXTURES.resolve("bounded.wasm"), tmp.resolve("bounded.again.wasm"))
                                .outputFile));
    }

    // (d) and the rewrite itself
    // --------------------------------------------------------------------

    @Test
    void instrumentedModulesParseAndInstantiateUnderChicory() {
        for (byte[] wasm : List.of(bounded, spin, recurse, control)) {
            Instance instance =
                    instance(
                            wasm,
                            ImportValues.builder()
                                    .addFunction(WasiPreview1.builder().build().toHostFunctions())
                                    .build());
            assertTrue(instance.exports().global("eryx_fuel").getValue() > 0);
        }
    }

    @Test
    void exactCostsAndBranchDepthsInNestedLoops() {
        for (int n : new int[] {0, 1, 2, 7, 30}) {
            Instance instance = instance(control, ImportValues.builder().build());
            setFuel(instance, BUDGET);
            long result = instance.export("nested").apply(n)[0];

            long expected = 0;
            for (int i = 0; i < n; i++) expected += (long) i * (i + 1) / 2;
            assertEquals(expected, result, "nested(" + n + ")");
            // Costs documented in control.wat: entry 2, outer header 4, inner header 11.
            long passesOuter = n + 1;
            long passesInner = (long) n * (n + 1) / 2;
            assertEquals(
                    2 + 4 * passesOuter + 11 * passesInner,
                    fuelUsed(instance),
                    "fuel of nested(" + n + ")");
        }
    }

    @Test
    void loopWithParameterKeepsItsOperand() {
        Instance instance = instance(control, ImportValues.builder().build());
        setFuel(instance, BUDGET);
        assertEquals(0, instance.export("countdown").apply(25)[0]);
        assertEquals(2 + 5 * 25, fuelUsed(instance));
    }

    @Test
    void decodesBulkMemoryReferenceTypesAndFriends() {
        for (int x : new int[] {-3, 0, 1, 2, 3, 6}) {
            Instance instance = instance(control, ImportValues.builder().build());
            setFuel(instance, BUDGET);
            long expected =
                    x * x
                            + 1
                            - 1
                            + 0x04030201
                            + 10 * (x > 0 ? 1 : 2)
                            + new int[] {100, 200, 300, 0}[x & 3];
            assertEquals(expected, instance.export("misc").apply(x)[0], "misc(" + x + ")");
            assertTrue(fuelUsed(instance) > 0);
        }
    }

    @Test
    void leafFunctionsAreLeftAloneUnlessAsked() throws Exception {
        // control.wat: nested, countdown and misc are counted; square (no loop, no call) is a leaf.
        assertTrue(controlReport.contains("leaves left unchanged: 1"), controlReport);
        assertTrue(
                controlReport.contains(
                        "counting points        : 6 (3 function entries, 3 loop headers)"),
                controlReport);
        String all =
                run(
                                FIXTURES.resolve("control.wasm"),
                                tmp.resolve("control.all.wasm"),
                                "--report",
                                "--count-leaves")
                        .output;
        assertTrue(
                all.contains("counting points        : 7 (4 function entries, 3 loop headers)"),
                all);
    }

    @Test
    void onlyTheCodeSectionChanges() throws IOException {
        for (String name : List.of("bounded", "control")) {
            List<byte[]> before = sections(Files.readAllBytes(FIXTURES.resolve(name + ".wasm")));
            List<byte[]> after = sections(Files.readAllBytes(tmp.resolve(name + ".wasm")));
            assertEquals(before.size(), after.size());
            boolean sawCode = false;
            for (int i = 0; i < before.size(); i++) {
                if (before.get(i)[0] == 10) {
                    sawCode = true;
                    assertEquals(10, after.get(i)[0]);
                    assertNotEquals(before.get(i).length, after.get(i).length);
                } else {
                    assertArrayEquals(
                            before.get(i), after.get(i), name + ": section " + i + " changed");
                }
            }
            assertTrue(sawCode);
        }
    }

    // Dispatch narrowing (--narrow-dispatch)
    // --------------------------------------------------------

    @Test
    void narrowedProgramPrintsTheSameAndUsesExactlyTheSameFuel() throws Exception {
        // bounded.c recurses through a function pointer: a table function narrowed by mistake
        // would make its call_indirect trap with a type mismatch.
        Run plain = runWasi(bounded, Long.MAX_VALUE);
        Run narrowed = runWasi(narrowed("bounded"), Long.MAX_VALUE);
        assertEquals(plain.stdout, narrowed.stdout);
        assertEquals(0, narrowed.exitCode, String.valueOf(narrowed.trap));
        assertEquals(plain.fuelUsed, narrowed.fuelUsed, "the marker arguments are not charged");

        Tool unmetered =
                run(
                        FIXTURES.resolve("bounded.wasm"),
                        tmp.resolve("bounded.nofuel.wasm"),
                        "--narrow-dispatch",
                        "--no-fuel");
        assertEquals(0, unmetered.exitCode, unmetered.output);
        Run free = runWasi(Files.readAllBytes(unmetered.outputFile), 0);
        assertEquals(plain.stdout, free.stdout);
        assertEquals(0, free.fuelUsed, "--no-fuel leaves the counter alone");

        Run recursion = runWasi(narrowed("recurse"), 600);
        assertTrue(
                recursion.trap instanceof TrapException,
                "expected a fuel trap, got " + recursion.trap);
        assertTrue(recursion.fuelLeft < 0);
    }

    @Test
    void narrowingGivesOnlyUnreachableFunctionsATypeWithExtraFloatParameters() throws Exception {
        WasmModule before = Parser.parse(FIXTURES.resolve("bounded.wasm"));
        WasmModule after = Parser.parse(narrowed("bounded"));
        int originalTypes = before.typeSection().typeCount();
        assertEquals(
                before.functionSection().functionCount(), after.functionSection().functionCount());
        int moved = 0;
        for (int i = 0; i < before.functionSection().functionCount(); i++) {
            int oldType = before.functionSection().getFunctionType(i);
            int newType = after.functionSection().getFunctionType(i);
            if (oldType == newType) continue;
            moved++;
            assertTrue(
                    newType >= originalTypes,
                    "function " + i + " moved to an existing type " + newType);
            FunctionType was = before.typeSection().getType(oldType);
            FunctionType now = after.typeSection().getType(newType);
            assertEquals(was.returns(), now.returns());
            assertEquals(was.params(), now.params().subList(0, was.params().size()));
            for (ValType extra : now.params().subList(was.params().size(), now.params().size())) {
                assertTrue(
                        extra.equals(ValType.F32) || extra.equals(ValType.F64), "marker " + extra);
            }
        }
        // bounded.wasm: 16 defined functions; 10 are reached only by direct calls (see the report).
        assertEquals(10, moved);
        // Exports keep their types: the host calls them with the original signature.
        for (int i = 0; i < after.exportSection().exportCount(); i++) {
            var export = after.exportSection().getExport(i);
            if (export.exportType() == ExternalType.FUNCTION) {
                int defined = export.index() - after.importSection().count(ExternalType.FUNCTION);
                assertEquals(
                        before.functionSection().getFunctionType(defined),
                        after.functionSection().getFunctionType(defined),
                        export.name());
            }
        }
    }

    @Test
    void narrowingRefusesAModuleWithANameSection() throws Exception {
        // Local names would point one local off after the marker parameters are inserted.
        Tool t =
                run(
                        FIXTURES.resolve("control.wasm"),
                        tmp.resolve("control.narrow.wasm"),
                        "--narrow-dispatch");
        assertEquals(1, t.exitCode);
        assertTrue(t.output.contains("name section"), t.output);
    }

    // Dispatch splitting (--max-dispatch-cases)
    // ---------------------------------------------------------

    @Test
    void splitDispatchReachesTheSameFunctionsAndTrapsWhereTheOriginalTraps() throws Exception {
        // dispatch.wasm: slot 0 null, 1-6 (i32)->i32, 7-9 (i32,i32)->i32, 10-11 null, 12+ past the
        // end.
        byte[] whole = dispatch("--max-dispatch-cases", "0");
        byte[] split = dispatch("--max-dispatch-cases", "2");
        int[] slots = {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1 << 20};
        int traps = 0;
        for (String export : List.of("unary", "tail", "binary")) {
            for (int slot : slots) {
                long[] args =
                        export.equals("binary") ? new long[] {slot, 9, 4} : new long[] {slot, 7};
                Outcome expected = call(whole, export, args);
                Outcome actual = call(split, export, args);
                assertEquals(expected, actual, export + "(" + slot + ")");
                if (expected.trap != null) traps++;
            }
        }
        assertTrue(traps >= 3 * 5, "null, foreign and out-of-range slots trap: " + traps);
        assertEquals(call(whole, "unary", 6, 5), call(split, "unary", 6, 5));
        // u6(5) + u5(5) = (0 + 20) + (1 + 20) + ... + (4 + 20) + (5 + 50000)
        assertEquals(
                50_005 + (0 + 1 + 2 + 3 + 4) + 5 * 20,
                call(split, "direct", 5).result,
                "direct calls of moved table functions");
        assertEquals(call(whole, "direct", 5), call(split, "direct", 5));
        assertEquals(call(whole, "sweep", 40), call(split, "sweep", 40));
    }

    @Test
    void splitDispatchUsesExactlyTheSameFuel() throws Exception {
        byte[] whole = dispatch("--max-dispatch-cases", "0");
        byte[] split = dispatch("--max-dispatch-cases", "1");
        for (int n : new int[] {0, 1, 7, 40}) {
            Outcome a = call(whole, "sweep", n);
            Outcome b = call(split, "sweep", n);
            assertEquals(a, b, "sweep(" + n + ")");
            assertTrue(n == 0 || a.fuelUsed > 0);
        }
        // A C program whose stdio calls go through the table: every signature with more than one
        // table function is split.
        Tool t =
                run(
                        FIXTURES.resolve("bounded.wasm"),
                        tmp.resolve("bounded.split.wasm"),
                        "--narrow-dispatch",
                        "--max-dispatch-cases",
                        "1",
                        "--report");
        assertEquals(0, t.exitCode, t.output);
        assertTrue(t.output.contains("dispatch splitting     : "), t.output);
        Run plain = runWasi(bounded, Long.MAX_VALUE);
        Run split1 = runWasi(Files.readAllBytes(t.outputFile), Long.MAX_VALUE);
        assertEquals(plain.stdout, split1.stdout);
        assertEquals(0, split1.exitCode, String.valueOf(split1.trap));
        assertEquals(plain.fuelUsed, split1.fuelUsed);
    }

    @Test
    void everyIndirectCallSwitchHoldsAtMostTheLimitUnlessAnExportPinsIt() throws Exception {
        Tool t =
                run(
                        FIXTURES.resolve("dispatch.wasm"),
                        tmp.resolve("dispatch.report.wasm"),
                        "--narrow-dispatch",
                        "--max-dispatch-cases",
                        "2",
                        "--report");
        assertEquals(0, t.exitCode, t.output);
        assertTrue(
                t.output.contains(
                        "1 signatures with up to 6 table functions split into 3 partitions"),
                t.output);
        assertTrue(t.output.contains("not split            : 1 signatures"), t.output);
        WasmModule before = Parser.parse(FIXTURES.resolve("dispatch.wasm"));
        WasmModule after = Parser.parse(t.outputFile);
        // Chicory switches over the functions of a type: count the table functions per type.
        java.util.Map<FunctionType, Integer> perType = new java.util.HashMap<>();
        for (int slot = 1; slot <= 9; slot++) {
            int function = slot - 1; // no imports; the segment lists functions 0-8 from slot 1
            perType.merge(
                    after.typeSection().getType(after.functionSection().getFunctionType(function)),
                    1,
                    Integer::sum);
        }
        FunctionType bin = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
        for (var e : perType.entrySet()) {
            assertTrue(e.getValue() <= (e.getKey().equals(bin) ? 3 : 2), e.toString());
        }
        assertEquals(3, perType.get(bin), "the exported $b3 keeps (i32,i32)->i32 unsplit");
        // Only the dispatcher is added; exports keep their functions and types.
        assertEquals(
                before.functionSection().functionCount() + 1,
                after.functionSection().functionCount());
        for (int i = 0; i < after.exportSection().exportCount(); i++) {
            var export = after.exportSection().getExport(i);
            if (export.exportType() == ExternalType.FUNCTION) {
                assertEquals(
                        before.typeSection()
                                .getType(before.functionSection().getFunctionType(export.index())),
                        after.typeSection()
                                .getType(after.functionSection().getFunctionType(export.index())),
                        export.name());
            }
        }
        assertArrayEquals(
                Files.readAllBytes(t.outputFile),
                dispatch("--max-dispatch-cases", "2"),
                "deterministic");
    }

    @Test
    void splittingIsSkippedWhenTheTableCanChange() throws Exception {
        // control.wat writes its table (table.init, table.set, table.grow, ...).
        Path in = tmp.resolve("control.nonames.wasm");
        Files.write(in, stripNameSection(Files.readAllBytes(FIXTURES.resolve("control.wasm"))));
        Tool split =
                run(
                        in,
                        tmp.resolve("control.split.wasm"),
                        "--narrow-dispatch",
                        "--max-dispatch-cases",
                        "1",
                        "--report");
        assertEquals(0, split.exitCode, split.output);
        assertTrue(
                split.output.contains("dispatch splitting     : skipped (code changes a table"),
                split.output);
    }

    // Function splitting (--split-functions)
    // ----------------------------------------------------------

    @Test
    void splitProgramPrintsTheSameAndUsesExactlyTheSameFuel() throws Exception {
        // bounded.c's main has nested loops with break/continue and a switch: regions with
        // branches out of them (exit codes), a br_table, locals carried in and out.
        Run plain = runWasi(narrowed("bounded"), Long.MAX_VALUE);
        for (int target : new int[] {150, 300, 600}) {
            Tool t = split("bounded", target);
            assertTrue(t.output.contains("split into"), t.output);
            assertTrue(!t.output.contains("into 0 outlined"), t.output);
            Run split = runWasi(Files.readAllBytes(t.outputFile), Long.MAX_VALUE);
            assertEquals(plain.stdout, split.stdout, "target " + target);
            assertEquals(0, split.exitCode, String.valueOf(split.trap));
            assertEquals(plain.fuelUsed, split.fuelUsed, "outlined functions are not charged");
        }
    }

    @Test
    void splitFunctionsKeepResultsFuelAndTraps() throws Exception {
        byte[] plain = control;
        byte[] split = Files.readAllBytes(split("control", 100).outputFile);
        WasmModule before = Parser.parse(plain);
        WasmModule after = Parser.parse(split);
        assertTrue(
                after.functionSection().functionCount() > before.functionSection().functionCount(),
                "nothing was outlined");
        for (int n : new int[] {0, 1, 2, 7, 30}) {
            assertEquals(call(plain, "nested", n), call(split, "nested", n), "nested(" + n + ")");
        }
        assertEquals(call(plain, "countdown", 25), call(split, "countdown", 25));
        // a fuel trap inside an outlined loop is the same trap with the same counter
        Instance instance = instance(split, ImportValues.builder().build());
        setFuel(instance, 50);
        Instance reference = instance(plain, ImportValues.builder().build());
        setFuel(reference, 50);
        assertEquals(
                trapOf(() -> reference.export("nested").apply(30)),
                trapOf(() -> instance.export("nested").apply(30)));
        assertEquals(fuelUsed(reference), fuelUsed(instance));
    }

    @Test
    void aLocalTheRegionReadsBeforeWritingInsideALoopIsCarriedToTheNextPass() throws Exception {
        // carry.wat: the outlined block reads $x, then writes it; nothing outside reads $x, but
        // the block's next pass does, so the outlined function must return $x to the caller.
        byte[] plain = instrumented("carry");
        Tool t =
                run(
                        FIXTURES.resolve("carry.wasm"),
                        tmp.resolve("carry.split100.wasm"),
                        "--split-functions",
                        "100",
                        "--report");
        assertEquals(0, t.exitCode, t.output);
        assertTrue(t.output.contains("split into 1 outlined"), t.output);
        byte[] split = Files.readAllBytes(t.outputFile);
        for (int n : new int[] {0, 1, 2, 5, 40}) {
            Outcome expected = call(plain, "carry", n);
            assertEquals(carry(n), expected.result, "carry(" + n + ") unsplit");
            assertEquals(expected, call(split, "carry", n), "carry(" + n + ")");
        }
    }

    /** What carry.wat's carry(n) computes. */
    private static long carry(int n) {
        int x = 1;
        int y = 0;
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc += y;
            int h = Integer.rotateLeft((x * 3 + i) ^ (x >>> 5), 13) ^ 0x5bd1e995;
            x = Integer.rotateRight(h, 11) + 0x27d4eb2d;
            y = x;
        }
        return acc;
    }

    @Test
    void splittingLeavesSmallFunctionsAndTheirIndicesAlone() throws Exception {
        byte[] plain = narrowed("bounded");
        Tool t = split("bounded", 1_000_000);
        assertArrayEquals(plain, Files.readAllBytes(t.outputFile));
        Tool bad =
                run(
                        FIXTURES.resolve("bounded.wasm"),
                        tmp.resolve("bad.wasm"),
                        "--split-functions",
                        "5");
        assertNotEquals(0, bad.exitCode);
        assertTrue(bad.output.contains("--split-functions"), bad.output);
    }

    private static String trapOf(Runnable call) {
        try {
            call.run();
            return "no trap";
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }

    private static Tool split(String name, int target) throws Exception {
        List<String> flags = new ArrayList<>();
        // control.wasm keeps its name section, which narrowing refuses
        if (!name.equals("control")) flags.add("--narrow-dispatch");
        flags.addAll(List.of("--split-functions", String.valueOf(target), "--report"));
        Tool t =
                run(
                        FIXTURES.resolve(name + ".wasm"),
                        tmp.resolve(name + ".split" + target + ".wasm"),
                        flags.toArray(new String[0]));
        assertEquals(0, t.exitCode, t.output);
        return t;
    }

    @Test
    void refusesModulesItCannotInstrument() throws Exception {
        Tool simd = run(FIXTURES.resolve("simd.wasm"), tmp.resolve("simd.out.wasm"));
        assertEquals(1, simd.exitCode);
        assertTrue(
                simd.output.contains("opcode 0xFD") && simd.output.contains("SIMD"), simd.output);

        Tool noFuel = run(FIXTURES.resolve("nofuel.wasm"), tmp.resolve("nofuel.out.wasm"));
        assertEquals(1, noFuel.exitCode);
        assertTrue(noFuel.output.contains("no global export 'eryx_fuel'"), noFuel.output);

        assertTrue(Files.notExists(tmp.resolve("simd.out.wasm")), "no output on failure");
    }

    // ---------------------------------------------------------------------------------------------

    private record Tool(int exitCode, String output, Path outputFile) {}

    private static Tool run(Path in, Path out, String... flags)
            throws IOException, InterruptedException {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                        TOOL.toString(),
                                in.toString(), out.toString()));
        command.addAll(List.of(flags));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "tool timed out");
        return new Tool(p.exitValue(), output, out);
    }

    private static byte[] instrumented(String name) throws Exception {
        Tool t = run(FIXTURES.resolve(name + ".wasm"), tmp.resolve(name + ".wasm"));
        assertEquals(0, t.exitCode, t.output);
        return Files.readAllBytes(t.outputFile);
    }

    private static byte[] narrowed(String name) throws Exception {
        Tool t =
                run(
                        FIXTURES.resolve(name + ".wasm"),
                        tmp.resolve(name + ".narrowed.wasm"),
                        "--narrow-dispatch");
        assertEquals(0, t.exitCode, t.output);
        return Files.readAllBytes(t.outputFile);
    }

    private static byte[] dispatch(String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of("--narrow-dispatch"));
        all.addAll(List.of(flags));
        Path out = tmp.resolve("dispatch" + String.join("", flags).replace("-", "") + ".wasm");
        Tool t = run(FIXTURES.resolve("dispatch.wasm"), out, all.toArray(new String[0]));
        assertEquals(0, t.exitCode, t.output);
        return Files.readAllBytes(t.outputFile);
    }

    /**
     * What one export call did: its result, or the trap's class and message; and the fuel it used.
     */
    private record Outcome(long result, String trap, long fuelUsed) {}

    private static Outcome call(byte[] wasm, String export, long... args) {
        Instance instance = instance(wasm, ImportValues.builder().build());
        setFuel(instance, BUDGET);
        try {
            return new Outcome(instance.export(export).apply(args)[0], null, fuelUsed(instance));
        } catch (RuntimeException e) {
            return new Outcome(
                    0, e.getClass().getName() + ": " + e.getMessage(), fuelUsed(instance));
        }
    }

    /** The module without its custom sections named "name". */
    private static byte[] stripNameSection(byte[] wasm) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(wasm, 0, 8);
        for (byte[] section : sections(wasm)) {
            if (section[0] == 0) {
                int pos = 1;
                while ((section[pos++] & 0x80) != 0) {} // section size
                int nameLength = section[pos++]; // "name" is short: a one-byte LEB128
                if (new String(section, pos, nameLength, StandardCharsets.UTF_8).equals("name"))
                    continue;
            }
            out.write(section, 0, section.length);
        }
        return out.toByteArray();
    }

    private static Instance instance(byte[] wasm, ImportValues imports) {
        return Instance.builder(Parser.parse(wasm))
                .withImportValues(imports)
                .withStart(false)
                .build();
    }

    private static int fuelAddress(Instance instance) {
        return (int) instance.exports().global("eryx_fuel").getValue();
    }

    private static void setFuel(Instance instance, long fuel) {
        instance.memory().writeLong(fuelAddress(instance), fuel);
    }

    private static long fuelUsed(Instance instance) {
        return BUDGET - instance.memory().readLong(fuelAddress(instance));
    }

    private record Run(String stdout, int exitCode, Throwable trap, long fuelUsed, long fuelLeft) {}

    /** Runs a WASI command with the given fuel; traps are captured, not thrown. */
    private static Run runWasi(byte[] wasm, long fuel) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        try (WasiPreview1 wasi =
                WasiPreview1.builder()
                        .withOptions(WasiOptions.builder().withStdout(stdout).build())
                        .build()) {
            Instance instance =
                    instance(
                            wasm,
                            ImportValues.builder().addFunction(wasi.toHostFunctions()).build());
            setFuel(instance, fuel);
            int exitCode = 0;
            Throwable trap = null;
            try {
                instance.export("_start").apply();
            } catch (WasiExitException e) {
                exitCode = e.exitCode();
            } catch (RuntimeException e) {
                trap = e;
                exitCode = -1;
            }
            long left = instance.memory().readLong(fuelAddress(instance));
            return new Run(
                    stdout.toString(StandardCharsets.UTF_8), exitCode, trap, fuel - left, left);
        }
    }

    /** Each section of a module, header included, in order. */
    private static List<byte[]> sections(byte[] wasm) {
        List<byte[]> result = new ArrayList<>();
        int pos = 8;
        while (pos < wasm.length) {
            int start = pos++;
            long size = 0;
            int shift = 0;
            int b;
            do {
                b = wasm[pos++] & 0xFF;
                size |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            pos += (int) size;
            result.add(java.util.Arrays.copyOfRange(wasm, start, pos));
        }
        return result;
    }
}
