package dev.eryx.internal.execution;

import dev.eryx.ExecutionListener;
import dev.eryx.MountMode;
import dev.eryx.NetworkPolicy;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.callbacks.CallbackSetup;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.engine.MemoryOptions;
import dev.eryx.internal.net.secrets.SecretValue;
import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.vfs.TreeEntry;
import dev.eryx.internal.vfs.staged.StagedMount;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/** Everything a sandbox is built from; filled by {@code Sandbox.Builder}, immutable once built. */
public final class SandboxSpec {
    /** A host directory made visible to the guest. */
    public static final class Mount {
        public final Path hostDir;
        public final String guestPath;
        public final boolean readOnly;
        public final MountMode mode;

        public Mount(Path hostDir, String guestPath, MountMode mode) {
            this.hostDir = Objects.requireNonNull(hostDir, "hostDir");
            this.guestPath = Objects.requireNonNull(guestPath, "guestPath");
            this.mode = Objects.requireNonNull(mode, "mode");
            this.readOnly = mode == MountMode.READ_ONLY;
        }
    }

    final ResourceLimits limits;
    final List<Mount> mounts;
    final Map<String, byte[]> files;

    /** A restored state's in-memory filesystem, created before {@link #files}. */
    final List<TreeEntry> restoredTree;

    /** A restored state's staged changes, by the staged mount's normalized guest path. */
    final Map<String, List<StagedMount.SavedEntry>> restoredStaged;

    final Map<String, String> env;
    final Consumer<String> stdoutListener;
    final Consumer<String> stderrListener;
    final Consumer<byte[]> stdoutBytesListener;
    final Consumer<byte[]> stderrBytesListener;
    final InputStream stdin;
    final Clock clock;
    final OptionalLong randomSeed;

    /** Source of the guest's monotonic clock (nanoseconds); {@code null} means the host's. */
    final LongSupplier monotonicClock;

    /** Interpreter image to restore instead of booting; {@code null} boots from scratch. */
    final InterpreterState image;

    /**
     * Third-party packages, mounted read-only at {@link GuestLayers#SITE_PACKAGES_PATH}; {@code
     * null}: none.
     */
    final PackageLayer packages;

    /**
     * Stack size of the guest thread: C recursion in the guest recurses on it (one JVM frame per
     * wasm call).
     */
    final long guestStackBytes;

    /** Host callbacks and the tracer (dev.eryx.internal.callbacks). */
    final CallbackSetup callbacks;

    /** How linear memory is built (copy-on-write pages, journal, heap check). */
    final MemoryOptions memoryOptions;

    /** What the guest may reach on the network; {@code null}: no network. */
    final NetworkPolicy network;

    /** Credentials the guest sees only as placeholders (docs/network.md, "Secrets"). */
    final List<SecretValue> secrets;

    /** A restored state's placeholders by secret name, which the secrets keep. */
    final Map<String, String> restoredPlaceholders;

    /** Told when each execution ends, in order (host objects: never part of a saved state). */
    final List<ExecutionListener> executionListeners;

    /**
     * The {@link CodeCache} executions use, or null: only for an image of the host's (never a saved
     * state, in which user code ran), and never in a cache's own compiler.
     */
    final CodeCache codeCache;

    /** The image's own packages, the ones the cache's compiler gets (never the sandbox's). */
    final PackageLayer codeCachePackages;

    private SandboxSpec(Builder b) {
        this.limits = b.limits;
        this.mounts = List.copyOf(b.mounts);
        this.files = Map.copyOf(b.files);
        this.restoredTree = List.copyOf(b.restoredTree);
        this.restoredStaged = Map.copyOf(b.restoredStaged);
        this.env = Map.copyOf(b.env);
        this.stdoutListener = b.stdoutListener;
        this.stderrListener = b.stderrListener;
        this.stdoutBytesListener = b.stdoutBytesListener;
        this.stderrBytesListener = b.stderrBytesListener;
        this.stdin = b.stdin;
        this.clock = b.clock;
        this.randomSeed = b.randomSeed;
        this.monotonicClock = b.monotonicClock;
        this.image = b.image;
        this.packages = b.packages;
        this.guestStackBytes = b.guestStackBytes;
        this.callbacks = b.callbacks;
        this.memoryOptions = b.memoryOptions;
        this.network = b.network;
        this.secrets = List.copyOf(b.secrets);
        this.restoredPlaceholders = Map.copyOf(b.restoredPlaceholders);
        this.executionListeners = List.copyOf(b.executionListeners);
        this.codeCache = b.codeCache;
        this.codeCachePackages = b.codeCachePackages;
    }

    /**
     * Guest paths where other filesystems are mounted (the shared layers and the host mounts): what
     * they show is not the sandbox's own state.
     */
    public List<String> mountPoints() {
        List<String> points =
                new ArrayList<>(List.of(GuestLayers.STDLIB_PATH, GuestLayers.RUNTIME_PATH));
        if (packages != null) {
            points.add(GuestLayers.SITE_PACKAGES_PATH);
        }
        for (Mount mount : mounts) {
            points.add(mount.guestPath);
        }
        return List.copyOf(points);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable collector used by the public builder; validation happens there. */
    public static final class Builder {
        private ResourceLimits limits = ResourceLimits.defaults();
        private final List<Mount> mounts = new ArrayList<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private List<TreeEntry> restoredTree = List.of();
        private Map<String, List<StagedMount.SavedEntry>> restoredStaged = Map.of();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Consumer<String> stdoutListener;
        private Consumer<String> stderrListener;
        private Consumer<byte[]> stdoutBytesListener;
        private Consumer<byte[]> stderrBytesListener;
        private InputStream stdin;
        private Clock clock;
        private OptionalLong randomSeed = OptionalLong.empty();
        private LongSupplier monotonicClock;
        private InterpreterState image;
        private PackageLayer packages;
        private MemoryOptions memoryOptions = MemoryOptions.defaults();
        private long guestStackBytes = 512L << 20;
        private CallbackSetup callbacks = CallbackSetup.NONE;
        private NetworkPolicy network;
        private final List<SecretValue> secrets = new ArrayList<>();
        private Map<String, String> restoredPlaceholders = Map.of();
        private final List<ExecutionListener> executionListeners = new ArrayList<>();
        private CodeCache codeCache;
        private PackageLayer codeCachePackages;

        /**
         * The {@link CodeCache} executions use (null: none, the default), whose compiler is
         * restored from this spec's image with {@code imagePackages}, the packages the image was
         * captured with (null: none). Only for an image no user code ran in.
         */
        public Builder codeCache(CodeCache cache, PackageLayer imagePackages) {
            this.codeCache = cache;
            this.codeCachePackages = imagePackages;
            return this;
        }

        public Builder limits(ResourceLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public Builder mount(Mount mount) {
            mounts.add(mount);
            return this;
        }

        public Builder file(String guestPath, byte[] content) {
            files.put(guestPath, content.clone());
            return this;
        }

        /**
         * The in-memory filesystem of a saved state: recreated first, except what lies at or below
         * a mount point, which the mount shows instead; {@link #file} entries then replace files.
         */
        /** Pending changes re-applied over the staged mounts at these guest paths. */
        public Builder restoredStaged(Map<String, List<StagedMount.SavedEntry>> staged) {
            this.restoredStaged = Map.copyOf(staged);
            return this;
        }

        public Builder restoredTree(List<TreeEntry> tree) {
            this.restoredTree = List.copyOf(tree);
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder stdout(Consumer<String> listener) {
            this.stdoutListener = listener;
            return this;
        }

        public Builder stderr(Consumer<String> listener) {
            this.stderrListener = listener;
            return this;
        }

        public Builder stdoutBytes(Consumer<byte[]> listener) {
            this.stdoutBytesListener = listener;
            return this;
        }

        public Builder stderrBytes(Consumer<byte[]> listener) {
            this.stderrBytesListener = listener;
            return this;
        }

        public Builder stdin(InputStream in) {
            this.stdin = in;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder randomSeed(long seed) {
            this.randomSeed = OptionalLong.of(seed);
            return this;
        }

        public Builder image(InterpreterState image) {
            this.image = image;
            return this;
        }

        /** The sandbox's packages; {@code null} (the default): none. */
        public Builder packages(PackageLayer packages) {
            this.packages = packages;
            return this;
        }

        /** Only tests change this, to provoke a host stack overflow cheaply. */
        public Builder guestStackBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("guestStackBytes must be > 0, was " + bytes);
            }
            this.guestStackBytes = bytes;
            return this;
        }

        public Builder callbacks(CallbackSetup callbacks) {
            this.callbacks = Objects.requireNonNull(callbacks, "callbacks");
            return this;
        }

        /** Only the build-time image capture sets this, so the image does not depend on timing. */
        public Builder monotonicClock(LongSupplier clock) {
            this.monotonicClock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Only measurements change this (docs/performance.md, "Guest memory"). */
        public Builder memoryOptions(MemoryOptions options) {
            this.memoryOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** The network policy; {@code null} (the default): no network. */
        public Builder network(NetworkPolicy policy) {
            this.network = policy;
            return this;
        }

        public Builder secret(SecretValue secret) {
            secrets.add(Objects.requireNonNull(secret, "secret"));
            return this;
        }

        /** The placeholders a saved state's guest holds, by secret name. */
        public Builder restoredPlaceholders(Map<String, String> placeholders) {
            this.restoredPlaceholders = Map.copyOf(placeholders);
            return this;
        }

        public Builder executionListener(ExecutionListener listener) {
            executionListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public SandboxSpec build() {
            return new SandboxSpec(this);
        }
    }
}
