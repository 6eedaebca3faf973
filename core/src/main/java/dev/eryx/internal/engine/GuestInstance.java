package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
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
 * <p>Not thread-safe: only the sandbox's guest thread calls into it, except for
 * {@link #requestInterrupt()}, which is a single memory store meant for other threads.
 */
public final class GuestInstance {
    private static final int PAGE_SIZE = 65536;

    private final Instance instance;
    private final Memory memory;
    private final int fuelAddress;
    private final int interruptFlagAddress;
    private final ExportFunction exec;

    private GuestInstance(Instance instance) {
        this.instance = instance;
        this.memory = instance.memory();
        this.fuelAddress = addressOf(instance, "eryx_fuel");
        this.interruptFlagAddress = addressOf(instance, "eryx_interrupt_flag");
        this.exec = instance.export("eryx_exec");
    }

    /**
     * Instantiates the module with the given imports and memory cap, runs libc's constructors and
     * boots the interpreter ({@code eryx_init}). Slow (the interpreter initialises itself); prefer
     * {@link #restore} from a snapshot taken once.
     *
     * @param wasi the guest's view of the world
     * @param bridge the host operations of the {@code eryx} import module
     * @param memoryCapBytes the most linear memory the guest may grow to
     */
    public static GuestInstance boot(GuestModule module, WasiPreview1 wasi, BridgeHost bridge, long memoryCapBytes) {
        GuestInstance guest = instantiate(module, wasi, bridge, memoryCapBytes);
        guarded(() -> guest.instance.export("_initialize").apply());
        long status = guarded(() -> guest.instance.export("eryx_init").apply()[0]);
        if (status != 0) {
            throw new GuestTrap(GuestTrap.Kind.TRAP, "the interpreter failed to start (eryx_init returned "
                    + status + ")", null);
        }
        return guest;
    }

    /**
     * A new instance continuing from {@code snapshot}: the module is instantiated (tables and
     * globals set up), then the snapshot's memory and globals replace the initial ones. Neither
     * {@code _initialize} nor {@code eryx_init} runs again.
     */
    public static GuestInstance restore(GuestModule module, GuestSnapshot snapshot, WasiPreview1 wasi,
                                        BridgeHost bridge, long memoryCapBytes) {
        GuestInstance guest = instantiate(module, wasi, bridge, memoryCapBytes);
        Memory memory = guest.memory;
        int neededPages = (int) (snapshot.memoryBytes() / PAGE_SIZE);
        if (neededPages > memory.pages() && memory.grow(neededPages - memory.pages()) < 0) {
            throw new GuestTrap(GuestTrap.Kind.TRAP, "the snapshot needs " + snapshot.memoryBytes()
                    + " bytes of memory, more than the sandbox's memory cap", null);
        }
        memory.write(0, snapshot.memory(), 0, snapshot.memory().length);
        long[] globals = snapshot.globals();
        for (int i = 0; i < globals.length; i++) {
            GlobalInstance global = guest.instance.global(i);
            if (global.getMutabilityType() == MutabilityType.Var) {
                global.setValue(globals[i]);
            }
        }
        return guest;
    }

    /** Captures memory and globals; call only between executions, on the guest thread. */
    public GuestSnapshot snapshot() {
        byte[] image = memory.readBytes(0, memory.pages() * PAGE_SIZE);
        long[] globals = new long[instance.globalCount()];
        for (int i = 0; i < globals.length; i++) {
            globals[i] = instance.global(i).getValue();
        }
        return new GuestSnapshot(image, globals);
    }

    /** The linear memory of {@code snapshot} (a copy), for serialising it (dev.eryx.internal.snapshot). */
    public static byte[] memoryOf(GuestSnapshot snapshot) {
        return snapshot.memory().clone();
    }

    /** The global values of {@code snapshot} (a copy), for serialising it. */
    public static long[] globalsOf(GuestSnapshot snapshot) {
        return snapshot.globals().clone();
    }

    /**
     * A snapshot from serialised parts; {@link #restore} checks it against the module. Takes
     * ownership of the arrays.
     */
    public static GuestSnapshot snapshotOf(byte[] memory, long[] globals) {
        if (memory.length % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("memory image is not a whole number of pages: " + memory.length);
        }
        return new GuestSnapshot(memory, globals);
    }

    private static GuestInstance instantiate(GuestModule module, WasiPreview1 wasi, BridgeHost bridge,
                                             long memoryCapBytes) {
        List<HostFunction> imports = new ArrayList<>(List.of(wasi.hostFunctions()));
        imports.addAll(List.of(bridge.hostFunctions()));
        Instance instance = guarded(() -> Instance.builder(module.module())
                .withMachineFactory(module.machineFactory())
                .withImportValues(ImportValues.builder().addFunction(imports.toArray(new HostFunction[0])).build())
                .withMemoryFactory(limits -> new ByteArrayMemory(capped(limits, memoryCapBytes)))
                .withStart(false)
                .build());
        return new GuestInstance(instance);
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

    /** Asks the interpreter to raise KeyboardInterrupt at its next safe point. Any thread may call this. */
    public void requestInterrupt() {
        memory.writeI32(interruptFlagAddress, 1);
    }

    /** Whether an interrupt request is still waiting for the interpreter to take it (it clears the flag). */
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
        long capPages = Math.max(declared.initialPages(), Math.min(capBytes / PAGE_SIZE, declared.maximumPages()));
        return new MemoryLimits(declared.initialPages(), (int) capPages);
    }

    private static int addressOf(Instance instance, String exportedGlobal) {
        return (int) instance.exports().global(exportedGlobal).getValue();
    }

    private interface GuestCall<T> {
        T call();
    }

    /** Translates engine failures into {@link GuestTrap}; a Python-level failure never reaches here. */
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
        return new GuestTrap(GuestTrap.Kind.STACK_OVERFLOW,
                "the guest exhausted the host thread's stack (C recursion too deep)", cause);
    }
}
