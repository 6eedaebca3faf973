package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import dev.eryx.internal.bridge.BridgeHost;
import dev.eryx.internal.wasi.WasiPreview1;
import java.util.ArrayList;
import java.util.List;

/**
 * One instance of the CPython module: its linear memory, its exports, and the two cells of memory
 * the host shares with the guest (the fuel counter and the interrupt flag, docs/bridge-abi.md).
 *
 * <p>Not thread-safe: only the sandbox's guest thread calls into it, except for {@link
 * #requestInterrupt()}, which is a single memory store meant for other threads.
 */
public final class GuestInstance {
    private static final int PAGE_SIZE = 65536;

    private final Instance instance;
    private final Memory memory;

    /** The same object as {@link #memory} when it is ours; null for Chicory's ByteArrayMemory. */
    private final JournaledMemory paged;

    private final int fuelAddress;
    private final int interruptFlagAddress;
    private final ExportFunction exec;

    /** Mutable globals at the start of the current execution (see {@link #beginExecution()}). */
    private final long[] globalsAtStart;

    private final boolean[] mutableGlobal;
    private final WasiBinding wasiBinding;

    private GuestInstance(Instance instance, WasiBinding wasiBinding) {
        this.instance = instance;
        this.wasiBinding = wasiBinding;
        this.memory = instance.memory();
        this.paged = memory instanceof JournaledMemory ? (JournaledMemory) memory : null;
        this.fuelAddress = addressOf(instance, "eryx_fuel");
        this.interruptFlagAddress = addressOf(instance, "eryx_interrupt_flag");
        this.exec = instance.export("eryx_exec");
        this.globalsAtStart = new long[instance.globalCount()];
        this.mutableGlobal = new boolean[globalsAtStart.length];
        for (int i = 0; i < mutableGlobal.length; i++) {
            mutableGlobal[i] = instance.global(i).getMutabilityType() == MutabilityType.Var;
        }
    }

    /**
     * Instantiates the module with the given imports and memory cap, runs libc's constructors and
     * boots the interpreter ({@code eryx_init}). Slow (the interpreter initialises itself); prefer
     * {@link #restore} from a state taken once.
     *
     * @param wasi the guest's view of the world
     * @param bridge the host operations of the {@code eryx} import module
     * @param memoryCapBytes the most linear memory the guest may grow to
     */
    public static GuestInstance boot(
            GuestModule module,
            WasiPreview1 wasi,
            BridgeHost bridge,
            long memoryCapBytes,
            MemoryOptions memoryOptions) {
        GuestInstance guest =
                instantiate(module, wasi, bridge, memoryCapBytes, memoryOptions, null);
        guarded(() -> guest.instance.export("_initialize").apply());
        long status = guarded(() -> guest.instance.export("eryx_init").apply()[0]);
        if (status != 0) {
            throw new GuestTrap(
                    GuestTrap.Kind.TRAP,
                    "the interpreter failed to start (eryx_init returned " + status + ")",
                    null);
        }
        return guest;
    }

    /**
     * A new instance continuing from {@code state}: the module is instantiated (tables and globals
     * set up) over a memory that shares the state's pages until it writes them, then the state's
     * globals replace the initial ones. Neither {@code _initialize} nor {@code eryx_init} runs
     * again.
     */
    public static GuestInstance restore(
            GuestModule module,
            InterpreterState state,
            WasiPreview1 wasi,
            BridgeHost bridge,
            long memoryCapBytes,
            MemoryOptions memoryOptions) {
        if (state.memoryBytes()
                > Math.min(memoryCapBytes, (long) Memory.RUNTIME_MAX_PAGES * PAGE_SIZE)) {
            throw new GuestTrap(
                    GuestTrap.Kind.TRAP,
                    "the state needs "
                            + state.memoryBytes()
                            + " bytes of memory, more than the sandbox's memory cap",
                    null);
        }
        InterpreterState matching =
                memoryOptions.chicoryByteArray()
                        ? state
                        : state.withPageShift(memoryOptions.pageShift());
        GuestInstance guest =
                instantiate(module, wasi, bridge, memoryCapBytes, memoryOptions, matching.pages());
        if (guest.paged != null) {
            guest.paged.instantiated();
        } else {
            Memory memory = guest.memory;
            int neededPages = (int) (state.memoryBytes() / PAGE_SIZE);
            if (neededPages > memory.pages() && memory.grow(neededPages - memory.pages()) < 0) {
                throw new GuestTrap(
                        GuestTrap.Kind.TRAP,
                        "the state needs "
                                + state.memoryBytes()
                                + " bytes of memory, more than the sandbox's memory cap",
                        null);
            }
            byte[] bytes = state.memory();
            memory.write(0, bytes, 0, bytes.length);
        }
        guest.setGlobals(state.globals());
        return guest;
    }

    private void setGlobals(long[] values) {
        for (int i = 0; i < values.length; i++) {
            if (mutableGlobal[i]) {
                instance.global(i).setValue(values[i]);
            }
        }
    }

    /** Captures memory and globals; call only between executions, on the guest thread. */
    public InterpreterState captureState() {
        SharedPages image =
                paged != null
                        ? paged.toImage()
                        : SharedPages.of(
                                memory.readBytes(0, memory.pages() * PAGE_SIZE),
                                PagedMemory.DEFAULT_PAGE_SHIFT);
        long[] globals = new long[instance.globalCount()];
        for (int i = 0; i < globals.length; i++) {
            globals[i] = instance.global(i).getValue();
        }
        return new InterpreterState(image, globals);
    }

    /**
     * Marks the start of an execution: {@link #rollback()} returns here. Also makes the interrupt
     * flag's page writable for the whole execution, so {@link #requestInterrupt()} from another
     * thread never races the guest thread's copy-on-write of that page. Call on the guest thread,
     * holding the lock {@link #requestInterrupt()} callers hold.
     */
    public void beginExecution() {
        for (int i = 0; i < globalsAtStart.length; i++) {
            if (mutableGlobal[i]) {
                globalsAtStart[i] = instance.global(i).getValue();
            }
        }
        if (paged != null) {
            paged.beginEpoch();
            paged.prepareWrite(interruptFlagAddress, 4);
        }
    }

    /**
     * Puts memory and mutable globals back as they were at {@link #beginExecution()}. Same locking
     * as {@link #beginExecution()}.
     *
     * @return false (nothing changed) if that is impossible: Chicory's memory, or the execution
     *     rewrote more memory than the journal may hold
     */
    public boolean rollback() {
        if (paged == null || !paged.rollback()) {
            return false;
        }
        setGlobals(globalsAtStart);
        paged.prepareWrite(interruptFlagAddress, 4);
        return true;
    }

    /**
     * Returns to {@code state}, which must be the one this instance was restored from: memory in
     * O(pages written since the restore), globals. Same locking as {@link #beginExecution()}.
     *
     * @return false (nothing changed) if this instance cannot be reset to it
     */
    public boolean resetTo(InterpreterState state) {
        if (paged == null || !paged.isOver(state.pages())) {
            return false;
        }
        paged.resetToImage();
        setGlobals(state.globals());
        return true;
    }

    /**
     * Resets to {@code state} (see {@link #resetTo}) and from now on serves the guest's WASI calls
     * from {@code wasi}: a fresh view of the world for the next tenant. Nothing changes if it
     * returns false.
     */
    public boolean resetTo(InterpreterState state, WasiPreview1 wasi) {
        if (paged == null || !paged.isOver(state.pages())) {
            return false;
        }
        wasiBinding.rebind(wasi);
        return resetTo(state);
    }

    /**
     * For measurements: {private bytes, pages written in the current (or last) execution, journal
     * bytes of that execution, page size}; all zero for Chicory's memory.
     */
    public long[] memoryFootprint() {
        if (paged == null) {
            return new long[4];
        }
        return new long[] {
            paged.ownedBytes(),
            paged.pagesWrittenThisEpoch(),
            paged.journalBytes(),
            paged.pageBytes()
        };
    }

    /**
     * Whether the guest was refused memory (its cap, or the JVM heap) during the current execution.
     */
    public boolean memoryRefused() {
        return paged != null && paged.growthRefused();
    }

    /** The largest the linear memory has been (since the last reset). */
    public long peakMemoryBytes() {
        return paged != null ? paged.peakBytes() : memoryBytes();
    }

    /**
     * The linear memory of {@code state} (a copy), for serialising it (dev.eryx.internal.state).
     */
    public static byte[] memoryOf(InterpreterState state) {
        return state.memory();
    }

    /** The global values of {@code state} (a copy), for serialising it. */
    public static long[] globalsOf(InterpreterState state) {
        return state.globals().clone();
    }

    /**
     * A state from serialised parts; {@link #restore} checks it against the module. Takes ownership
     * of the arrays.
     */
    public static InterpreterState stateOf(byte[] memory, long[] globals) {
        if (memory.length % PAGE_SIZE != 0) {
            throw new IllegalArgumentException(
                    "memory image is not a whole number of pages: " + memory.length);
        }
        return new InterpreterState(
                SharedPages.of(memory, PagedMemory.DEFAULT_PAGE_SHIFT), globals);
    }

    private static GuestInstance instantiate(
            GuestModule module,
            WasiPreview1 wasi,
            BridgeHost bridge,
            long memoryCapBytes,
            MemoryOptions options,
            SharedPages image) {
        WasiBinding binding = new WasiBinding(wasi);
        List<HostFunction> imports = new ArrayList<>(List.of(binding.imports()));
        imports.addAll(List.of(bridge.hostFunctions()));
        Instance instance =
                guarded(
                        () ->
                                Instance.builder(module.module())
                                        .withMachineFactory(module.machineFactory())
                                        .withImportValues(
                                                ImportValues.builder()
                                                        .addFunction(
                                                                imports.toArray(
                                                                        new HostFunction[0]))
                                                        .build())
                                        .withMemoryFactory(
                                                limits -> {
                                                    MemoryLimits capped =
                                                            capped(limits, memoryCapBytes);
                                                    if (options.chicoryByteArray()) {
                                                        return new ByteArrayMemory(capped);
                                                    }
                                                    return image == null
                                                            ? PagedMemory.fresh(
                                                                    capped,
                                                                    options.pageShift(),
                                                                    options.heapAllowance(),
                                                                    options.maxJournalBytes())
                                                            : PagedMemory.over(
                                                                    image,
                                                                    capped,
                                                                    options.heapAllowance(),
                                                                    options.maxJournalBytes());
                                                })
                                        .withStart(false)
                                        .build());
        return new GuestInstance(instance, binding);
    }

    /** Runs one execution; the request and outcome travel through the bridge. */
    public int exec() {
        long status = guarded(() -> exec.apply()[0]);
        return (int) status;
    }

    public long fuel() {
        return memory.readLong(fuelAddress);
    }

    public void setFuel(long fuel) {
        memory.writeLong(fuelAddress, fuel);
    }

    /**
     * Asks the interpreter to raise KeyboardInterrupt at its next safe point. Any thread may call
     * this.
     */
    public void requestInterrupt() {
        if (paged != null) {
            paged.writeI32Shared(interruptFlagAddress, 1);
            return;
        }
        memory.writeI32(interruptFlagAddress, 1);
    }

    /**
     * Whether an interrupt request is still waiting for the interpreter to take it (it clears the
     * flag).
     */
    public boolean interruptPending() {
        return memory.readInt(interruptFlagAddress) != 0;
    }

    public void clearInterrupt() {
        memory.writeI32(interruptFlagAddress, 0);
    }

    public long memoryBytes() {
        return (long) memory.pages() * PAGE_SIZE;
    }

    private static MemoryLimits capped(MemoryLimits declared, long capBytes) {
        long capPages =
                Math.max(
                        declared.initialPages(),
                        Math.min(capBytes / PAGE_SIZE, declared.maximumPages()));
        return new MemoryLimits(declared.initialPages(), (int) capPages);
    }

    private static int addressOf(Instance instance, String exportedGlobal) {
        return (int) instance.exports().global(exportedGlobal).getValue();
    }

    private interface GuestCall<T> {
        T call();
    }

    /**
     * Translates engine failures into {@link GuestTrap}; a Python-level failure never reaches here.
     */
    private static <T> T guarded(GuestCall<T> call) {
        try {
            return call.call();
        } catch (ChicoryInterruptedException e) {
            throw new GuestTrap(GuestTrap.Kind.INTERRUPTED, "the guest was interrupted", e);
        } catch (StackOverflowError e) {
            throw stackOverflow(e);
        } catch (ChicoryException e) {
            // Chicory reports a JVM stack overflow inside guest code as "call stack exhausted".
            if (e.getCause() instanceof StackOverflowError) {
                throw stackOverflow(e);
            }
            throw new GuestTrap(GuestTrap.Kind.TRAP, "the guest trapped: " + e.getMessage(), e);
        }
    }

    private static GuestTrap stackOverflow(Throwable cause) {
        return new GuestTrap(
                GuestTrap.Kind.STACK_OVERFLOW,
                "the guest exhausted the host thread's stack (C recursion too deep)",
                cause);
    }
}
