/*
 * FuelInstrument: adds deterministic fuel metering to a wasm module, because Chicory has none.
 *
 *   java FuelInstrument.java in.wasm out.wasm [--report] [--count-leaves] [--narrow-dispatch]
 *                            [--max-dispatch-cases N] [--split-functions BYTES] [--no-fuel]
 *                            [--direct-dispatch F[,F...]]
 *
 * Single file, JDK 17, no dependencies: it runs at asset-build time straight from source.
 *
 * Contract with the host (docs/bridge-abi.md): the module exports an immutable i32 global
 * `eryx_fuel` whose `i32.const` initialiser is the address of an int64 in memory 0 holding the
 * remaining fuel. The host writes a non-negative amount there before running guest code. Every
 * counting point subtracts its cost and, when the result is negative, executes `unreachable`.
 * The negative value is stored before the trap, so the host tells a fuel trap from any other trap
 * (abort(), a real bug) by reading the counter afterwards.
 *
 * Counting points: the entry of every function and the header of every `loop` (the first
 * instruction inside it, so every iteration pays). That is enough to bound execution: unbounded
 * work needs either a backward branch (only `br*` to a loop label exists in wasm) or unbounded
 * recursion (every call enters a function). Imported (host) functions are not charged.
 *
 * Leaf optimisation (on by default; --count-leaves turns it off): a function with no loop and no
 * call can neither iterate nor recurse, so it runs a bounded number of instructions; its entry
 * count is dropped and its body left byte-identical. Its work is then simply not charged.
 *
 * Dispatch narrowing (--narrow-dispatch, used by the asset build; see the Narrowing class): every
 * function that no table, export, start section or ref.func can reach gets a function type of its
 * own (its parameters plus unused f32/f64 marker parameters; direct calls push zeros for them),
 * and a signature with more than --max-dispatch-cases (default 512, 0 = off) functions in the
 * table is split into partitions reached through an appended dispatcher function. Chicory
 * compiles each call_indirect into a switch over all functions of the called type; this keeps
 * those switches small enough for HotSpot to JIT-compile. Fuel counts are unchanged (the pushed
 * zeros are free, dispatchers are not metered). --no-fuel skips the metering (only for measuring
 * its overhead).
 *
 * Function splitting (--split-functions BYTES, used by the asset build with 7000; see the
 * Outlining class): after all of the above, regions of every function whose JVM method Chicory
 * would make larger than BYTES are outlined into appended functions, so that HotSpot can
 * JIT-compile them (it never compiles methods above 8,000 bytes). Fuel counts are unchanged.
 *
 * Direct dispatch (--direct-dispatch F,...; see the DirectDispatch class): the `call_indirect`s
 * inside the loops of the functions F (wasm function indices) become direct calls of appended
 * `br_table` dispatchers over the table slots. The asset build passes it for the driver loop only
 * with ERYX_DIRECT_DISPATCH=1: it did not win its A/B (docs/performance.md, "Lever 4").
 *
 * Cost of a point: the number of instructions certainly executed (barring a trap) each time the
 * point is passed, i.e. the straight-line run of original instructions starting at the point and
 * ending with (and including) the first control instruction that can branch, call, join or start
 * another counted region: unreachable, loop, if, else, end, br, br_if, br_table, return, call,
 * call_indirect, return_call, return_call_indirect. `block` and `nop` do not end a run. The
 * inserted instructions themselves are free. The cost is always >= 1 because a body ends with
 * `end`. Fuel is therefore a deterministic, static measure (a lower bound on the instructions
 * executed from the counting points), not a count of every instruction. Costs are small, so a
 * counter started non-negative cannot wrap around before it traps.
 *
 * The inserted code, with A = the counter address and L = a new i64 local appended to the
 * function's locals:
 *
 *     i32.const 0                      ;; address operand for the store
 *     i32.const 0
 *     i64.load  align=3 offset=A
 *     i64.const COST
 *     i64.sub
 *     local.tee L
 *     i64.store align=3 offset=A
 *     local.get L
 *     i64.const 0
 *     i64.lt_s
 *     if                               ;; blocktype [] -> []
 *       unreachable
 *     end
 *
 * It leaves the operand stack as it found it (so it is valid even at a `loop` with parameters),
 * and its `if` is opened and closed inside the snippet with nothing but `unreachable` in it: at
 * every original instruction the control stack is exactly what it was, so every existing branch
 * depth (br, br_if, br_table) keeps its meaning. No function, type, global or block visible to
 * original code is added, so no index anywhere changes.
 *
 * Output: only the code section is rewritten (body sizes and the section size re-encoded as
 * minimal LEB128; untouched bodies keep their original bytes, size prefix included). Every other
 * section, custom sections such as `name` included, is copied byte for byte. Custom sections that
 * point into the code by byte offset (DWARF `.debug_*`, branch hints) become stale; --report
 * mentions them. The output is a pure function of the input bytes and flags.
 *
 * Decoded opcodes: MVP, sign extension (0xC0-0xC4), 0xFC 0-7 saturating truncation, 0xFC 8-17
 * bulk memory and table ops, multi-value block types (s33 type index), typed `select` (0x1C),
 * reference types (ref.null, ref.is_null, ref.func, table.get, table.set), tail calls
 * (return_call, return_call_indirect) and multi-memory memargs. Anything else (SIMD 0xFD,
 * threads 0xFE, GC 0xFB, exceptions, typed function references) stops the tool with an error
 * naming the opcode and its position, rather than risk emitting a broken module.
 */

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public final class FuelInstrument {

    static final String FUEL_EXPORT = "eryx_fuel";

    /**
     * Table functions per indirect-call switch (see Narrowing): Chicory spends about 12 bytes of
     * JVM bytecode per case, so 512 cases stay well below HotSpot's 8,000-byte JIT limit.
     */
    static final int DEFAULT_MAX_DISPATCH_CASES = 512;

    public static void main(String[] args) throws IOException {
        boolean report = false;
        boolean countLeaves = false;
        boolean narrowDispatch = false;
        boolean meter = true;
        int maxDispatchCases = DEFAULT_MAX_DISPATCH_CASES;
        java.util.SortedSet<Integer> directDispatch = new java.util.TreeSet<>();
        int splitTarget = 0;
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--report" -> report = true;
                case "--count-leaves" -> countLeaves = true;
                case "--narrow-dispatch" -> narrowDispatch = true;
                case "--no-fuel" -> meter = false;
                case "--max-dispatch-cases" -> {
                    maxDispatchCases = intArgument(args, i++, a);
                    if (maxDispatchCases < 0)
                        usage("--max-dispatch-cases must be >= 0 (0 turns splitting off)");
                }
                case "--split-functions" -> {
                    splitTarget = intArgument(args, i++, a);
                    if (splitTarget < 100)
                        usage("--split-functions needs a target of at least 100 JVM bytes");
                }
                case "--direct-dispatch" -> {
                    if (i + 1 >= args.length) usage("--direct-dispatch needs function indices");
                    for (String f : args[++i].split(",")) {
                        try {
                            directDispatch.add(Integer.parseInt(f.trim()));
                        } catch (NumberFormatException e) {
                            usage("--direct-dispatch needs function indices, got " + args[i]);
                        }
                    }
                }
                default -> {
                    if (a.startsWith("--")) usage("unknown option " + a);
                    files.add(a);
                }
            }
        }
        if (files.size() != 2) usage("expected an input and an output file");

        Path in = Path.of(files.get(0));
        Path out = Path.of(files.get(1));
        Result result;
        try {
            result =
                    instrument(
                            Files.readAllBytes(in),
                            meter,
                            countLeaves,
                            narrowDispatch,
                            maxDispatchCases,
                            directDispatch);
            if (splitTarget > 0) result = result.split(splitTarget);
        } catch (WasmFormatException e) {
            System.err.println("FuelInstrument: " + in + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        Files.write(out, result.bytes());
        if (report) System.out.print(result.stats().describe(in, out));
    }

    /** The number after the option at {@code args[i]}; a missing or bad one ends with the usage. */
    private static int intArgument(String[] args, int i, String option) {
        if (i + 1 >= args.length) usage(option + " needs a number");
        try {
            return Integer.parseInt(args[i + 1]);
        } catch (NumberFormatException e) {
            usage(option + " needs a number, got " + args[i + 1]);
            throw new AssertionError(e); // usage() exits
        }
    }

    private static void usage(String why) {
        System.err.println("FuelInstrument: " + why);
        System.err.println(
                "usage: java FuelInstrument.java in.wasm out.wasm [--report] [--count-leaves] [--narrow-dispatch] [--max-dispatch-cases N] [--split-functions BYTES] [--no-fuel] [--direct-dispatch F[,F...]]");
        System.exit(2);
    }

    /** A module the tool cannot (or must not) rewrite. */
    static final class WasmFormatException extends RuntimeException {
        WasmFormatException(String message) {
            super(message);
        }
    }

    record Result(byte[] bytes, Stats stats) {
        /** This result with its over-sized functions split (see Outlining). */
        Result split(int target) {
            byte[] split = Outlining.apply(bytes, target, stats);
            stats.outputSize = split.length;
            return new Result(split, stats);
        }
    }

    static final class Stats {
        long fuelAddress;
        int functions;
        int instrumentedFunctions;
        int leafFunctionsSkipped;
        long entryPoints;
        long loopPoints;
        long totalStaticCost;
        int narrowedFunctions;
        int narrowedTypes;
        long markerArguments;
        String marker = "";
        int splitSignatures;
        int partitions;
        int largestSplit;
        int splitPinned;
        long redirectedCalls;
        String splitSkipped;
        int directSites;
        int directTypes;
        int directRanges;
        int directCases;
        int directLargestRange;
        String outlining = "";
        int inputSize;
        int outputSize;
        int codeSectionIn;
        int codeSectionOut;
        final List<String> offsetSensitiveSections = new ArrayList<>();

        String describe(Path in, Path out) {
            StringBuilder sb = new StringBuilder();
            sb.append("fuel counter address   : ").append(fuelAddress).append('\n');
            sb.append("functions (defined)    : ").append(functions).append('\n');
            sb.append("  instrumented         : ").append(instrumentedFunctions).append('\n');
            sb.append("  leaves left unchanged: ").append(leafFunctionsSkipped).append('\n');
            sb.append("counting points        : ")
                    .append(entryPoints + loopPoints)
                    .append(" (")
                    .append(entryPoints)
                    .append(" function entries, ")
                    .append(loopPoints)
                    .append(" loop headers)\n");
            sb.append("sum of static costs    : ").append(totalStaticCost).append('\n');
            if (narrowedTypes > 0) {
                sb.append("dispatch narrowing     : ")
                        .append(narrowedFunctions)
                        .append(" functions that no table, export,")
                        .append(" start or ref.func can reach moved to ")
                        .append(narrowedTypes)
                        .append(" new types (extra unused ")
                        .append(marker)
                        .append(" parameters); ")
                        .append(markerArguments)
                        .append(" direct calls pass it\n");
            }
            if (splitSignatures > 0) {
                sb.append("dispatch splitting     : ")
                        .append(splitSignatures)
                        .append(" signatures with up to ")
                        .append(largestSplit)
                        .append(" table functions split into ")
                        .append(partitions)
                        .append(" partitions; ")
                        .append(redirectedCalls)
                        .append(" call_indirect go through ")
                        .append(splitSignatures)
                        .append(" dispatchers\n");
            }
            if (splitPinned > 0) {
                sb.append("  not split            : ")
                        .append(splitPinned)
                        .append(
                                " signatures (an export, start or ref.func reaches a table function of a later partition)\n");
            }
            if (directSites > 0) {
                sb.append("direct dispatch        : ")
                        .append(directSites)
                        .append(" driver-loop call_indirect of ")
                        .append(directTypes)
                        .append(" types call br_table dispatchers: ")
                        .append(directCases)
                        .append(" callees in ")
                        .append(directRanges)
                        .append(" slot ranges (largest ")
                        .append(directLargestRange)
                        .append(" slots)\n");
            }
            if (splitSkipped != null)
                sb.append("dispatch splitting     : skipped (").append(splitSkipped).append(")\n");
            sb.append("code section           : ")
                    .append(codeSectionIn)
                    .append(" -> ")
                    .append(codeSectionOut)
                    .append(" bytes ")
                    .append(percent(codeSectionIn, codeSectionOut))
                    .append('\n');
            sb.append(outlining);
            sb.append("module                 : ")
                    .append(inputSize)
                    .append(" -> ")
                    .append(outputSize)
                    .append(" bytes ")
                    .append(percent(inputSize, outputSize))
                    .append("  (")
                    .append(in)
                    .append(" -> ")
                    .append(out)
                    .append(")\n");
            if (!offsetSensitiveSections.isEmpty()) {
                sb.append("note: code offsets in these custom sections are now stale: ")
                        .append(String.join(", ", offsetSensitiveSections))
                        .append('\n');
            }
            return sb.toString();
        }

        private static String percent(long before, long after) {
            if (before == 0) return "";
            return String.format(
                    java.util.Locale.ROOT,
                    "(%+d, %+.2f%%)",
                    after - before,
                    100.0 * (after - before) / before);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Module level

    private static final int SEC_CUSTOM = 0,
            SEC_TYPE = 1,
            SEC_IMPORT = 2,
            SEC_FUNCTION = 3,
            SEC_TABLE = 4,
            SEC_MEMORY = 5,
            SEC_GLOBAL = 6,
            SEC_EXPORT = 7,
            SEC_START = 8,
            SEC_ELEMENT = 9,
            SEC_CODE = 10;

    private record Section(int id, int start, int payloadStart, int end) {}

    static Result instrument(
            byte[] wasm, boolean meter, boolean countLeaves, boolean narrowDispatch) {
        return instrument(wasm, meter, countLeaves, narrowDispatch, DEFAULT_MAX_DISPATCH_CASES);
    }

    static Result instrument(
            byte[] wasm,
            boolean meter,
            boolean countLeaves,
            boolean narrowDispatch,
            int maxDispatchCases) {
        return instrument(
                wasm,
                meter,
                countLeaves,
                narrowDispatch,
                maxDispatchCases,
                java.util.Collections.emptySortedSet());
    }

    static Result instrument(
            byte[] wasm,
            boolean meter,
            boolean countLeaves,
            boolean narrowDispatch,
            int maxDispatchCases,
            java.util.SortedSet<Integer> directDispatch) {
        Reader r = new Reader(wasm, 0, wasm.length);
        if (wasm.length < 8
                || r.u8() != 0x00
                || r.u8() != 0x61
                || r.u8() != 0x73
                || r.u8() != 0x6D) {
            throw new WasmFormatException("not a wasm module (bad magic)");
        }
        if (r.u8() != 1 || r.u8() != 0 || r.u8() != 0 || r.u8() != 0) {
            throw new WasmFormatException(
                    "unsupported wasm binary version (core modules, version 1, only)");
        }

        Stats stats = new Stats();
        List<Section> sections = new ArrayList<>();
        while (!r.atEnd()) {
            int start = r.pos;
            int id = r.u8();
            int size = r.u32();
            int payloadStart = r.pos;
            int end = r.checkedEnd(size, "section " + id);
            sections.add(new Section(id, start, payloadStart, end));
            if (id == SEC_CUSTOM) {
                String name = new Reader(wasm, payloadStart, end).name();
                if (name.startsWith(".debug_")
                        || name.equals("sourceMappingURL")
                        || name.startsWith("metadata.code.")) {
                    stats.offsetSensitiveSections.add(name);
                }
            }
            r.pos = end;
        }

        ModuleInfo info = ModuleInfo.read(wasm, sections);
        stats.fuelAddress = info.fuelAddress;
        Section code = null;
        for (Section s : sections) if (s.id == SEC_CODE) code = s;
        Narrowing narrowing =
                narrowDispatch
                        ? Narrowing.plan(wasm, sections, code, info, maxDispatchCases, stats)
                        : Narrowing.NONE;
        DirectDispatch direct =
                directDispatch.isEmpty()
                        ? DirectDispatch.NONE
                        : DirectDispatch.plan(wasm, code, info, narrowing, directDispatch, stats);

        ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + wasm.length / 4);
        out.write(wasm, 0, 8);
        for (Section s : sections) {
            if (s.id == SEC_TYPE
                    && (narrowing != Narrowing.NONE || direct != DirectDispatch.NONE)) {
                byte[] types =
                        narrowing != Narrowing.NONE
                                ? narrowing.typeSection(wasm, s, info)
                                : java.util.Arrays.copyOfRange(wasm, s.payloadStart, s.end);
                writeSection(out, SEC_TYPE, direct.typeSection(wasm, types));
                continue;
            }
            if (s.id == SEC_FUNCTION
                    && (narrowing != Narrowing.NONE || direct != DirectDispatch.NONE)) {
                byte[] functions =
                        narrowing != Narrowing.NONE
                                ? narrowing.functionSection(info)
                                : java.util.Arrays.copyOfRange(wasm, s.payloadStart, s.end);
                writeSection(out, SEC_FUNCTION, direct.functionSection(functions));
                continue;
            }
            if (s != code) {
                out.write(wasm, s.start, s.end - s.start);
                continue;
            }
            byte[] payload =
                    rewriteCode(wasm, s, info, meter, countLeaves, narrowing, direct, stats);
            writeSection(out, SEC_CODE, payload);
            stats.codeSectionIn = s.end - s.start;
            stats.codeSectionOut = 1 + sizeU32(payload.length) + payload.length;
        }
        byte[] bytes = out.toByteArray();
        stats.inputSize = wasm.length;
        stats.outputSize = bytes.length;
        return new Result(bytes, stats);
    }

    private static void writeSection(ByteArrayOutputStream out, int id, byte[] payload) {
        out.write(id);
        writeU32(out, payload.length);
        out.write(payload, 0, payload.length);
    }

    /** What the rewrite needs from the sections before the code. */
    private static final class ModuleInfo {
        final List<Integer> typeParamCounts = new ArrayList<>(); // by type index
        final List<int[]> typeShapes =
                new ArrayList<>(); // by type index: {paramsStart, paramsEnd, resultsStart,

        // resultsEnd, results}

        /**
         * Functions reachable other than by a direct call: table elements, exports, start,
         * ref.func.
         */
        final java.util.BitSet addressTaken = new java.util.BitSet();

        /**
         * Of those, the ones the host can call or a reference can reach (exports, start, ref.func
         * in globals).
         */
        final java.util.BitSet pinned = new java.util.BitSet();

        final List<Integer> functionTypes =
                new ArrayList<>(); // type index of each defined function
        int importedFunctions; // defined function i has index importedFunctions + i
        long fuelAddress;
        int tables; // imported and defined
        boolean tableShared; // imported or exported: others may change it

        /** {table slot, function} of every active segment on table 0 with a constant offset. */
        final List<int[]> tableEntries = new ArrayList<>();

        /** Why the contents of table 0 cannot be known from the element section alone, or null. */
        String tableUnknown;

        static ModuleInfo read(byte[] wasm, List<Section> sections) {
            ModuleInfo info = new ModuleInfo();
            int importedGlobals = 0;
            boolean haveMemory0 = false;
            List<int[]> globalInits =
                    new ArrayList<>(); // per defined global: {valtype, mutable, initStart, initEnd}
            int fuelGlobal = -1;

            for (Section s : sections) {
                Reader r = new Reader(wasm, s.payloadStart, s.end);
                switch (s.id) {
                    case SEC_TYPE -> {
                        for (int n = r.u32(), i = 0; i < n; i++) {
                            int form = r.u8();
                            if (form != 0x60) {
                                throw new WasmFormatException(
                                        String.format(
                                                "type %d: unsupported type form 0x%02X (GC types are not supported)",
                                                i, form));
                            }
                            int params = r.u32();
                            int paramsStart = r.pos;
                            for (int p = 0; p < params; p++) r.valType();
                            int paramsEnd = r.pos;
                            int results = r.u32();
                            int resultsStart = r.pos;
                            for (int k = 0; k < results; k++) r.valType();
                            info.typeParamCounts.add(params);
                            info.typeShapes.add(
                                    new int[] {
                                        paramsStart, paramsEnd, resultsStart, r.pos, results
                                    });
                        }
                    }
                    case SEC_IMPORT -> {
                        for (int n = r.u32(), i = 0; i < n; i++) {
                            r.name();
                            r.name();
                            int kind = r.u8();
                            switch (kind) {
                                case 0x00 -> {
                                    r.u32();
                                    info.importedFunctions++;
                                }
                                case 0x01 -> { // table
                                    r.valType();
                                    r.limits();
                                    info.tables++;
                                    info.tableShared = true;
                                }
                                case 0x02 -> { // memory
                                    boolean is64 = r.limits();
                                    if (!haveMemory0) checkMemory0(is64);
                                    haveMemory0 = true;
                                }
                                case 0x03 -> {
                                    r.valType();
                                    r.u8();
                                    importedGlobals++;
                                }
                                case 0x04 -> {
                                    r.u8();
                                    r.u32();
                                } // tag
                                default ->
                                        throw new WasmFormatException(
                                                String.format(
                                                        "import %d: unknown import kind 0x%02X",
                                                        i, kind));
                            }
                        }
                    }
                    case SEC_FUNCTION -> {
                        for (int n = r.u32(), i = 0; i < n; i++) info.functionTypes.add(r.u32());
                    }
                    case SEC_TABLE -> info.tables += r.u32();
                    case SEC_MEMORY -> {
                        for (int n = r.u32(), i = 0; i < n; i++) {
                            boolean is64 = r.limits();
                            if (!haveMemory0) checkMemory0(is64);
                            haveMemory0 = true;
                        }
                    }
                    case SEC_GLOBAL -> {
                        for (int n = r.u32(), i = 0; i < n; i++) {
                            int valType = r.valType();
                            int mutable = r.u8();
                            int initStart = r.pos;
                            skipConstExpr(r, info.pinned);
                            globalInits.add(new int[] {valType, mutable, initStart, r.pos});
                        }
                    }
                    case SEC_EXPORT -> {
                        for (int n = r.u32(), i = 0; i < n; i++) {
                            String name = r.name();
                            int kind = r.u8();
                            int index = r.u32();
                            if (kind == 0x00) info.pinned.set(index);
                            if (kind == 0x01) info.tableShared = true;
                            if (name.equals(FUEL_EXPORT)) {
                                if (kind != 0x03) {
                                    throw new WasmFormatException(
                                            "export '"
                                                    + FUEL_EXPORT
                                                    + "' is not a global (export kind "
                                                    + kind
                                                    + ")");
                                }
                                fuelGlobal = index;
                            }
                        }
                    }
                    case SEC_START -> info.pinned.set(r.u32());
                    case SEC_ELEMENT -> readElements(r, info);
                    default -> {}
                }
            }

            info.addressTaken.or(info.pinned);
            if (fuelGlobal < 0) {
                throw new WasmFormatException(
                        "no global export '"
                                + FUEL_EXPORT
                                + "'; define `int64_t eryx_fuel` and link with -Wl,--export="
                                + FUEL_EXPORT);
            }
            if (fuelGlobal < importedGlobals) {
                throw new WasmFormatException(
                        "'"
                                + FUEL_EXPORT
                                + "' is an imported global; its address must be"
                                + " a constant of this module");
            }
            int defined = fuelGlobal - importedGlobals;
            if (defined >= globalInits.size()) {
                throw new WasmFormatException(
                        "'"
                                + FUEL_EXPORT
                                + "' exports global "
                                + fuelGlobal
                                + ", which does not exist");
            }
            int[] g = globalInits.get(defined);
            if (g[0] != 0x7F || g[1] != 0) {
                throw new WasmFormatException(
                        "'" + FUEL_EXPORT + "' must be an immutable i32 global (an address)");
            }
            Reader init = new Reader(wasm, g[2], g[3]);
            if (init.u8() != 0x41) {
                throw new WasmFormatException(
                        "'"
                                + FUEL_EXPORT
                                + "' must be initialised by a single i32.const"
                                + " (position-independent modules are not supported)");
            }
            long address = init.s32() & 0xFFFF_FFFFL;
            if (init.u8() != 0x0B || !init.atEnd()) {
                throw new WasmFormatException(
                        "'" + FUEL_EXPORT + "' must be initialised by a single i32.const");
            }
            if (!haveMemory0)
                throw new WasmFormatException("module has no memory to hold the fuel counter");
            info.fuelAddress = address;
            return info;
        }

        /**
         * Marks every function an element segment names (all eight segment encodings) and records
         * where the active segments put them in table 0, when that is statically known.
         */
        private static void readElements(Reader r, ModuleInfo info) {
            java.util.BitSet addressTaken = info.addressTaken;
            for (int n = r.u32(), i = 0; i < n; i++) {
                int flags = r.u32();
                if (flags > 7)
                    throw new WasmFormatException(
                            "element segment " + i + ": unknown flags " + flags);
                boolean passiveOrDeclarative = (flags & 1) != 0;
                boolean explicitTable = (flags & 2) != 0;
                boolean expressions = (flags & 4) != 0;
                int table = 0;
                long offset = -1; // unknown
                if (!passiveOrDeclarative) {
                    if (explicitTable) table = r.u32();
                    int exprStart = r.pos;
                    skipConstExpr(r, addressTaken);
                    Reader e = new Reader(r.b, exprStart, r.pos);
                    if (e.u8() == 0x41) {
                        long value = e.s32() & 0xFFFF_FFFFL;
                        if (e.u8() == 0x0B && e.atEnd()) offset = value;
                    }
                    if (table == 0 && offset < 0)
                        info.tableUnknown = "element segment " + i + " has a computed offset";
                }
                if (passiveOrDeclarative || explicitTable) {
                    if (expressions) r.valType();
                    else r.u8(); // reftype / elemkind
                }
                for (int count = r.u32(), k = 0; k < count; k++) {
                    int function = -1;
                    if (expressions) {
                        int itemStart = r.pos;
                        skipConstExpr(r, addressTaken);
                        Reader e = new Reader(r.b, itemStart, r.pos);
                        if (e.u8() == 0xD2) function = e.u32();
                    } else {
                        function = r.u32();
                        addressTaken.set(function);
                    }
                    if (!passiveOrDeclarative && table == 0 && offset >= 0 && function >= 0) {
                        if (offset + k > Integer.MAX_VALUE) {
                            info.tableUnknown =
                                    "element segment " + i + " reaches past table slot 2^31";
                        } else {
                            info.tableEntries.add(new int[] {(int) (offset + k), function});
                        }
                    }
                }
            }
        }

        private static void checkMemory0(boolean is64) {
            if (is64)
                throw new WasmFormatException(
                        "memory 0 is a memory64; only 32-bit memories are supported");
        }
    }

    /**
     * Skips a constant expression (global initialiser, element offset or item) up to and including
     * its final `end`, marking the functions its `ref.func`s name.
     */
    private static void skipConstExpr(Reader r, java.util.BitSet addressTaken) {
        int depth = 1;
        while (depth > 0) {
            int at = r.pos;
            int op = Decoder.next(r);
            if (op == 0xD2) addressTaken.set(new Reader(r.b, at + 1, r.pos).u32());
            if (op == 0x02 || op == 0x03 || op == 0x04) depth++;
            else if (op == 0x0B) depth--;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Code section

    private static byte[] rewriteCode(
            byte[] wasm,
            Section s,
            ModuleInfo info,
            boolean meter,
            boolean countLeaves,
            Narrowing narrowing,
            DirectDispatch direct,
            Stats stats) {
        Reader r = new Reader(wasm, s.payloadStart, s.end);
        int count = r.u32();
        if (count != info.functionTypes.size()) {
            throw new WasmFormatException(
                    "code section has "
                            + count
                            + " bodies but the function section declares "
                            + info.functionTypes.size());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((s.end - s.payloadStart) * 5 / 4);
        writeU32(out, (long) count + narrowing.dispatcherCount() + direct.dispatcherCount());
        for (int i = 0; i < count; i++) {
            int sizeStart = r.pos;
            int size = r.u32();
            int bodyStart = r.pos;
            int bodyEnd = r.checkedEnd(size, "function body " + i);
            int typeIndex = info.functionTypes.get(i);
            if (typeIndex >= info.typeParamCounts.size()) {
                throw new WasmFormatException(
                        "function "
                                + (info.importedFunctions + i)
                                + " has unknown type "
                                + typeIndex);
            }
            byte[] body;
            try {
                body =
                        rewriteBody(
                                wasm,
                                bodyStart,
                                bodyEnd,
                                info.typeParamCounts.get(typeIndex),
                                info.fuelAddress,
                                meter,
                                countLeaves,
                                narrowing,
                                direct,
                                info.importedFunctions + i,
                                stats);
            } catch (WasmFormatException e) {
                throw new WasmFormatException(
                        "function "
                                + (info.importedFunctions + i)
                                + " (code section body "
                                + i
                                + "): "
                                + e.getMessage());
            }
            stats.functions++;
            if (body == null) {
                out.write(wasm, sizeStart, bodyEnd - sizeStart);
            } else {
                stats.instrumentedFunctions++;
                writeU32(out, body.length);
                out.write(body, 0, body.length);
            }
            r.pos = bodyEnd;
        }
        if (!r.atEnd())
            throw new WasmFormatException("trailing bytes after the last function body");
        narrowing.writeDispatcherBodies(out);
        direct.writeBodies(out);
        return out.toByteArray();
    }

    /**
     * Returns the instrumented body, or null when the body is to be kept unchanged (a leaf that
     * dispatch narrowing leaves alone). Offsets in messages are file offsets, as shown by
     * wasm-objdump.
     */
    private static byte[] rewriteBody(
            byte[] wasm,
            int start,
            int end,
            int paramCount,
            long fuelAddress,
            boolean meter,
            boolean countLeaves,
            Narrowing narrowing,
            DirectDispatch direct,
            int functionIndex,
            Stats stats) {
        Reader r = new Reader(wasm, start, end);
        int groups = r.u32();
        int groupsStart = r.pos;
        long locals = paramCount;
        for (int g = 0; g < groups; g++) {
            locals += r.u32() & 0xFFFF_FFFFL;
            r.valType();
        }
        int codeStart = r.pos;
        if (locals + 4 > 0xFFFF_FFFFL) throw new WasmFormatException("too many locals to add one");

        // Counting points as (offset of the instruction they precede, cost). The entry point is
        // always first; the cost run of at most one point is open at a time, because a new point
        // only starts right after a `loop`, which closes the previous run.
        LongList pointOffsets = new LongList();
        LongList pointCosts = new LongList();
        pointOffsets.add(codeStart);
        pointCosts.add(0);
        int openRun = 0;
        boolean hasLoop = false;
        boolean hasCall = false;
        boolean callsRetyped =
                false; // calls that change: to a retyped function, or a split call_indirect

        int depth = 1; // the function body is itself a block closed by the final `end`
        while (depth > 0) {
            if (r.atEnd()) throw new WasmFormatException("body ends before its final `end`");
            int at = r.pos;
            int op = Decoder.next(r);
            if ((op == 0x10 || op == 0x12)
                    && narrowing.isRetyped(new Reader(wasm, at + 1, r.pos).u32())) {
                callsRetyped = true;
            }
            if ((op == 0x11 || op == 0x13)
                    && (narrowing.dispatcherFor(new Reader(wasm, at + 1, r.pos)) >= 0
                            || direct.entryAt(at) >= 0)) {
                callsRetyped = true;
            }
            if (openRun >= 0) pointCosts.set(openRun, pointCosts.get(openRun) + 1);
            switch (op) {
                case 0x02, 0x04 -> depth++;
                case 0x03 -> {
                    depth++;
                    hasLoop = true;
                }
                case 0x0B -> depth--;
                case 0x10, 0x11, 0x12, 0x13 -> hasCall = true;
                default -> {}
            }
            if (Decoder.endsRun(op)) openRun = -1;
            if (op == 0x03) {
                pointOffsets.add(r.pos); // the first instruction inside the loop
                pointCosts.add(0);
                openRun = pointOffsets.size() - 1;
            }
        }
        if (!r.atEnd()) {
            throw new WasmFormatException(
                    String.format("bytes after the final `end` at offset 0x%X", r.pos));
        }

        int shift = narrowing.markerLength(functionIndex);
        boolean narrowed = shift > 0;
        boolean metered = meter && (hasLoop || hasCall || countLeaves);
        if (!metered) {
            if (meter) stats.leafFunctionsSkipped++;
            if (!narrowed && !callsRetyped)
                return null; // nothing to charge, no local or call to adapt
        } else {
            stats.entryPoints++;
            stats.loopPoints += pointOffsets.size() - 1;
        }

        // The marker parameters of a narrowed function sit right after the original parameters,
        // so every declared local moves up by their number; the fuel local comes after all of them.
        int fuelLocal = (int) (locals + shift);
        ByteArrayOutputStream out =
                new ByteArrayOutputStream((end - start) + 40 * pointOffsets.size());
        writeU32(out, metered ? groups + 1 : groups);
        out.write(wasm, groupsStart, codeStart - groupsStart);
        if (metered) {
            out.write(1);
            out.write(0x7E); // one i64
        }
        int nextPoint = metered ? 0 : pointOffsets.size();
        int copied = codeStart;
        Reader d = new Reader(wasm, codeStart, end);
        while (!d.atEnd()) {
            int at = d.pos;
            if (nextPoint < pointOffsets.size() && pointOffsets.get(nextPoint) == at) {
                out.write(wasm, copied, at - copied);
                copied = at;
                long cost = pointCosts.get(nextPoint++);
                stats.totalStaticCost += cost;
                writeCharge(out, fuelAddress, cost, fuelLocal);
            }
            int op = Decoder.next(d);
            if (narrowed && (op == 0x20 || op == 0x21 || op == 0x22)) { // local.get/set/tee
                long index = new Reader(wasm, at + 1, d.pos).u32();
                if (index >= paramCount) {
                    out.write(wasm, copied, at - copied);
                    out.write(op);
                    writeU32(out, index + shift);
                    copied = d.pos;
                }
            } else if ((op == 0x10 || op == 0x12)
                    && narrowing.isRetyped(new Reader(wasm, at + 1, d.pos).u32())) {
                out.write(
                        wasm,
                        copied,
                        at - copied); // call / return_call: push the marker arguments first
                copied = at;
                narrowing.writeMarkerArguments(out, new Reader(wasm, at + 1, d.pos).u32());
                stats.markerArguments++;
            } else if ((op == 0x11 || op == 0x13) && direct.entryAt(at) >= 0) {
                // call_indirect T 0 in a driver loop -> call of its br_table dispatcher: the slot
                // operand is the dispatcher's last parameter; same results, same traps.
                out.write(wasm, copied, at - copied);
                out.write(op == 0x11 ? 0x10 : 0x12);
                writeU32(out, direct.entryAt(at));
                copied = d.pos;
            } else if (op == 0x11 || op == 0x13) {
                int dispatcher = narrowing.dispatcherFor(new Reader(wasm, at + 1, d.pos));
                if (dispatcher >= 0) {
                    // call_indirect T -> call dispatch_T, whose marker follows the table slot
                    // operand; same operands, same results, same traps.
                    out.write(wasm, copied, at - copied);
                    narrowing.writeDispatcherMarker(out, dispatcher);
                    out.write(op == 0x11 ? 0x10 : 0x12);
                    writeU32(out, dispatcher);
                    copied = d.pos;
                    stats.redirectedCalls++;
                }
            }
        }
        out.write(wasm, copied, end - copied);
        return out.toByteArray();
    }

    /** Emits the snippet documented in the header comment. */
    private static void writeCharge(ByteArrayOutputStream out, long address, long cost, int local) {
        out.write(0x41);
        out.write(0x00); // i32.const 0
        out.write(0x41);
        out.write(0x00); // i32.const 0
        out.write(0x29);
        out.write(0x03);
        writeU32(out, address); // i64.load align=3 offset=A
        out.write(0x42);
        writeS64(out, cost); // i64.const cost
        out.write(0x7D); // i64.sub
        out.write(0x22);
        writeU32(out, local); // local.tee L
        out.write(0x37);
        out.write(0x03);
        writeU32(out, address); // i64.store align=3 offset=A
        out.write(0x20);
        writeU32(out, local); // local.get L
        out.write(0x42);
        out.write(0x00); // i64.const 0
        out.write(0x53); // i64.lt_s
        out.write(0x04);
        out.write(0x40); // if (empty block type)
        out.write(0x00); // unreachable
        out.write(0x0B); // end
    }

    // ---------------------------------------------------------------------------------------------
    // Dispatch narrowing (--narrow-dispatch)

    /**
     * Chicory compiles `call_indirect` of type T into one JVM method that switches over every
     * function of a type structurally equal to T, whether or not any table holds it. A switch of
     * more than about 650 cases is over HotSpot's 8,000-byte limit for JIT compilation
     * (DontCompileHugeMethods), and then every indirect call through it runs in the JVM's bytecode
     * interpreter. Two rewrites keep every switch small; neither changes what the program computes,
     * which function runs, or the fuel it is charged.
     *
     * <p><b>Narrowing.</b> Only functions a table, an export, the start section or a `ref.func` can
     * reach can be called indirectly; every other function gets a type of its own (its original
     * parameters plus unused `marker` parameters of types f32/f64, and each direct call pushing
     * zeros for them), which takes it out of the switches.
     *
     * <p><b>Splitting</b> (when a signature has more than {@code maxDispatchCases} functions in
     * table 0). Its table functions are cut, in table-slot order, into partitions of at most that
     * many; partition 0 keeps the type, partition p > 0 gets a marker type of its own. Every
     * `call_indirect` of the signature becomes a direct call of an appended dispatcher function,
     * which compares the slot with the first slot of each partition and makes the `call_indirect`
     * of that partition's type. A slot holds the same function as before, so the partition it falls
     * in has that function's new type: the call reaches the same function, and a slot that trapped
     * before (null, out of bounds, another signature) still traps. This needs the contents of table
     * 0 to be fixed by the element section: the table is neither imported nor exported, it is the
     * only table, every active segment on it has a constant offset, and no instruction changes a
     * table (table.set/grow/fill/copy/init); otherwise splitting is skipped and --report says why.
     * Table functions that an export, the start section or a `ref.func` also reaches keep their
     * type (the host calls exports with the original signature): a signature with one of those in a
     * later partition is not split.
     *
     * <p>Function indices of the module do not change: new types and the dispatchers are appended.
     * The pushed zeros are not charged, a redirected `call_indirect` costs what it cost before, and
     * the dispatchers are not metered (they run a fixed number of instructions and the function
     * they reach is charged at its entry), so fuel counts are the same as without either rewrite.
     */
    private static final class Narrowing {
        static final Narrowing NONE =
                new Narrowing(
                        null,
                        new int[0],
                        new byte[0][],
                        new ArrayList<>(),
                        new ArrayList<>(),
                        new java.util.HashMap<>());

        /**
         * Marker parameter lists, tried in order (f32 = 0x7D, f64 = 0x7C); see markerCandidates().
         */
        private static final List<byte[]> MARKER_CANDIDATES = markerCandidates();

        private final ModuleInfo info;

        /** By defined function: its new type index, or -1 when it keeps its type. */
        private final int[] newTypeOf;

        /**
         * By type index (original and appended): the marker parameters it adds to its base type, or
         * null.
         */
        private final byte[][] markerOfType;

        /** Appended types, in order: {base type index, marker candidate index}. */
        private final List<int[]> appendedTypes;

        private final List<Dispatcher> dispatchers;

        /** call_indirect type index (on table 0) -> dispatcher function index. */
        private final java.util.Map<Integer, Integer> dispatcherOfType;

        /** One split signature: partition p covers table slots [firstSlot[p], firstSlot[p + 1]). */
        private record Dispatcher(
                int function, int type, int baseType, int[] firstSlot, int[] partitionType) {}

        private Narrowing(
                ModuleInfo info,
                int[] newTypeOf,
                byte[][] markerOfType,
                List<int[]> appendedTypes,
                List<Dispatcher> dispatchers,
                java.util.Map<Integer, Integer> dispatcherOfType) {
            this.info = info;
            this.newTypeOf = newTypeOf;
            this.markerOfType = markerOfType;
            this.appendedTypes = appendedTypes;
            this.dispatchers = dispatchers;
            this.dispatcherOfType = dispatcherOfType;
        }

        /**
         * f32/f64 sequences of length 1 to 5, shortest first (the first seven in the order earlier
         * builds used).
         */
        private static List<byte[]> markerCandidates() {
            List<byte[]> list =
                    new ArrayList<>(
                            List.of(
                                    new byte[] {0x7D},
                                    new byte[] {0x7C},
                                    new byte[] {0x7D, 0x7D},
                                    new byte[] {0x7C, 0x7C},
                                    new byte[] {0x7D, 0x7C},
                                    new byte[] {0x7C, 0x7D},
                                    new byte[] {0x7D, 0x7D, 0x7D}));
            for (int length = 3; length <= 5; length++) {
                for (int bits = 0; bits < 1 << length; bits++) {
                    byte[] m = new byte[length];
                    for (int i = 0; i < length; i++)
                        m[i] = (byte) (((bits >> i) & 1) == 0 ? 0x7D : 0x7C);
                    if (list.stream().noneMatch(x -> java.util.Arrays.equals(x, m))) list.add(m);
                }
            }
            return List.copyOf(list);
        }

        /**
         * Whether the defined or imported {@code function} has a new type (and so marker
         * parameters).
         */
        boolean isRetyped(int function) {
            int defined = function - (info == null ? 0 : info.importedFunctions);
            return defined >= 0 && defined < newTypeOf.length && newTypeOf[defined] >= 0;
        }

        /** How many marker parameters {@code function} gained (0 if it keeps its type). */
        int markerLength(int function) {
            return isRetyped(function) ? marker(function).length : 0;
        }

        private byte[] marker(int function) {
            return markerOfType[newTypeOf[function - info.importedFunctions]];
        }

        int dispatcherCount() {
            return dispatchers.size();
        }

        int appendedTypeCount() {
            return appendedTypes.size();
        }

        /** The dispatcher replacing the call_indirect whose immediates {@code r} is at, or -1. */
        int dispatcherFor(Reader r) {
            int type = r.u32();
            int table = r.u32();
            if (table != 0) return -1;
            return dispatcherOfType.getOrDefault(type, -1);
        }

        static Narrowing plan(
                byte[] wasm,
                List<Section> sections,
                Section code,
                ModuleInfo info,
                int maxDispatchCases,
                Stats stats) {
            for (Section s : sections) {
                if (s.id == SEC_CUSTOM
                        && new Reader(wasm, s.payloadStart, s.end).name().equals("name")) {
                    // Local names are indexed by local: they would point one local off.
                    throw new WasmFormatException(
                            "--narrow-dispatch needs a module without a name section (strip it first)");
                }
            }
            java.util.BitSet taken = (java.util.BitSet) info.addressTaken.clone();
            // Functions whose type must not change even when a table holds them: the host may call
            // them.
            java.util.BitSet pinnedFunctions = (java.util.BitSet) info.pinned.clone();
            String tableChanged =
                    code == null ? null : scanCode(wasm, code, taken, pinnedFunctions);
            int defined = info.functionTypes.size();
            int typeCount = info.typeShapes.size();
            int[] newTypeOf = new int[defined];
            java.util.Arrays.fill(newTypeOf, -1);
            List<int[]> appended = new ArrayList<>();
            List<byte[]> markers = new ArrayList<>();
            for (int t = 0; t < typeCount; t++) markers.add(null);
            // Every type must stay distinct from every other: an equal type that some call_indirect
            // names would put the moved functions back into its switch.
            java.util.Set<String> signatures = new java.util.HashSet<>();
            for (int[] shape : info.typeShapes) signatures.add(signature(wasm, shape, new byte[0]));

            // Narrowing: one twin per original type of the functions nothing but a direct call
            // reaches.
            int[] twinOf = new int[typeCount];
            java.util.Arrays.fill(twinOf, -1);
            java.util.Map<Integer, Integer> markerUse = new java.util.TreeMap<>();
            boolean[] typeUsed = new boolean[typeCount];
            for (int i = 0; i < defined; i++) {
                if (!taken.get(info.importedFunctions + i))
                    typeUsed[info.functionTypes.get(i)] = true;
            }
            for (int t = 0; t < typeCount; t++) { // in type order, so the appended types are too
                if (!typeUsed[t]) continue;
                twinOf[t] = appendType(wasm, info, t, signatures, appended, markers);
                markerUse.merge(markers.get(twinOf[t]).length, 1, Integer::sum);
            }
            for (int i = 0; i < defined; i++) {
                if (taken.get(info.importedFunctions + i)) continue;
                newTypeOf[i] = twinOf[info.functionTypes.get(i)];
                stats.narrowedFunctions++;
            }
            stats.narrowedTypes = appended.size();
            stats.marker = "f32/f64 (types by marker length: " + markerUse + ")";

            // Splitting of the signatures with too many table functions.
            List<Dispatcher> dispatchers = new ArrayList<>();
            java.util.Map<Integer, Integer> dispatcherOfType = new java.util.HashMap<>();
            String blocker =
                    maxDispatchCases <= 0
                            ? "turned off"
                            : tableChanged != null
                                    ? tableChanged
                                    : info.tableUnknown != null
                                            ? info.tableUnknown
                                            : info.tables != 1
                                                    ? info.tables + " tables"
                                                    : info.tableShared
                                                            ? "table 0 is imported or exported"
                                                            : null;
            if (blocker != null) {
                stats.splitSkipped = blocker;
            } else {
                // Signature -> its lowest type index, and table entries by signature, in slot
                // order.
                java.util.Map<String, Integer> baseOf = new java.util.LinkedHashMap<>();
                for (int t = 0; t < typeCount; t++)
                    baseOf.putIfAbsent(signature(wasm, info.typeShapes.get(t), new byte[0]), t);
                java.util.Map<Integer, List<int[]>> entriesByBase = new java.util.TreeMap<>();
                List<int[]> entries = new ArrayList<>(info.tableEntries);
                entries.sort(java.util.Comparator.comparingInt(e -> e[0]));
                java.util.BitSet seenSlot = new java.util.BitSet();
                for (int[] e : entries) {
                    // Later segments overwrite earlier ones at instantiation: keep the last writer.
                    if (seenSlot.get(e[0]))
                        throw new WasmFormatException(
                                "--narrow-dispatch: table slot "
                                        + e[0]
                                        + " is written by two element segments");
                    seenSlot.set(e[0]);
                    int function = e[1];
                    int type =
                            function < info.importedFunctions
                                    ? -1
                                    : info.functionTypes.get(function - info.importedFunctions);
                    if (type < 0)
                        continue; // an imported function keeps its type; it stays in partition 0's
                    // switch
                    int base = baseOf.get(signature(wasm, info.typeShapes.get(type), new byte[0]));
                    entriesByBase.computeIfAbsent(base, k -> new ArrayList<>()).add(e);
                }
                int nextFunction = info.importedFunctions + defined;
                for (var group : entriesByBase.entrySet()) {
                    int base = group.getKey();
                    List<int[]> slots = group.getValue();
                    int n = slots.size();
                    if (n <= maxDispatchCases) continue;
                    int parts = (n + maxDispatchCases - 1) / maxDispatchCases;
                    int[] firstSlot = new int[parts];
                    int[] partitionType = new int[parts];
                    boolean pinned = false;
                    for (int p = 0; p < parts; p++) {
                        int from = (int) ((long) p * n / parts),
                                to = (int) ((long) (p + 1) * n / parts);
                        firstSlot[p] = slots.get(from)[0];
                        if (p == 0) continue;
                        for (int k = from; k < to; k++)
                            pinned |= pinnedFunctions.get(slots.get(k)[1]);
                    }
                    if (pinned) {
                        stats.splitPinned++;
                        continue;
                    }
                    for (int p = 0; p < parts; p++) {
                        int from = (int) ((long) p * n / parts),
                                to = (int) ((long) (p + 1) * n / parts);
                        partitionType[p] =
                                p == 0
                                        ? base
                                        : appendType(
                                                wasm, info, base, signatures, appended, markers);
                        for (int k = from; p > 0 && k < to; k++) {
                            newTypeOf[slots.get(k)[1] - info.importedFunctions] = partitionType[p];
                        }
                    }
                    int dispatcherType =
                            appendDispatcherType(wasm, info, base, signatures, appended, markers);
                    Dispatcher d =
                            new Dispatcher(
                                    nextFunction++, dispatcherType, base, firstSlot, partitionType);
                    dispatchers.add(d);
                    for (int t = 0; t < typeCount; t++) {
                        if (baseOf.get(signature(wasm, info.typeShapes.get(t), new byte[0]))
                                == base) {
                            dispatcherOfType.put(t, d.function());
                        }
                    }
                    stats.splitSignatures++;
                    stats.partitions += parts;
                    stats.largestSplit = Math.max(stats.largestSplit, n);
                }
            }
            byte[][] markerOfType = markers.toArray(new byte[0][]);
            return new Narrowing(
                    info, newTypeOf, markerOfType, appended, dispatchers, dispatcherOfType);
        }

        /**
         * Appends a twin of {@code base} with the first marker list that makes it a new signature.
         */
        private static int appendType(
                byte[] wasm,
                ModuleInfo info,
                int base,
                java.util.Set<String> signatures,
                List<int[]> appended,
                List<byte[]> markers) {
            for (int c = 0; c < MARKER_CANDIDATES.size(); c++) {
                byte[] candidate = MARKER_CANDIDATES.get(c);
                if (signatures.add(signature(wasm, info.typeShapes.get(base), candidate))) {
                    appended.add(new int[] {base, c, 0});
                    markers.add(candidate);
                    return markers.size() - 1;
                }
            }
            throw new WasmFormatException(
                    "--narrow-dispatch: no marker parameter list gives type "
                            + base
                            + " a twin distinct from every other type");
        }

        /** The dispatcher's type: the base parameters, the i32 table slot, then a marker. */
        private static int appendDispatcherType(
                byte[] wasm,
                ModuleInfo info,
                int base,
                java.util.Set<String> signatures,
                List<int[]> appended,
                List<byte[]> markers) {
            for (int c = 0; c < MARKER_CANDIDATES.size(); c++) {
                byte[] candidate = MARKER_CANDIDATES.get(c);
                byte[] extra = new byte[candidate.length + 1];
                extra[0] = 0x7F;
                System.arraycopy(candidate, 0, extra, 1, candidate.length);
                if (signatures.add(signature(wasm, info.typeShapes.get(base), extra))) {
                    appended.add(new int[] {base, c, 1});
                    markers.add(candidate);
                    return markers.size() - 1;
                }
            }
            throw new WasmFormatException(
                    "--narrow-dispatch: no marker parameter list gives the dispatcher of type "
                            + base
                            + " a distinct type");
        }

        /**
         * Parameter and result bytes of a type, with {@code extraParams} appended to the
         * parameters.
         */
        private static String signature(byte[] wasm, int[] shape, byte[] extraParams) {
            StringBuilder sb = new StringBuilder();
            for (int i = shape[0]; i < shape[1]; i++) sb.append((char) (wasm[i] & 0xFF));
            for (byte b : extraParams) sb.append((char) (b & 0xFF));
            sb.append('|');
            for (int i = shape[2]; i < shape[3]; i++) sb.append((char) (wasm[i] & 0xFF));
            return sb.toString();
        }

        /**
         * Marks the targets of `ref.func` in bodies (reachable through a reference) and returns why
         * table contents can change at run time (an instruction that writes a table), or null.
         */
        private static String scanCode(
                byte[] wasm, Section code, java.util.BitSet taken, java.util.BitSet pinned) {
            String tableChanged = null;
            Reader r = new Reader(wasm, code.payloadStart, code.end);
            for (int n = r.u32(), i = 0; i < n; i++) {
                int size = r.u32();
                int bodyEnd = r.checkedEnd(size, "function body " + i);
                for (int groups = r.u32(), g = 0; g < groups; g++) {
                    r.u32();
                    r.valType();
                }
                while (r.pos < bodyEnd) {
                    int at = r.pos;
                    int op = Decoder.next(r);
                    if (op == 0xD2) {
                        int function = new Reader(wasm, at + 1, r.pos).u32();
                        taken.set(function);
                        pinned.set(function);
                    }
                    if (tableChanged == null
                            && (op == 0x26
                                    || op == 0xFC0C
                                    || op == 0xFC0E
                                    || op == 0xFC0F
                                    || op == 0xFC11)) {
                        tableChanged =
                                String.format(
                                        "code changes a table (opcode at file offset 0x%X)", at);
                    }
                }
            }
            return tableChanged;
        }

        byte[] typeSection(byte[] wasm, Section s, ModuleInfo info) {
            Reader r = new Reader(wasm, s.payloadStart, s.end);
            int count = r.u32();
            ByteArrayOutputStream out =
                    new ByteArrayOutputStream(s.end - s.payloadStart + 16 * appendedTypes.size());
            writeU32(out, (long) count + appendedTypes.size());
            out.write(wasm, r.pos, s.end - r.pos);
            for (int[] a : appendedTypes) {
                int base = a[0];
                byte[] marker = MARKER_CANDIDATES.get(a[1]);
                boolean dispatcher = a[2] == 1;
                int[] shape = info.typeShapes.get(base);
                out.write(0x60);
                writeU32(
                        out,
                        info.typeParamCounts.get(base) + (dispatcher ? 1L : 0L) + marker.length);
                out.write(wasm, shape[0], shape[1] - shape[0]);
                if (dispatcher) out.write(0x7F);
                out.write(marker, 0, marker.length);
                writeU32(out, shape[4]);
                out.write(wasm, shape[2], shape[3] - shape[2]);
            }
            return out.toByteArray();
        }

        byte[] functionSection(ModuleInfo info) {
            ByteArrayOutputStream out =
                    new ByteArrayOutputStream(2 * info.functionTypes.size() + 8);
            writeU32(out, (long) info.functionTypes.size() + dispatchers.size());
            for (int i = 0; i < info.functionTypes.size(); i++) {
                writeU32(out, newTypeOf[i] >= 0 ? newTypeOf[i] : info.functionTypes.get(i));
            }
            for (Dispatcher d : dispatchers) writeU32(out, d.type());
            return out.toByteArray();
        }

        /**
         * Zeros for the marker parameters of the retyped {@code callee} (f32.const 0 / f64.const
         * 0).
         */
        void writeMarkerArguments(ByteArrayOutputStream out, int callee) {
            writeZeros(out, marker(callee));
        }

        /** Zeros for the marker parameters of {@code dispatcher}, pushed after the table slot. */
        void writeDispatcherMarker(ByteArrayOutputStream out, int dispatcher) {
            for (Dispatcher d : dispatchers) {
                if (d.function() == dispatcher) {
                    writeZeros(out, markerOfType[d.type()]);
                    return;
                }
            }
            throw new IllegalStateException("no dispatcher " + dispatcher);
        }

        private static void writeZeros(ByteArrayOutputStream out, byte[] marker) {
            for (byte type : marker) {
                out.write(type == 0x7D ? 0x43 : 0x44);
                for (int i = type == 0x7D ? 4 : 8; i > 0; i--) out.write(0);
            }
        }

        /**
         * The dispatcher bodies, after the original ones. With n base parameters, local n is the
         * table slot:
         *
         * <pre>
         *   block                                      ;; once per partition but the last
         *     local.get n  i32.const FIRST[p+1]  i32.ge_u  br_if 0
         *     local.get 0 .. n-1  (marker zeros of p)  local.get n  call_indirect TYPE[p] 0  return
         *   end
         *   local.get 0 .. n-1  (marker zeros of the last)  local.get n  call_indirect TYPE[last] 0
         * </pre>
         */
        void writeDispatcherBodies(ByteArrayOutputStream out) {
            for (Dispatcher d : dispatchers) {
                int params = info.typeParamCounts.get(d.baseType());
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.write(0); // no locals beyond the parameters
                writeRangeChoice(
                        body,
                        params,
                        d.firstSlot(),
                        p -> {
                            for (int k = 0; k < params; k++) {
                                body.write(0x20);
                                writeU32(body, k); // local.get k
                            }
                            byte[] marker = markerOfType[d.partitionType()[p]];
                            if (marker != null) writeZeros(body, marker);
                            body.write(0x20);
                            writeU32(body, params); // local.get slot
                            body.write(0x11);
                            writeU32(body, d.partitionType()[p]);
                            body.write(0x00); // call_indirect T 0
                        });
                body.write(0x0B); // end (function)
                writeU32(out, body.size());
                out.write(body.toByteArray(), 0, body.size());
            }
        }

        /**
         * Picks one of the slot ranges starting at {@code firstSlot[0..n-1]} by the table slot in
         * local {@code slot}, for narrowing's dispatchers and direct dispatch's entries alike:
         *
         * <pre>
         *   block                                      ;; once per range but the last
         *     local.get slot  i32.const FIRST[p+1]  i32.ge_u  br_if 0
         *     (call p)  return
         *   end
         *   (call n-1)
         * </pre>
         */
        static void writeRangeChoice(
                ByteArrayOutputStream body,
                int slot,
                int[] firstSlot,
                java.util.function.IntConsumer call) {
            for (int p = 0; p < firstSlot.length; p++) {
                boolean last = p == firstSlot.length - 1;
                if (!last) {
                    body.write(0x02);
                    body.write(0x40); // block
                    body.write(0x20);
                    writeU32(body, slot); // local.get slot
                    body.write(0x41);
                    writeS64(body, firstSlot[p + 1]); // i32.const
                    body.write(0x4F); // i32.ge_u
                    body.write(0x0D);
                    body.write(0x00); // br_if 0
                }
                call.accept(p);
                if (!last) {
                    body.write(0x0F); // return
                    body.write(0x0B); // end (block)
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Direct dispatch (--direct-dispatch FUNC)

    /**
     * The trampolined interpreter's driver loop (`_Py_eryx_run`, inlined into
     * `_PyEval_EvalFrameDefault`) makes one `call_indirect` per bytecode to the handler the last
     * handler stored. Chicory compiles a `call_indirect` into a table lookup through the instance,
     * a type check and a switch over every function of the type; since table 0 never changes, the
     * slot alone decides the callee, and a `br_table` over the slots reaches it by direct `call`s,
     * which Chicory compiles to a `tableswitch` of static calls.
     *
     * <p>Every `call_indirect` on table 0 inside a `loop` of the named functions (the driver loops)
     * becomes a `call` of an appended dispatcher with the same operands (the slot last). The cases
     * are the table slots holding a defined function whose type is structurally the called type;
     * every other slot (null, another type, an imported function, out of range) reaches the
     * original `call_indirect` in the dispatcher's default branch, so it calls or traps exactly as
     * before. When the tableswitch and the calls would pass {@link #MAX_JVM_BYTES}, the slots are
     * cut into ranges, each with a dispatcher of its own, and an entry dispatcher compares the slot
     * with each range's first slot. Dispatchers are not metered and a redirected `call_indirect`
     * costs what it did, so fuel counts do not change; function and type indices of the module do
     * not change either (dispatchers and their type are appended after narrowing's).
     *
     * <p>Needs table 0 fixed by the element section (the same conditions as splitting, see
     * Narrowing); otherwise, or when a named function has no such `call_indirect`, the tool stops
     * with an error.
     */
    private static final class DirectDispatch {
        static final DirectDispatch NONE =
                new DirectDispatch(
                        null,
                        null,
                        new java.util.HashMap<>(),
                        new ArrayList<>(),
                        new ArrayList<>());

        /**
         * Estimated JVM bytes of a range dispatcher, kept under HotSpot's 8,000-byte JIT limit with
         * a margin: a `tableswitch` entry is 4 bytes; a case (its parameters loaded, Chicory's
         * interruption check, the static call with the memory and instance arguments, the return)
         * was 17 in javap of the generated classes (docs/performance.md, "Lever 4"); 24 leaves
         * room.
         */
        static final int MAX_JVM_BYTES = 6_000;

        static final int BYTES_PER_SLOT = 4, BYTES_PER_CASE = 24, BYTES_FIXED = 64;

        private final ModuleInfo info;
        private final Narrowing narrowing;

        /** File offset of a redirected call_indirect -> the dispatcher it calls. */
        private final java.util.Map<Integer, Integer> entryAt;

        private final List<Body> bodies;

        /** Appended types: {base type index}, as (base params, i32) -> base results. */
        private final List<Integer> appendedTypes;

        /**
         * One appended function: a range dispatcher (cases non-null) or an entry that picks a range
         * (targets non-null).
         */
        private record Body(
                int function,
                int type,
                int baseType,
                int firstSlot,
                int[] caseOfSlot,
                int[] cases,
                int[] rangeFirstSlot,
                int[] targets) {}

        private DirectDispatch(
                ModuleInfo info,
                Narrowing narrowing,
                java.util.Map<Integer, Integer> entryAt,
                List<Body> bodies,
                List<Integer> appendedTypes) {
            this.info = info;
            this.narrowing = narrowing;
            this.entryAt = entryAt;
            this.bodies = bodies;
            this.appendedTypes = appendedTypes;
        }

        static DirectDispatch plan(
                byte[] wasm,
                Section code,
                ModuleInfo info,
                Narrowing narrowing,
                java.util.SortedSet<Integer> drivers,
                Stats stats) {
            String tableChanged =
                    code == null
                            ? null
                            : Narrowing.scanCode(
                                    wasm, code, new java.util.BitSet(), new java.util.BitSet());
            String blocker =
                    tableChanged != null
                            ? tableChanged
                            : info.tableUnknown != null
                                    ? info.tableUnknown
                                    : info.tables != 1
                                            ? info.tables + " tables"
                                            : info.tableShared
                                                    ? "table 0 is imported or exported"
                                                    : null;
            if (blocker != null)
                throw new WasmFormatException(
                        "--direct-dispatch needs table 0 fixed by the element section: " + blocker);
            int defined = info.functionTypes.size();
            for (int f : drivers) {
                if (f < info.importedFunctions || f >= info.importedFunctions + defined)
                    throw new WasmFormatException(
                            "--direct-dispatch: function " + f + " is not a defined function");
            }

            // The call_indirect sites inside a loop of each driver, by type.
            java.util.Map<Integer, List<Integer>> sitesByType = new java.util.TreeMap<>();
            Reader r = new Reader(wasm, code.payloadStart, code.end);
            for (int n = r.u32(), i = 0; i < n; i++) {
                int size = r.u32();
                int bodyEnd = r.checkedEnd(size, "function body " + i);
                int function = info.importedFunctions + i;
                if (!drivers.contains(function)) {
                    r.pos = bodyEnd;
                    continue;
                }
                for (int groups = r.u32(), g = 0; g < groups; g++) {
                    r.u32();
                    r.valType();
                }
                int found = 0;
                List<Boolean> isLoop = new ArrayList<>();
                int loops = 0;
                while (r.pos < bodyEnd) {
                    int at = r.pos;
                    int op = Decoder.next(r);
                    switch (op) {
                        case 0x02, 0x04 -> isLoop.add(false);
                        case 0x03 -> {
                            isLoop.add(true);
                            loops++;
                        }
                        case 0x0B -> {
                            if (!isLoop.isEmpty() && isLoop.remove(isLoop.size() - 1)) loops--;
                        }
                        case 0x11, 0x13 -> {
                            Reader imm = new Reader(wasm, at + 1, r.pos);
                            int type = imm.u32();
                            if (imm.u32() == 0 && loops > 0) {
                                sitesByType.computeIfAbsent(type, k -> new ArrayList<>()).add(at);
                                found++;
                            }
                        }
                        default -> {}
                    }
                }
                if (found == 0)
                    throw new WasmFormatException(
                            "--direct-dispatch: function "
                                    + function
                                    + " has no call_indirect on table 0 inside a loop");
            }

            java.util.Map<Integer, Integer> slotToFunction = new java.util.TreeMap<>();
            for (int[] e : info.tableEntries) {
                if (slotToFunction.put(e[0], e[1]) != null)
                    throw new WasmFormatException(
                            "--direct-dispatch: table slot "
                                    + e[0]
                                    + " is written by two element segments");
            }
            int nextFunction = info.importedFunctions + defined + narrowing.dispatcherCount();
            int nextType = info.typeShapes.size() + narrowing.appendedTypeCount();
            java.util.Map<Integer, Integer> entryAt = new java.util.HashMap<>();
            List<Body> bodies = new ArrayList<>();
            List<Integer> appendedTypes = new ArrayList<>();
            for (var group : sitesByType.entrySet()) {
                int base = group.getKey();
                if (base >= info.typeShapes.size())
                    throw new WasmFormatException(
                            "--direct-dispatch: call_indirect of unknown type " + base);
                String sig = Narrowing.signature(wasm, info.typeShapes.get(base), new byte[0]);
                List<int[]> cases = new ArrayList<>(); // {slot, function}, in slot order
                for (var e : slotToFunction.entrySet()) {
                    int f = e.getValue();
                    if (f < info.importedFunctions) continue; // the default branch calls it
                    int type = info.functionTypes.get(f - info.importedFunctions);
                    if (Narrowing.signature(wasm, info.typeShapes.get(type), new byte[0])
                            .equals(sig)) cases.add(new int[] {e.getKey(), f});
                }
                if (cases.isEmpty()) continue; // every call of this type traps: leave it alone
                int dispatcherType = nextType++;
                appendedTypes.add(base);
                // Cut into slot ranges whose dispatcher stays under the size estimate.
                List<List<int[]>> ranges = new ArrayList<>();
                List<int[]> current = new ArrayList<>();
                java.util.Set<Integer> distinct = new java.util.HashSet<>();
                for (int[] c : cases) {
                    int range = current.isEmpty() ? 1 : c[0] - current.get(0)[0] + 1;
                    int calls = distinct.size() + (distinct.contains(c[1]) ? 0 : 1);
                    if (!current.isEmpty()
                            && BYTES_FIXED + BYTES_PER_SLOT * (long) range + BYTES_PER_CASE * calls
                                    > MAX_JVM_BYTES) {
                        ranges.add(current);
                        current = new ArrayList<>();
                        distinct.clear();
                    }
                    current.add(c);
                    distinct.add(c[1]);
                }
                ranges.add(current);
                int entry = ranges.size() == 1 ? nextFunction : nextFunction + ranges.size();
                int[] rangeFirstSlot = new int[ranges.size()];
                int[] targets = new int[ranges.size()];
                for (int p = 0; p < ranges.size(); p++) {
                    List<int[]> range = ranges.get(p);
                    int first = range.get(0)[0];
                    int last = range.get(range.size() - 1)[0];
                    int[] caseOfSlot = new int[last - first + 1];
                    java.util.Arrays.fill(caseOfSlot, -1);
                    List<Integer> callees = new ArrayList<>();
                    java.util.Map<Integer, Integer> caseOf = new java.util.HashMap<>();
                    for (int[] c : range) {
                        Integer k = caseOf.get(c[1]);
                        if (k == null) {
                            k = callees.size();
                            caseOf.put(c[1], k);
                            callees.add(c[1]);
                        }
                        caseOfSlot[c[0] - first] = k;
                    }
                    rangeFirstSlot[p] = first;
                    targets[p] = nextFunction;
                    bodies.add(
                            new Body(
                                    nextFunction++,
                                    dispatcherType,
                                    base,
                                    first,
                                    caseOfSlot,
                                    callees.stream().mapToInt(Integer::intValue).toArray(),
                                    null,
                                    null));
                    stats.directCases += callees.size();
                    stats.directLargestRange =
                            Math.max(stats.directLargestRange, caseOfSlot.length);
                }
                if (ranges.size() > 1) {
                    bodies.add(
                            new Body(
                                    nextFunction++,
                                    dispatcherType,
                                    base,
                                    0,
                                    null,
                                    null,
                                    rangeFirstSlot,
                                    targets));
                }
                for (int at : group.getValue()) entryAt.put(at, entry);
                stats.directSites += group.getValue().size();
                stats.directRanges += ranges.size();
                stats.directTypes++;
            }
            return new DirectDispatch(info, narrowing, entryAt, bodies, appendedTypes);
        }

        /** The dispatcher replacing the call_indirect at file offset {@code at}, or -1. */
        int entryAt(int at) {
            return entryAt.getOrDefault(at, -1);
        }

        int dispatcherCount() {
            return bodies.size();
        }

        /** The type section with the dispatchers' types appended. */
        byte[] typeSection(byte[] wasm, byte[] payload) {
            ByteArrayOutputStream extra = new ByteArrayOutputStream();
            for (int base : appendedTypes) {
                int[] shape = info.typeShapes.get(base);
                extra.write(0x60);
                writeU32(extra, info.typeParamCounts.get(base) + 1L);
                extra.write(wasm, shape[0], shape[1] - shape[0]);
                extra.write(0x7F); // the table slot
                writeU32(extra, shape[4]);
                extra.write(wasm, shape[2], shape[3] - shape[2]);
            }
            return appendToVector(payload, appendedTypes.size(), extra.toByteArray());
        }

        /** The function section with the dispatchers' types appended. */
        byte[] functionSection(byte[] payload) {
            ByteArrayOutputStream extra = new ByteArrayOutputStream();
            for (Body b : bodies) writeU32(extra, b.type());
            return appendToVector(payload, bodies.size(), extra.toByteArray());
        }

        /** A section payload that is one vector, with {@code count} encoded items appended. */
        private static byte[] appendToVector(byte[] payload, int count, byte[] items) {
            Reader r = new Reader(payload, 0, payload.length);
            long n = r.u32() & 0xFFFF_FFFFL;
            ByteArrayOutputStream out =
                    new ByteArrayOutputStream(payload.length + items.length + 5);
            writeU32(out, n + count);
            out.write(payload, r.pos, payload.length - r.pos);
            out.write(items, 0, items.length);
            return out.toByteArray();
        }

        /**
         * The dispatcher bodies, after narrowing's. With n base parameters, local n is the slot. A
         * range dispatcher over slots FIRST .. FIRST + len - 1 with k distinct callees:
         *
         * <pre>
         *   block                                  ;; default: the original call_indirect
         *     block ... block                      ;; one per callee, callee 0 innermost
         *       local.get n  i32.const FIRST  i32.sub
         *       br_table (per slot: its callee's depth, or k)  k
         *     end  local.get 0 .. n-1  (marker zeros)  call CALLEE[0]  return
         *     ...
         *   end
         *   local.get 0 .. n-1  local.get n  call_indirect TYPE 0  ;; same call, same trap as before
         * </pre>
         *
         * An entry over several ranges picks one as {@link Narrowing#writeRangeChoice} does, each
         * range's call being {@code local.get 0 .. n call RANGE[p]}.
         */
        void writeBodies(ByteArrayOutputStream out) {
            for (Body d : bodies) {
                int params = info.typeParamCounts.get(d.baseType());
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.write(0); // no locals beyond the parameters
                if (d.targets() != null) {
                    Narrowing.writeRangeChoice(
                            body,
                            params,
                            d.rangeFirstSlot(),
                            p -> {
                                for (int k = 0; k <= params; k++) {
                                    body.write(0x20);
                                    writeU32(body, k); // local.get k (the slot last)
                                }
                                body.write(0x10);
                                writeU32(body, d.targets()[p]); // call RANGE[p]
                            });
                } else {
                    int k = d.cases().length;
                    for (int b = 0; b <= k; b++) {
                        body.write(0x02);
                        body.write(0x40); // block
                    }
                    body.write(0x20);
                    writeU32(body, params); // local.get slot
                    body.write(0x41);
                    writeS64(body, d.firstSlot()); // i32.const FIRST
                    body.write(0x6B); // i32.sub
                    body.write(0x0E);
                    writeU32(body, d.caseOfSlot().length); // br_table
                    for (int c : d.caseOfSlot()) writeU32(body, c >= 0 ? c : k);
                    writeU32(body, k); // default: the original call_indirect
                    for (int c = 0; c < k; c++) {
                        body.write(0x0B); // end of callee c's block
                        for (int p = 0; p < params; p++) {
                            body.write(0x20);
                            writeU32(body, p);
                        }
                        int callee = d.cases()[c];
                        if (narrowing.isRetyped(callee))
                            narrowing.writeMarkerArguments(body, callee);
                        body.write(0x10);
                        writeU32(body, callee); // call
                        body.write(0x0F); // return
                    }
                    body.write(0x0B); // end of the default block
                    for (int p = 0; p <= params; p++) {
                        body.write(0x20);
                        writeU32(body, p); // the operands, the slot last
                    }
                    Integer split = narrowing.dispatcherOfType.get(d.baseType());
                    if (split != null) {
                        // narrowing split this type: its dispatcher is the original call now
                        narrowing.writeDispatcherMarker(body, split);
                        body.write(0x10);
                        writeU32(body, split);
                    } else {
                        body.write(0x11);
                        writeU32(body, d.baseType());
                        body.write(0x00); // call_indirect TYPE 0
                    }
                }
                body.write(0x0B); // end (function)
                writeU32(out, body.size());
                out.write(body.toByteArray(), 0, body.size());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Function splitting (--split-functions)

    /**
     * Chicory compiles every wasm function into one JVM method, and HotSpot never JIT-compiles a
     * method above 8,000 bytes of bytecode (DontCompileHugeMethods): such a function runs in the
     * JVM's bytecode interpreter for ever. This pass outlines structured regions of a function
     * whose estimated JVM method is larger than a target into new functions appended to the module,
     * until every function is estimated below it.
     *
     * <p>It runs on the instrumented module (after metering and narrowing), so the charges of the
     * loops inside a region move with it and the new functions carry no entry charge: fuel counts
     * are exactly those of the unsplit module. Existing function, type and local indices do not
     * change.
     *
     * <p><b>Regions.</b> A `block`, `loop` or `if` … `end` whose block type takes no parameters.
     * The operand stack below it is untouched (an `if`'s condition becomes the outlined function's
     * first parameter). The outlined function takes the caller's locals the region reads, and
     * returns the block's results, then the locals it writes that the caller reads elsewhere (those
     * are parameters too, since a path through the region may leave them unchanged), then, when a
     * `return` leaves the region, the caller's result values, then an exit code when anything
     * leaves the region. A local that is always written before it is read within the same
     * straight-line code (the fuel counter's scratch local among them) carries nothing in or out. A
     * branch to a label outside the region gets an exit code: inside the outlined function it goes
     * to a landing block that returns the code, and the caller's `br_table` on the code takes the
     * same branch. A region is skipped when a branch that leaves it carries values (except `return`
     * and a `br` to the function's own label), when it holds a tail call, or when its parameters
     * would not fit a JVM method's argument list.
     *
     * <p><b>Size model.</b> JVM bytes per wasm instruction, fitted to `javap` of the classes
     * Chicory generated for python.wasm (docs/wasm-levers.md, "Function splitting"); the fit is
     * rounded up, so estimates err on the large side.
     */
    static final class Outlining {
        /** Separates parameters from results in an encoded type (not a value type byte). */
        private static final char SEP = ':';

        private final int target;
        private final List<String> types = new ArrayList<>(); // encoded, by type index
        private final java.util.Map<String, Integer> typeIndex = new java.util.HashMap<>();
        private final java.util.Set<String> signatures = new java.util.HashSet<>();
        private final List<Integer> functionTypes = new ArrayList<>();
        private final List<byte[]> bodies = new ArrayList<>();
        private final int importedFunctions;
        private final int originalDefined;
        private final int originalTypes;
        final List<String> notSplit = new ArrayList<>();
        int splitFunctions;
        int outlined;
        int largestBefore;
        int largestAfter;
        long multiResultRegions;

        private Outlining(
                int target, int importedFunctions, int originalDefined, int originalTypes) {
            this.target = target;
            this.importedFunctions = importedFunctions;
            this.originalDefined = originalDefined;
            this.originalTypes = originalTypes;
        }

        /** Returns the module with every over-sized function split, or the input when none is. */
        static byte[] apply(byte[] wasm, int target, Stats stats) {
            Reader r = new Reader(wasm, 8, wasm.length);
            List<Section> sections = new ArrayList<>();
            while (!r.atEnd()) {
                int start = r.pos;
                int id = r.u8();
                int size = r.u32();
                int payloadStart = r.pos;
                int end = r.checkedEnd(size, "section " + id);
                sections.add(new Section(id, start, payloadStart, end));
                r.pos = end;
            }
            ModuleInfo info = ModuleInfo.read(wasm, sections);
            Outlining o =
                    new Outlining(
                            target,
                            info.importedFunctions,
                            info.functionTypes.size(),
                            info.typeShapes.size());
            for (int[] shape : info.typeShapes) {
                String t =
                        new String(
                                        wasm,
                                        shape[0],
                                        shape[1] - shape[0],
                                        java.nio.charset.StandardCharsets.ISO_8859_1)
                                + SEP
                                + new String(
                                        wasm,
                                        shape[2],
                                        shape[3] - shape[2],
                                        java.nio.charset.StandardCharsets.ISO_8859_1);
                o.typeIndex.putIfAbsent(t, o.types.size());
                o.types.add(t);
                o.signatures.add(t);
            }
            o.functionTypes.addAll(info.functionTypes);
            Section code = null;
            for (Section s : sections) if (s.id == SEC_CODE) code = s;
            if (code == null) return wasm;
            Reader c = new Reader(wasm, code.payloadStart, code.end);
            for (int n = c.u32(), i = 0; i < n; i++) {
                int size = c.u32();
                int start = c.pos;
                c.pos = c.checkedEnd(size, "function body " + i);
                bodies(o).add(java.util.Arrays.copyOfRange(wasm, start, c.pos));
            }
            boolean changed = false;
            for (int f = 0; f < o.bodies.size(); f++) {
                try {
                    changed |= o.split(f);
                } catch (WasmFormatException e) {
                    throw new WasmFormatException(
                            "splitting function "
                                    + (o.importedFunctions + f)
                                    + ": "
                                    + e.getMessage());
                }
            }
            stats.outlining = o.describe();
            if (!changed) return wasm;

            ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + wasm.length / 8);
            out.write(wasm, 0, 8);
            for (Section s : sections) {
                switch (s.id) {
                    case SEC_TYPE -> writeSection(out, SEC_TYPE, o.typeSection());
                    case SEC_FUNCTION -> writeSection(out, SEC_FUNCTION, o.functionSection());
                    case SEC_CODE -> writeSection(out, SEC_CODE, o.codeSection());
                    default -> out.write(wasm, s.start, s.end - s.start);
                }
            }
            return out.toByteArray();
        }

        private static List<byte[]> bodies(Outlining o) {
            return o.bodies;
        }

        String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("function splitting     : ")
                    .append(splitFunctions)
                    .append(" functions above ")
                    .append(target)
                    .append(" estimated JVM bytes split into ")
                    .append(outlined)
                    .append(" outlined functions (")
                    .append(multiResultRegions)
                    .append(" with more than one result); largest estimate ")
                    .append(largestBefore)
                    .append(" -> ")
                    .append(largestAfter)
                    .append('\n');
            for (String s : notSplit) sb.append("  still above target   : ").append(s).append('\n');
            return sb.toString();
        }

        private byte[] typeSection() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeU32(out, types.size());
            for (String t : types) {
                int bar = t.indexOf(SEP);
                out.write(0x60);
                writeU32(out, bar);
                writeLatin1(out, t.substring(0, bar));
                writeU32(out, t.length() - bar - 1);
                writeLatin1(out, t.substring(bar + 1));
            }
            return out.toByteArray();
        }

        private byte[] functionSection() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeU32(out, functionTypes.size());
            for (int t : functionTypes) writeU32(out, t);
            return out.toByteArray();
        }

        private byte[] codeSection() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeU32(out, bodies.size());
            for (byte[] b : bodies) {
                writeU32(out, b.length);
                out.write(b, 0, b.length);
            }
            return out.toByteArray();
        }

        private static void writeLatin1(ByteArrayOutputStream out, String s) {
            for (int i = 0; i < s.length(); i++) out.write(s.charAt(i));
        }

        /** Splits defined function f (and the functions outlined from it) until it fits. */
        private boolean split(int f) {
            boolean changed = false;
            int before = -1;
            int last = Integer.MAX_VALUE;
            while (true) {
                Body b =
                        Body.parse(bodies.get(f), localTypesOf(f), resultsOf(functionTypes.get(f)));
                if (b == null) {
                    notSplit.add(name(f) + ": locals of reference types");
                    return changed;
                }
                if (before < 0) {
                    before = b.estimate;
                    largestBefore = Math.max(largestBefore, before);
                }
                if (b.estimate <= target) {
                    if (changed || f >= originalDefined)
                        largestAfter = Math.max(largestAfter, b.estimate);
                    if (changed && f < originalDefined) splitFunctions++;
                    return changed;
                }
                // a round that did not shrink the body (stubs as large as what they replaced)
                // would repeat for ever
                List<Region> picked = b.estimate < last ? pick(b) : List.of();
                last = b.estimate;
                if (picked.isEmpty()) {
                    notSplit.add(name(f) + ": estimate " + b.estimate + ", no region to outline");
                    largestAfter = Math.max(largestAfter, b.estimate);
                    if (changed && f < originalDefined) splitFunctions++;
                    return changed;
                }
                bodies.set(f, rewrite(b, picked));
                changed = true;
            }
        }

        private String name(int f) {
            return "function "
                    + (importedFunctions + f)
                    + (f >= originalDefined ? " (outlined)" : "");
        }

        private byte[] localTypesOf(int f) {
            String t = types.get(functionTypes.get(f));
            int bar = t.indexOf(SEP);
            ByteArrayOutputStream params = new ByteArrayOutputStream();
            writeLatin1(params, t.substring(0, bar));
            return params.toByteArray();
        }

        private byte[] resultsOf(int type) {
            String t = types.get(type);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writeLatin1(out, t.substring(t.indexOf(SEP) + 1));
            return out.toByteArray();
        }

        /** Blocks results by block type: null for a block type with parameters. */
        private byte[] blockResults(long blockType) {
            if (blockType == 0x40) return new byte[0];
            if (blockType < 0) return new byte[] {(byte) (blockType & 0x7F)};
            String t = types.get((int) blockType);
            if (t.indexOf(SEP) != 0) return null;
            return resultsOf((int) blockType);
        }

        // --- size model ---------------------------------------------------------------------

        /** Estimated JVM bytecode bytes of one instruction (see the class comment). */
        static int cost(int op) {
            return switch (op) {
                case 0x20, 0x21, 0x22 -> 2; // local.get/set/tee
                case 0x41, 0x42, 0x43, 0x44 -> 3; // const
                case 0x23, 0x24 -> 3; // global.get/set
                case 0x10, 0x12 -> 7; // call: memory and instance arguments, invokestatic
                case 0x11, 0x13 -> 17;
                case 0x0D, 0x04 -> 4; // br_if, if
                case 0x0C -> 2; // br
                case 0x0E -> 18; // br_table, plus PER_BR_TABLE_TARGET per target
                case 0x02, 0x03, 0x05, 0x0B, 0x01 -> 1;
                case 0x1A, 0x1B, 0x1C -> 5; // drop, select
                case 0x0F -> 3;
                default -> {
                    if (op >= 0x28 && op <= 0x35) yield 8; // loads
                    if (op >= 0x36 && op <= 0x3E) yield 5; // stores
                    if (op >= 0x45 && op <= 0xC4) yield 2; // numeric
                    yield 10;
                }
            };
        }

        static final int PER_BR_TABLE_TARGET = 4;
        static final int PER_LOCAL = 3;
        static final int PER_RESULT = 10; // storing a multi-value result into the long[]
        static final int FIXED = 10;

        // --- parsing --------------------------------------------------------------------------

        /** A decoded body: instructions, the control tree and the size estimate. */
        static final class Body {
            byte[] code;
            int codeStart;
            byte[] localTypes; // all locals, parameters first
            byte[] functionResults;
            int[] at; // instruction start
            int[] op;
            int[] imm; // local index, branch depth, or the matching end for block/loop/if
            int[] parent; // enclosing construct's instruction, -1 for the function label
            int[] size; // estimated cost prefix sums: size[i] = cost of instructions before i
            boolean[] scratch;
            int[] reads; // local.get count per local
            int count;
            int estimate;

            static Body parse(byte[] body, byte[] params, byte[] results) {
                Body b = new Body();
                b.code = body;
                b.functionResults = results;
                Reader r = new Reader(body, 0, body.length);
                ByteArrayOutputStream lt = new ByteArrayOutputStream();
                lt.write(params, 0, params.length);
                for (int g = r.u32(), i = 0; i < g; i++) {
                    int n = r.u32();
                    int t = r.valType();
                    if (t == 0x63 || t == 0x64) return null;
                    for (int k = 0; k < n; k++) lt.write(t);
                }
                b.localTypes = lt.toByteArray();
                b.codeStart = r.pos;
                int cap = Math.max(16, body.length / 2);
                b.at = new int[cap];
                b.op = new int[cap];
                b.imm = new int[cap];
                b.parent = new int[cap];
                b.size = new int[cap + 1];
                int[] stack = new int[64];
                int depth = 0;
                int n = 0;
                int total = FIXED + PER_LOCAL * b.localTypes.length;
                while (!r.atEnd()) {
                    int at = r.pos;
                    int op = Decoder.next(r);
                    if (n + 1 >= b.at.length) b.grow();
                    b.at[n] = at;
                    b.op[n] = op;
                    b.parent[n] = depth == 0 ? -1 : stack[depth - 1];
                    b.size[n] = total;
                    int c = cost(op);
                    switch (op) {
                        case 0x02, 0x03, 0x04 -> {
                            if (depth == stack.length)
                                stack = java.util.Arrays.copyOf(stack, depth * 2);
                            stack[depth++] = n;
                        }
                        case 0x0B -> {
                            if (depth > 0) b.imm[stack[--depth]] = n;
                        }
                        case 0x20, 0x21, 0x22, 0x0C, 0x0D ->
                                b.imm[n] = new Reader(body, at + 1, r.pos).u32();
                        case 0x0E ->
                                c += PER_BR_TABLE_TARGET * new Reader(body, at + 1, r.pos).u32();
                        default -> {}
                    }
                    total += c;
                    n++;
                }
                b.size[n] = total;
                b.count = n;
                b.estimate = total;
                b.findScratch();
                return b;
            }

            private void grow() {
                int cap = at.length * 2;
                at = java.util.Arrays.copyOf(at, cap);
                op = java.util.Arrays.copyOf(op, cap);
                imm = java.util.Arrays.copyOf(imm, cap);
                parent = java.util.Arrays.copyOf(parent, cap);
                size = java.util.Arrays.copyOf(size, cap + 1);
            }

            /**
             * Locals whose every read follows a write in the same straight-line code: their value
             * never crosses a label, so no region needs to carry them in or out.
             */
            private void findScratch() {
                scratch = new boolean[localTypes.length];
                reads = new int[localTypes.length];
                java.util.Arrays.fill(scratch, true);
                java.util.BitSet written = new java.util.BitSet();
                for (int i = 0; i < count; i++) {
                    switch (op[i]) {
                        case 0x02, 0x03, 0x04, 0x05, 0x0B -> written.clear();
                        case 0x21, 0x22 -> written.set(imm[i]);
                        case 0x20 -> {
                            if (imm[i] >= localTypes.length)
                                throw new WasmFormatException(
                                        "local.get of undeclared local " + imm[i]);
                            reads[imm[i]]++;
                            if (!written.get(imm[i])) scratch[imm[i]] = false;
                        }
                        default -> {}
                    }
                }
            }

            long blockType(int i) {
                Reader r = new Reader(code, at[i] + 1, code.length);
                int t = code[r.pos] & 0xFF;
                if (t == 0x40) return 0x40;
                if ((t & 0xC0) == 0x40) return t - 0x80; // a value type, as its negative s33
                return r.s33();
            }

            int regionSize(int s) {
                return size[imm[s] + 1] - size[s];
            }
        }

        /** A region to outline and what crosses its boundary. */
        private static final class Region {
            int start; // block/loop/if instruction
            int end; // its `end`
            byte[] results; // of the block type
            int[] params; // caller locals passed in, ascending
            int[] written; // caller locals returned, ascending
            boolean returns; // a `return` (or br to the function label with values) leaves it
            List<Integer> exits = new ArrayList<>(); // caller label depths, by exit code - 1
            int markers; // unused f64 parameters that keep the type off every table signature
            int size;
            int saving;
        }

        /** Caller label arity of the construct at i (its label as seen by a branch). */
        private int labelArity(Body b, int i) {
            long bt = b.blockType(i);
            if (b.op[i] == 0x03) {
                if (bt == 0x40 || bt < 0) return 0;
                String t = types.get((int) bt);
                return t.indexOf(SEP); // loop label: its parameters (one byte each: numeric types)
            }
            byte[] res = blockResults(bt);
            return res == null ? -1 : res.length;
        }

        private List<Region> pick(Body b) {
            List<Region> candidates = new ArrayList<>();
            // thresholds scale with the target (7,000: regions of 280 to 6,757 bytes that save
            // at least 140), so that small fixtures exercise the same code
            int limit = target - FIXED - target / 30;
            int smallest = target / 25;
            for (int i = 0; i < b.count; i++) {
                int op = b.op[i];
                if (op != 0x02 && op != 0x03 && op != 0x04) continue;
                int size = b.regionSize(i);
                // a region that is nearly the whole body would only move the body elsewhere
                if (size > limit || size < smallest || size > b.estimate * 3 / 4) continue;
                Region g = analyse(b, i);
                if (g != null && g.saving > target / 50) candidates.add(g);
            }
            candidates.sort((x, y) -> Integer.compare(y.saving, x.saving));
            List<Region> picked = new ArrayList<>();
            int remaining = b.estimate;
            for (Region g : candidates) {
                if (remaining <= target) break;
                boolean overlaps = false;
                for (Region p : picked) {
                    if (g.start <= p.end && p.start <= g.end) {
                        overlaps = true;
                        break;
                    }
                }
                if (overlaps) continue;
                picked.add(g);
                remaining -= g.saving;
            }
            picked.sort((x, y) -> Integer.compare(x.start, y.start));
            return picked;
        }

        /**
         * What crosses the boundary of the region starting at s, or null when it is not eligible.
         */
        private Region analyse(Body b, int s) {
            long bt = b.blockType(s);
            byte[] results = blockResults(bt);
            if (results == null) return null;
            Region g = new Region();
            g.start = s;
            g.end = b.imm[s];
            g.results = results;
            // ancestors of s: caller label j is the j-th enclosing construct (the function last)
            List<Integer> ancestors = new ArrayList<>();
            for (int p = b.parent[s]; p >= 0; p = b.parent[p]) ancestors.add(p);
            java.util.BitSet read = new java.util.BitSet();
            java.util.BitSet write = new java.util.BitSet();
            int[] readsInside = new int[b.localTypes.length];
            java.util.BitSet touched = new java.util.BitSet();
            int depth = 0; // labels open inside the region
            for (int i = s; i <= g.end; i++) {
                int op = b.op[i];
                switch (op) {
                    case 0x02, 0x03, 0x04 -> depth++;
                    case 0x0B -> depth--;
                    case 0x12, 0x13 -> {
                        return null; // a tail call would return from the outlined function only
                    }
                    case 0x20 -> {
                        touched.set(b.imm[i]);
                        readsInside[b.imm[i]]++;
                        if (!b.scratch[b.imm[i]]) read.set(b.imm[i]);
                    }
                    case 0x21, 0x22 -> {
                        touched.set(b.imm[i]);
                        if (!b.scratch[b.imm[i]]) write.set(b.imm[i]);
                    }
                    case 0x0F -> g.returns = true;
                    case 0x0C, 0x0D -> {
                        if (!exit(b, g, ancestors, b.imm[i] - depth, op == 0x0C)) return null;
                    }
                    case 0x0E -> {
                        Reader r = new Reader(b.code, b.at[i] + 1, b.code.length);
                        for (int n = r.u32(), k = 0; k <= n; k++) {
                            if (!exit(b, g, ancestors, r.u32() - depth, false)) return null;
                        }
                    }
                    default -> {}
                }
            }
            // locals written here and read anywhere else in the function
            java.util.BitSet out = new java.util.BitSet();
            // (inside a loop, a read in the region itself may see the value of the previous pass)
            boolean inLoop = false;
            for (int a : ancestors) inLoop |= b.op[a] == 0x03;
            for (int l = write.nextSetBit(0); l >= 0; l = write.nextSetBit(l + 1)) {
                if (b.reads[l] > readsInside[l] || (inLoop && readsInside[l] > 0)) out.set(l);
            }
            java.util.BitSet in = (java.util.BitSet) read.clone();
            in.or(out);
            g.params = in.stream().toArray();
            g.written = out.stream().toArray();
            int slots = b.op[s] == 0x04 ? 1 : 0;
            for (int l : g.params)
                slots += (b.localTypes[l] == 0x7E || b.localTypes[l] == 0x7C) ? 2 : 1;
            if (slots > 120) return null;
            int resultCount =
                    g.results.length
                            + g.written.length
                            + (g.returns ? b.functionResults.length : 0)
                            + (g.exits.isEmpty() && !g.returns ? 0 : 1);
            if (resultCount > 60) return null;
            g.size = b.regionSize(s);
            int stub =
                    16
                            + 3 * g.params.length
                            + (resultCount > 1 ? PER_RESULT * resultCount : 0)
                            + 12 * g.exits.size()
                            + (g.returns ? 10 : 0);
            g.saving = g.size - stub;
            // the outlined function must fit the target itself, or outlining could go on for ever
            int exits = g.exits.size() + (g.returns ? 1 : 0);
            int outlinedEstimate =
                    g.size
                            + FIXED
                            + PER_LOCAL * (touched.cardinality() + resultCount)
                            + (resultCount > 1 ? PER_RESULT * resultCount : 0)
                            + 8 * exits;
            if (outlinedEstimate > target) return null;
            return g;
        }

        /**
         * Records a branch to caller label j (j < 0: inside the region); false when the region
         * cannot carry it.
         */
        private boolean exit(Body b, Region g, List<Integer> ancestors, int j, boolean plainBr) {
            if (j < 0) return true;
            int arity;
            if (j < ancestors.size()) {
                arity = labelArity(b, ancestors.get(j));
            } else {
                arity = b.functionResults.length;
                if (arity > 0) {
                    if (!plainBr) return false;
                    g.returns = true; // a br to the function label is a return
                    return true;
                }
            }
            if (arity != 0) return false;
            if (!g.exits.contains(j)) g.exits.add(j);
            return true;
        }

        // --- rewriting ------------------------------------------------------------------------

        private byte[] rewrite(Body b, List<Region> regions) {
            // caller's extra locals: the exit code and the carried return values
            int nextLocal = b.localTypes.length;
            int exitLocal = -1;
            int returnLocals = -1;
            boolean anyExit = false, anyReturn = false;
            for (Region g : regions) {
                anyExit |= !g.exits.isEmpty() || g.returns;
                anyReturn |= g.returns;
            }
            if (anyExit) exitLocal = nextLocal++;
            if (anyReturn) {
                returnLocals = nextLocal;
                nextLocal += b.functionResults.length;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(b.code.length);
            // local declarations: the original groups, then the new ones
            Reader r = new Reader(b.code, 0, b.code.length);
            int groups = r.u32();
            int groupsStart = r.pos;
            for (int i = 0; i < groups; i++) {
                r.u32();
                r.valType();
            }
            writeU32(out, groups + (anyExit ? 1 : 0) + (anyReturn ? b.functionResults.length : 0));
            out.write(b.code, groupsStart, b.codeStart - groupsStart);
            if (anyExit) {
                out.write(1);
                out.write(0x7F);
            }
            if (anyReturn) {
                for (byte t : b.functionResults) {
                    out.write(1);
                    out.write(t);
                }
            }
            int copied = b.codeStart;
            for (Region g : regions) {
                out.write(b.code, copied, b.at[g.start] - copied);
                int function = outline(b, g);
                writeStub(out, b, g, function, exitLocal, returnLocals);
                copied = b.at[g.end] + 1; // the region's `end` is one byte
                outlined++;
            }
            out.write(b.code, copied, b.code.length - copied);
            return out.toByteArray();
        }

        /** Appends the outlined function of region g; returns its function index. */
        private int outline(Body b, Region g) {
            boolean isIf = b.op[g.start] == 0x04;
            byte[] rv = g.returns ? b.functionResults : new byte[0];
            int exits = g.exits.size() + (g.returns ? 1 : 0);
            // parameters: [condition], the carried-in locals; then other locals the region uses
            ByteArrayOutputStream params = new ByteArrayOutputStream();
            if (isIf) params.write(0x7F);
            java.util.Map<Integer, Integer> map = new java.util.HashMap<>();
            int next = isIf ? 1 : 0;
            for (int l : g.params) {
                map.put(l, next++);
                params.write(b.localTypes[l]);
            }
            ByteArrayOutputStream locals = new ByteArrayOutputStream();
            int localGroups = 0;
            for (int i = g.start; i <= g.end; i++) {
                int op = b.op[i];
                if ((op == 0x20 || op == 0x21 || op == 0x22) && !map.containsKey(b.imm[i])) {
                    map.put(b.imm[i], next++);
                    locals.write(1);
                    locals.write(b.localTypes[b.imm[i]]);
                    localGroups++;
                }
            }
            // the carried return values, then (when something leaves) the block's results and the
            // exit code, kept in locals so that every exit shares one epilogue
            int rvLocal = next;
            ByteArrayOutputStream extra = new ByteArrayOutputStream();
            extra.write(rv, 0, rv.length);
            if (exits > 0) {
                extra.write(g.results, 0, g.results.length);
                extra.write(0x7F);
            }
            for (byte t : extra.toByteArray()) {
                locals.write(1);
                locals.write(t);
                localGroups++;
                next++;
            }
            int resultLocal = rvLocal + rv.length;
            int exitLocal = resultLocal + g.results.length;
            ByteArrayOutputStream results = new ByteArrayOutputStream();
            results.write(g.results, 0, g.results.length);
            for (int l : g.written) results.write(b.localTypes[l]);
            results.write(rv, 0, rv.length);
            if (exits > 0) results.write(0x7F);
            if (results.size() > 1) multiResultRegions++;
            String sig = latin1(params.toByteArray()) + SEP + latin1(results.toByteArray());
            // A type structurally equal to a table signature would join its call_indirect switch.
            String paramPart = sig.substring(0, sig.indexOf(SEP));
            String resultPart = sig.substring(sig.indexOf(SEP) + 1);
            int markers = 0;
            while (signatures.contains(sig)) {
                markers++;
                sig = paramPart + "\u007C".repeat(markers) + SEP + resultPart;
            }
            g.markers = markers;
            Integer type = typeIndex.get(sig);
            if (type == null || type < originalTypes) {
                type = types.size();
                types.add(sig);
                typeIndex.put(sig, type);
            }
            // The markers follow the real parameters, so the other locals move up.
            if (markers > 0) {
                for (var e : map.entrySet())
                    if (e.getValue() >= params.size()) e.setValue(e.getValue() + markers);
                rvLocal += markers;
                resultLocal += markers;
                exitLocal += markers;
            }

            ByteArrayOutputStream body =
                    new ByteArrayOutputStream(b.at[g.end] - b.at[g.start] + 64);
            writeU32(body, localGroups);
            body.write(locals.toByteArray(), 0, locals.size());
            if (exits > 0) {
                body.write(0x02);
                body.write(0x7F); // $done: yields the exit code
            }
            for (int k = 0; k < exits; k++) {
                body.write(0x02);
                body.write(0x40);
            }
            if (isIf) {
                body.write(0x20);
                body.write(0x00);
            }
            int depth = 0;
            byte[] code = b.code;
            for (int i = g.start; i <= g.end; i++) {
                int op = b.op[i];
                int at = b.at[i];
                int endAt = i + 1 < b.count ? b.at[i + 1] : code.length;
                switch (op) {
                    case 0x02, 0x03, 0x04 -> {
                        depth++;
                        body.write(code, at, endAt - at);
                    }
                    case 0x0B -> {
                        depth--;
                        body.write(0x0B);
                    }
                    case 0x20, 0x21, 0x22 -> {
                        body.write(op);
                        writeU32(body, map.get(b.imm[i]));
                    }
                    case 0x0F -> writeReturn(body, rv.length, rvLocal, depth + g.exits.size());
                    case 0x0C, 0x0D -> {
                        int k = b.imm[i];
                        if (k < depth) {
                            body.write(code, at, endAt - at);
                        } else if (g.exits.contains(k - depth)) {
                            body.write(op);
                            writeU32(body, depth + g.exits.indexOf(k - depth));
                        } else { // br to the function label with values: a return
                            writeReturn(body, rv.length, rvLocal, depth + g.exits.size());
                        }
                    }
                    case 0x0E -> {
                        Reader r = new Reader(code, at + 1, code.length);
                        int n = r.u32();
                        body.write(0x0E);
                        writeU32(body, n);
                        for (int k = 0; k <= n; k++) {
                            int t = r.u32();
                            writeU32(body, t < depth ? t : depth + g.exits.indexOf(t - depth));
                        }
                    }
                    default -> body.write(code, at, endAt - at);
                }
            }
            // normal completion: the block's results are on the stack
            if (exits == 0) {
                writeResults(body, g, map, rv.length, rvLocal, -1);
            } else {
                for (int k = g.results.length - 1; k >= 0; k--) {
                    body.write(0x21);
                    writeU32(body, resultLocal + k);
                }
                body.write(0x41);
                body.write(0x00);
                body.write(0x0C);
                writeU32(body, exits); // to $done with code 0
                for (int c = 1; c <= exits; c++) {
                    body.write(0x0B); // exit c lands here
                    body.write(0x41);
                    writeS64(body, c);
                    if (c < exits) {
                        body.write(0x0C);
                        writeU32(body, exits - c);
                    }
                }
                body.write(0x0B); // $done
                body.write(0x21);
                writeU32(body, exitLocal);
                for (int k = 0; k < g.results.length; k++) {
                    body.write(0x20);
                    writeU32(body, resultLocal + k);
                }
                writeResults(body, g, map, rv.length, rvLocal, exitLocal);
            }
            body.write(0x0B);
            functionTypes.add(type);
            bodies.add(body.toByteArray());
            return importedFunctions + bodies.size() - 1;
        }

        /** `return` inside the region: keep the values, leave through the return exit's block. */
        private static void writeReturn(
                ByteArrayOutputStream body, int values, int rvLocal, int label) {
            for (int k = values - 1; k >= 0; k--) {
                body.write(0x21);
                writeU32(body, rvLocal + k);
            }
            body.write(0x0C);
            writeU32(body, label);
        }

        private static void writeResults(
                ByteArrayOutputStream body,
                Region g,
                java.util.Map<Integer, Integer> map,
                int rvCount,
                int rvLocal,
                int exitLocal) {
            for (int l : g.written) {
                body.write(0x20);
                writeU32(body, map.get(l));
            }
            for (int k = 0; k < rvCount; k++) {
                body.write(0x20);
                writeU32(body, rvLocal + k);
            }
            if (exitLocal >= 0) {
                body.write(0x20);
                writeU32(body, exitLocal);
            }
        }

        private static void writeZero(ByteArrayOutputStream out, byte t) {
            switch (t) {
                case 0x7F -> {
                    out.write(0x41);
                    out.write(0);
                }
                case 0x7E -> {
                    out.write(0x42);
                    out.write(0);
                }
                case 0x7D -> {
                    out.write(0x43);
                    out.write(new byte[4], 0, 4);
                }
                case 0x7C -> {
                    out.write(0x44);
                    out.write(new byte[8], 0, 8);
                }
                default -> throw new WasmFormatException("no zero for value type " + t);
            }
        }

        /** The call that replaces region g in its caller, and the dispatch on its exit code. */
        private void writeStub(
                ByteArrayOutputStream out,
                Body b,
                Region g,
                int function,
                int exitLocal,
                int returnLocals) {
            for (int l : g.params) {
                out.write(0x20);
                writeU32(out, l);
            }
            for (int k = 0; k < g.markers; k++) writeZero(out, (byte) 0x7C);
            out.write(0x10);
            writeU32(out, function);
            int exits = g.exits.size() + (g.returns ? 1 : 0);
            if (exits > 0) {
                out.write(0x21);
                writeU32(out, exitLocal);
            }
            if (g.returns) {
                for (int k = b.functionResults.length - 1; k >= 0; k--) {
                    out.write(0x21);
                    writeU32(out, returnLocals + k);
                }
            }
            for (int k = g.written.length - 1; k >= 0; k--) {
                out.write(0x21);
                writeU32(out, g.written[k]);
            }
            if (exits == 0) return;
            // block $normal; block $exit_m … block $exit_1; br_table on the code
            for (int k = 0; k <= exits; k++) {
                out.write(0x02);
                out.write(0x40);
            }
            out.write(0x20);
            writeU32(out, exitLocal);
            out.write(0x0E);
            writeU32(out, exits + 1);
            writeU32(out, exits); // code 0: the normal end
            for (int c = 1; c <= exits; c++) writeU32(out, c - 1);
            writeU32(out, exits); // default (never taken)
            for (int c = 1; c <= exits; c++) {
                out.write(0x0B);
                int enclosing = exits - c + 1;
                if (c <= g.exits.size()) {
                    out.write(0x0C);
                    writeU32(out, g.exits.get(c - 1) + enclosing);
                } else {
                    for (int k = 0; k < b.functionResults.length; k++) {
                        out.write(0x20);
                        writeU32(out, returnLocals + k);
                    }
                    out.write(0x0F);
                }
            }
            out.write(0x0B);
        }

        private static String latin1(byte[] b) {
            return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Instruction decoding

    private static final class Decoder {
        /**
         * Reads one instruction with its immediates and returns its opcode (0xFCnn for the 0xFC
         * prefix). Throws on opcodes outside the supported set.
         */
        static int next(Reader r) {
            int at = r.pos;
            int op = r.u8();
            switch (op) {
                case 0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1 -> {}
                case 0x02, 0x03, 0x04 -> r.blockType();
                case 0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2 ->
                        r.u32();
                case 0x0E -> {
                    int n = r.u32();
                    for (int i = 0; i <= n; i++) r.u32(); // n targets plus the default
                }
                case 0x11, 0x13 -> {
                    r.u32();
                    r.u32();
                } // type index, table index
                case 0x1C -> {
                    for (int n = r.u32(), i = 0; i < n; i++) r.valType();
                }
                case 0x3F, 0x40 -> r.u32(); // memory index (a 0x00 byte before multi-memory)
                case 0x41 -> r.s32();
                case 0x42 -> r.s64();
                case 0x43 -> r.skip(4);
                case 0x44 -> r.skip(8);
                case 0xD0 -> r.s33(); // ref.null heap type
                case 0xFC -> {
                    int sub = r.u32();
                    switch (sub) {
                        case 0, 1, 2, 3, 4, 5, 6, 7 -> {} // trunc_sat
                        case 8, 10, 12, 14 -> {
                            r.u32();
                            r.u32();
                        } // memory.init/copy, table.init/copy
                        case 9, 11, 13, 15, 16, 17 ->
                                r.u32(); // data.drop, memory.fill, elem.drop, table.grow/size/fill
                        default ->
                                throw unsupported(
                                        at,
                                        String.format("0xFC %d", sub),
                                        "unknown 0xFC instruction");
                    }
                    return 0xFC00 | sub;
                }
                default -> {
                    if (op >= 0x28 && op <= 0x3E) {
                        r.memArg();
                    } else if (op >= 0x45 && op <= 0xC4) {
                        // numeric instructions without immediates, sign extension included
                    } else {
                        throw unsupported(at, String.format("0x%02X", op), proposalOf(op));
                    }
                }
            }
            return op;
        }

        /** Control instructions that end a cost run (see the header comment). */
        static boolean endsRun(int op) {
            return switch (op) {
                case 0x00, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13 ->
                        true;
                default -> false;
            };
        }

        private static String proposalOf(int op) {
            if (op == 0xFD) return "SIMD is not supported";
            if (op == 0xFE) return "threads/atomics are not supported";
            if (op == 0xFB) return "GC is not supported";
            if ((op >= 0x06 && op <= 0x0A) || op == 0x18 || op == 0x19 || op == 0x1F) {
                return "exception handling is not supported";
            }
            if (op == 0x14 || op == 0x15 || (op >= 0xD3 && op <= 0xD6)) {
                return "typed function references are not supported";
            }
            return "unknown opcode";
        }

        private static WasmFormatException unsupported(int offset, String op, String why) {
            return new WasmFormatException(
                    String.format("opcode %s at file offset 0x%X: %s", op, offset, why));
        }
    }

    /** A cursor over part of the module, with the LEB128 forms the format uses. */
    private static final class Reader {
        final byte[] b;
        int pos;
        final int limit;

        Reader(byte[] b, int pos, int limit) {
            this.b = b;
            this.pos = pos;
            this.limit = limit;
        }

        boolean atEnd() {
            return pos >= limit;
        }

        int u8() {
            if (pos >= limit)
                throw new WasmFormatException(
                        String.format("unexpected end of data at offset 0x%X", pos));
            return b[pos++] & 0xFF;
        }

        void skip(int n) {
            if (limit - pos < n)
                throw new WasmFormatException(
                        String.format("unexpected end of data at offset 0x%X", pos));
            pos += n;
        }

        int checkedEnd(int size, String what) {
            long end = (long) pos + (size & 0xFFFF_FFFFL);
            if (end > limit)
                throw new WasmFormatException(what + " runs past the end of its container");
            return (int) end;
        }

        /** Unsigned LEB128 of at most {@code bits} bits (and so at most ceil(bits / 7) bytes). */
        private long uleb(int bits) {
            int at = pos;
            long result = lebGroups(bits);
            if (bits < 64 && (result >>> bits) != 0) {
                throw new WasmFormatException(
                        String.format("LEB128 out of range at offset 0x%X", at));
            }
            return result;
        }

        /** Signed LEB128 of at most {@code bits} bits (and so at most ceil(bits / 7) bytes). */
        private long sleb(int bits) {
            int start = pos;
            long result = lebGroups(bits);
            int shift = 7 * (pos - start);
            boolean negative = (b[pos - 1] & 0x40) != 0;
            if (shift < 64 && negative) result |= -1L << shift;
            return result;
        }

        /**
         * The 7-bit groups of one LEB128 number, least significant first, without sign handling.
         */
        private long lebGroups(int bits) {
            int at = pos;
            long result = 0;
            int shift = 0;
            int x;
            do {
                if (shift >= bits)
                    throw new WasmFormatException(
                            String.format("LEB128 too long at offset 0x%X", at));
                x = u8();
                result |= (long) (x & 0x7F) << shift;
                shift += 7;
            } while ((x & 0x80) != 0);
            return result;
        }

        /** u32 as a non-negative int; indices and sizes above 2^31 cannot occur in a byte array. */
        int u32() {
            long v = uleb(32);
            if (v > Integer.MAX_VALUE)
                throw new WasmFormatException(
                        String.format("u32 %d too large at offset 0x%X", v, pos));
            return (int) v;
        }

        int s32() {
            return (int) sleb(32);
        }

        long s33() {
            return sleb(33);
        }

        long s64() {
            return sleb(64);
        }

        String name() {
            int len = u32();
            int start = pos;
            skip(len);
            return new String(b, start, len, java.nio.charset.StandardCharsets.UTF_8);
        }

        /** A value type; (ref null? ht) carries a heap type after its prefix byte. */
        int valType() {
            int t = u8();
            switch (t) {
                case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F -> {}
                case 0x63, 0x64 -> s33();
                default ->
                        throw new WasmFormatException(
                                String.format(
                                        "unsupported value type 0x%02X at offset 0x%X",
                                        t, pos - 1));
            }
            return t;
        }

        /** The empty type 0x40, a value type, or a non-negative s33 type index (multi-value). */
        void blockType() {
            if (pos >= limit)
                throw new WasmFormatException(
                        String.format("unexpected end of data at offset 0x%X", pos));
            int t = b[pos] & 0xFF;
            if (t == 0x40) {
                pos++;
            } else if ((t & 0xC0) == 0x40) { // a negative one-byte s33: a value type
                valType();
            } else {
                long index = s33();
                if (index < 0)
                    throw new WasmFormatException(
                            String.format("bad block type at offset 0x%X", pos));
            }
        }

        /** Limits of a table or memory; returns whether the 64-bit flag is set. */
        boolean limits() {
            int flags = u8();
            if ((flags & ~0x07) != 0)
                throw new WasmFormatException(String.format("unknown limits flags 0x%02X", flags));
            uleb(64);
            if ((flags & 0x01) != 0) uleb(64);
            return (flags & 0x04) != 0;
        }

        void memArg() {
            long align = uleb(32);
            if ((align & 0x40) != 0) u32(); // multi-memory: explicit memory index
            uleb(64); // offset (u64 with memory64)
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Encoding helpers

    static void writeU32(ByteArrayOutputStream out, long v) {
        do {
            int x = (int) (v & 0x7F);
            v >>>= 7;
            out.write(v != 0 ? x | 0x80 : x);
        } while (v != 0);
    }

    static int sizeU32(long v) {
        int n = 1;
        while ((v >>>= 7) != 0) n++;
        return n;
    }

    static void writeS64(ByteArrayOutputStream out, long v) {
        while (true) {
            int x = (int) (v & 0x7F);
            v >>= 7;
            boolean done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
            out.write(done ? x : x | 0x80);
            if (done) return;
        }
    }

    /** A growable long array; the CPython module has hundreds of thousands of points. */
    private static final class LongList {
        private long[] a = new long[16];
        private int n;

        void add(long v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        long get(int i) {
            return a[i];
        }

        void set(int i, long v) {
            a[i] = v;
        }

        int size() {
            return n;
        }
    }
}
