package dev.eryx.internal.execution;

import dev.eryx.MountMode;
import dev.eryx.SandboxCrashedException;
import dev.eryx.SandboxFiles;
import dev.eryx.internal.bridge.BridgeHandler;
import dev.eryx.internal.bridge.BridgeHost;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.net.secrets.Redactor;
import dev.eryx.internal.net.secrets.SecretSet;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.vfs.WriteMask;
import dev.eryx.internal.vfs.staged.StagedMount;
import dev.eryx.internal.wasi.FileAudit;
import dev.eryx.internal.wasi.FileListener;
import dev.eryx.internal.wasi.OutputSink;
import dev.eryx.internal.wasi.PollWaiter;
import dev.eryx.internal.wasi.WasiConfig;
import dev.eryx.internal.wasi.WasiPreview1;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the guest can see of the world, built from a {@link SandboxSpec}: the filesystem
 * (shared read-only stdlib, runtime and package layers, an in-memory workspace, the host mounts),
 * WASI with its clocks, randomness and standard streams, and the wiring that sends output to
 * whichever execution is running. The interpreter starts in it ({@link #startInterpreter}).
 */
final class GuestEnvironment implements AutoCloseable {
    /** Bytes of start-up output kept for the error message when the interpreter fails to boot. */
    private static final int BOOT_DIAGNOSTICS_BYTES = 16 * 1024;

    private final Vfs vfs;
    private final WasiPreview1 wasi;
    private final FileAudit fileAudit;
    private final VfsFiles files;
    private final ByteArrayOutputStream bootOutput = new ByteArrayOutputStream();
    private final Object sleepLock = new Object();
    private boolean wakeRequested; // guarded by sleepLock
    private volatile CapturedStream stdout;
    private volatile CapturedStream stderr;

    /** Descriptors open when the running execution began; guest thread only. */
    private BitSet descriptorsAtBegin = new BitSet();

    /**
     * @param fileEvents told what the guest does to files (see {@link FileAudit})
     * @param stdin what the guest reads on fd 0 (the sandbox's, surviving a reset); null: empty
     * @param sockets how poll_oneoff waits for socket descriptors (the sandbox's network)
     */
    GuestEnvironment(
            SandboxSpec spec,
            SecretSet secrets,
            FileListener fileEvents,
            InputStream stdin,
            PollWaiter sockets) {
        Clock wallClock = spec.clock != null ? spec.clock : Clock.systemUTC();
        this.vfs = Vfs.builder().maxBytes(spec.limits.maxVfsBytes()).clock(wallClock).build();
        vfs.mkdirs(GuestLayers.STDLIB_PATH);
        vfs.mount(GuestLayers.stdlib(), GuestLayers.STDLIB_PATH);
        vfs.mkdirs(GuestLayers.RUNTIME_PATH);
        vfs.mount(GuestLayers.runtime(), GuestLayers.RUNTIME_PATH);
        List<String> sharedLayers =
                new ArrayList<>(List.of(GuestLayers.STDLIB_PATH, GuestLayers.RUNTIME_PATH));
        if (spec.packages != null) {
            // The layer itself, not a copy: it costs the sandbox no memory and no quota.
            vfs.mkdirs(GuestLayers.SITE_PACKAGES_PATH);
            vfs.mount(spec.packages.tree(), GuestLayers.SITE_PACKAGES_PATH);
            sharedLayers.add(GuestLayers.SITE_PACKAGES_PATH);
        }
        vfs.mkdirs("/tmp");
        this.files = new VfsFiles(vfs);
        if (!spec.restoredTree.isEmpty()) {
            Set<String> mountPoints = new HashSet<>();
            for (String point : spec.mountPoints()) {
                mountPoints.add(Vfs.normalizeAbsolute(point));
            }
            vfs.restoreMemoryTree(spec.restoredTree, mountPoints);
        }
        for (Map.Entry<String, byte[]> file : spec.files.entrySet()) {
            files.write(file.getKey(), file.getValue());
        }
        WriteMask mask = writeMask(secrets);
        for (SandboxSpec.Mount mount : spec.mounts) {
            vfs.mkdirs(mount.guestPath);
            if (mount.mode == MountMode.STAGED) {
                vfs.mountStaged(mount.hostDir, mount.guestPath, mask);
            } else {
                vfs.mount(mount.hostDir, mount.guestPath, mount.readOnly, mask);
            }
        }
        for (Map.Entry<String, List<StagedMount.SavedEntry>> saved :
                spec.restoredStaged.entrySet()) {
            StagedMount staged = vfs.stagedMounts().get(saved.getKey());
            if (staged == null) {
                throw new IllegalArgumentException(
                        "the saved state has staged changes for "
                                + saved.getKey()
                                + ": mount a directory there with MountMode.STAGED");
            }
            staged.restore(saved.getValue());
        }

        WasiConfig.Builder config =
                WasiConfig.builder()
                        .args(List.of("python3"))
                        .environment(environment(spec, secrets))
                        .stdout(sink(true))
                        .stderr(sink(false))
                        .wallClock(wallClock)
                        .sleeper(this::sleep)
                        .pollWaiter(sockets)
                        .vfs(vfs);
        if (stdin != null) {
            config.stdin(stdin);
        }
        spec.randomSeed.ifPresent(config::randomSeed);
        if (spec.monotonicClock != null) {
            config.monotonicNanos(spec.monotonicClock);
        }
        this.fileAudit = new FileAudit(fileEvents, sharedLayers);
        this.wasi = new WasiPreview1(config.build(), fileAudit);
    }

    /** The guest's environment: the spec's, with each secret's name set to its placeholder. */
    static Map<String, String> environment(SandboxSpec spec, SecretSet secrets) {
        if (secrets.isEmpty()) {
            return spec.env;
        }
        Map<String, String> env = new LinkedHashMap<>(spec.env);
        env.putAll(secrets.placeholders());
        return env;
    }

    /** Real secret values masked (same length) in what the guest writes to host files. */
    private static WriteMask writeMask(SecretSet secrets) {
        if (secrets.redactor().isEmpty()) {
            return null;
        }
        Redactor.SameLength sameLength = secrets.redactor().sameLength();
        return new WriteMask() {
            @Override
            public byte[] apply(byte[] bytes) {
                return sameLength.apply(bytes);
            }

            @Override
            public int overlap() {
                return sameLength.overlap();
            }
        };
    }

    /** Records the reads and writes of files still open; the end of every execution calls it. */
    void flushFileEffects() {
        fileAudit.flush();
    }

    WasiPreview1 wasi() {
        return wasi;
    }

    SandboxFiles files() {
        return files;
    }

    /** The filesystem itself, for saving state (the guest thread, between executions). */
    Vfs vfs() {
        return vfs;
    }

    void beginExecution(CapturedStream stdout, CapturedStream stderr) {
        descriptorsAtBegin = wasi.fdTable().openDescriptors();
        synchronized (sleepLock) {
            wakeRequested = false;
        }
        this.stdout = stdout;
        this.stderr = stderr;
    }

    void endExecution() {
        this.stdout = null;
        this.stderr = null;
    }

    /**
     * After a rollback of the interpreter: closes the descriptors opened since {@link
     * #beginExecution} (nothing in the restored memory refers to them). Offsets of those open
     * before, and those the execution closed, are not restored.
     */
    void closeDescriptorsOpenedSinceBegin() {
        wasi.fdTable().closeAllExcept(descriptorsAtBegin);
    }

    /** Closes the guest's sockets (saveState: no connection outlives a capture). */
    void closeSockets() {
        wasi.closeSockets();
    }

    /** Ends any sleep of the guest early so a pending interrupt is seen promptly. */
    void wakeUp() {
        synchronized (sleepLock) {
            wakeRequested = true;
            sleepLock.notifyAll();
        }
    }

    /**
     * Boots the interpreter in this environment, or restores it from the spec's image; on the
     * thread it will run on.
     *
     * @throws SandboxCrashedException it failed to start (with what it printed meanwhile)
     */
    GuestInstance startInterpreter(SandboxSpec spec, BridgeHandler bridge) {
        BridgeHost host = new BridgeHost(bridge);
        long maxMemory = spec.limits.maxMemoryBytes();
        if (spec.image != null && spec.image.memoryBytes() > maxMemory) {
            // The host's configuration cannot work, whatever the guest does: not a crash.
            long neededMib = (spec.image.memoryBytes() + (1 << 20) - 1) >> 20;
            throw new IllegalArgumentException(
                    "a memory limit of "
                            + size(maxMemory)
                            + " is too small: the interpreter needs at least "
                            + neededMib
                            + "m");
        }
        GuestModule module = GuestModule.python();
        try {
            return spec.image == null
                    ? GuestInstance.boot(module, wasi, host, maxMemory, spec.memoryOptions)
                    : GuestInstance.restore(
                            module, spec.image, wasi, host, maxMemory, spec.memoryOptions);
        } catch (RuntimeException | Error e) {
            String stderr = bootDiagnostics();
            throw new SandboxCrashedException(
                    "the interpreter failed to start: "
                            + e.getMessage()
                            + (stderr.isEmpty() ? "" : "\n" + stderr),
                    null,
                    e);
        }
    }

    /** {@code 16m}, {@code 512k}, {@code 1g}, or a number of bytes. */
    private static String size(long bytes) {
        for (int shift = 30; shift >= 10; shift -= 10) {
            if (bytes % (1L << shift) == 0) {
                return (bytes >> shift) + (shift == 30 ? "g" : shift == 20 ? "m" : "k");
            }
        }
        return bytes + " bytes";
    }

    /** What the guest printed while booting, for error messages. */
    private String bootDiagnostics() {
        synchronized (bootOutput) {
            return bootOutput.toString(StandardCharsets.UTF_8).trim();
        }
    }

    @Override
    public void close() {
        wakeUp();
        wasi.close();
    }

    /**
     * A sleep that a stop request cuts short. Returning early is safe: CPython re-checks its
     * interrupt flag right after the sleep and raises KeyboardInterrupt.
     */
    private void sleep(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        synchronized (sleepLock) {
            while (!wakeRequested) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                sleepLock.wait(left / 1_000_000, (int) (left % 1_000_000));
            }
        }
    }

    private OutputSink sink(boolean isStdout) {
        return (bytes, offset, length) -> {
            CapturedStream target = isStdout ? stdout : stderr;
            if (target != null) {
                target.write(bytes, offset, length);
                return;
            }
            synchronized (bootOutput) {
                int room = BOOT_DIAGNOSTICS_BYTES - bootOutput.size();
                bootOutput.write(bytes, offset, Math.max(0, Math.min(room, length)));
            }
        };
    }
}
