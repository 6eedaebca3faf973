package dev.eryx.internal.execution;

import dev.eryx.ResourceLimits;
import dev.eryx.SandboxFiles;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.packages.PackageLayer;
import dev.eryx.internal.state.ModuleIdentity;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Compiled code of the sources sandboxes execute, marshalled: an execution whose source is here
 * skips the guest's {@code compile()} (about 1.3 ms of a trivial execution, docs/performance.md
 * "Round 2", lever 6) and loads the code with {@code marshal.loads}. One cache serves the sandboxes
 * of one owner (a pool, or a host that hands the same cache to several sandboxes) and of one image:
 * the first sandbox binds it to its image, sandboxes of another image do not use it.
 *
 * <p><b>Threat model.</b> A guest runs marshalled code without any check, so whoever writes an
 * entry controls what every later sandbox of the cache runs for that source: a tenant able to write
 * one could run code in another tenant's sandbox. Entries are therefore made only by this class's
 * own compiler, a sandbox restored from the same image with the image's own packages (never a
 * tenant's), that runs nothing but {@link #COMPILE} on sources the host hands it: no user code ever
 * runs in it, and nothing a user sandbox returns (outcomes, files, output) is ever stored. User
 * sandboxes only read. The key is a SHA-256 over the guest build ({@link ModuleIdentity}), the
 * compile flags, the file name and the source (text and a script's bytes apart), so a collision
 * would need a SHA-256 collision, and code of another build (another bytecode format) can never be
 * served. A source whose compilation warns (a {@code SyntaxWarning}) or fails is never stored: the
 * guest compiles it itself, so warnings and errors appear as without the cache.
 *
 * <p><b>What a hit reveals.</b> A hit is observable in the guest (an audit hook sees {@code
 * marshal.loads} instead of {@code compile}, and it is faster), so a sandbox learns whether some
 * sandbox of the same cache ran exactly that source (with that file name) twice recently. That is
 * why a cache is never shared JVM-wide: sandboxes of different tenants must not share one (one pool
 * per tenant, or the cache off); docs/security.md.
 *
 * <p><b>When.</b> A source is compiled for the cache the second time it is seen (a one-off source
 * costs only its hash), in the background on the cache's one daemon thread, after which the guest
 * compiles it itself until the entry exists. The compiler sandbox is started for a batch of sources
 * and closed when the queue is empty, so an idle cache holds only its entries. Each compilation has
 * {@link #COMPILER_LIMITS} (2 s, a fuel cap); one that fails, times out or crashes the compiler
 * leaves that source uncached and the next one gets a fresh compiler.
 *
 * <p><b>Bounds.</b> A least-recently-used map of at most {@link #MAX_ENTRIES} entries and {@link
 * #MAX_BYTES} of marshalled code, none above {@link #MAX_ENTRY_BYTES}; sources above {@link
 * #MAX_SOURCE_BYTES} (UTF-8 bytes for text) are not cached, nor are more than {@link #MAX_PENDING}
 * sources queued at once (the rest are dropped, and cached if seen again later).
 */
public final class CodeCache implements AutoCloseable {
    static final int MAX_ENTRIES = 512;
    static final long MAX_BYTES = 16L << 20;
    static final int MAX_ENTRY_BYTES = 256 << 10;
    static final int MAX_SOURCE_BYTES = 256 << 10;
    static final int MAX_PENDING = 32;

    /** The sources seen once, by key: the second sighting queues a compilation. */
    static final int MAX_SIGHTINGS = 4096;

    /** What the guest's runtime passes to {@code compile()} (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT). */
    static final int COMPILE_FLAGS = 0x2000;

    /**
     * Compiling a pathological source (deeply nested, huge) may take long: a bounded share of the
     * cache's one thread. Compiling 256 KiB of ordinary code takes well under both.
     */
    static final ResourceLimits COMPILER_LIMITS =
            ResourceLimits.defaults().toBuilder()
                    .executionTimeout(Duration.ofSeconds(2))
                    .maxFuel(4_000_000_000L)
                    .build();

    private static final String WORK = "/tmp/eryx-code-cache";

    /**
     * The compiler's routine: compiles {@code WORK/source} (text or bytes) under the file name,
     * with the runtime's flags and {@code dont_inherit}, as {@code _runtime._run} does, and writes
     * the marshalled code, or nothing when it fails or warns. Runs in a function so the compiler's
     * globals stay clean; the guest's builtins and modules are the image's (no user code ran). The
     * meta file is read with {@code newline=''} so that a file name keeps its carriage returns.
     */
    private static final String COMPILE =
            """
            def _eryx_compile():
                import marshal, warnings
                work = '%s/'
                with open(work + 'source', 'rb') as f:
                    source = f.read()
                with open(work + 'meta', encoding='utf-8', newline='') as f:
                    kind, filename = f.read().split('\\n', 1)
                if kind == 'text':
                    source = source.decode('utf-8')
                data = b''
                try:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter('always')
                        code = compile(source, filename, 'exec', flags=%d, dont_inherit=True)
                    if not caught:
                        data = marshal.dumps(code)
                except Exception:
                    pass
                with open(work + 'code', 'wb') as f:
                    f.write(data)
            _eryx_compile()
            """
                    .formatted(WORK, COMPILE_FLAGS);

    private final byte[] buildId = ModuleIdentity.current();

    /** The compiler's one thread: daemon, ended by {@link #close()}. */
    private final ThreadPoolExecutor worker;

    // All guarded by this.
    /** The image the cache serves (weak: the cache must not keep it alive); null until bound. */
    private WeakReference<InterpreterState> image;

    private PackageLayer packages;
    private boolean closed;

    /** Whether a drain is queued or running: a new one starts only when none is. */
    private boolean draining;

    private SandboxRuntime compiler;
    private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<Key, Boolean> sightings = new LinkedHashMap<>(16, 0.75f, true);
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long bytes;
    private long hits;
    private long misses;

    /** A cache of its own (a pool's, or one a host hands to its sandboxes); close it after them. */
    public CodeCache() {
        this.worker =
                new ThreadPoolExecutor(
                        0,
                        1,
                        10,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(),
                        runnable -> {
                            Thread thread = new Thread(null, runnable, "eryx-code-cache", 0, false);
                            thread.setDaemon(true);
                            return thread;
                        });
    }

    /**
     * Binds the cache to the image of a sandbox about to use it, the compiler to be restored from
     * {@code image} with the image's own {@code imagePackages} (or none); the first call binds.
     * False, and the sandbox compiles everything itself, when the cache serves another image or is
     * closed.
     */
    synchronized boolean bind(InterpreterState image, PackageLayer imagePackages) {
        if (closed || image == null) {
            return false;
        }
        InterpreterState bound = this.image == null ? null : this.image.get();
        if (bound == null) {
            this.image = new WeakReference<>(image);
            this.packages = imagePackages;
            return true;
        }
        return bound == image && Objects.equals(packages, imagePackages);
    }

    /** The key of a source: {@code text} (UTF-8 of a text source) or a script's bytes. */
    Key key(byte[] text, byte[] source, String filename) {
        MessageDigest sha = sha256();
        sha.update(buildId);
        sha.update(ByteUtil.intBytes(COMPILE_FLAGS));
        byte[] name = filename.getBytes(StandardCharsets.UTF_8);
        sha.update(ByteUtil.intBytes(name.length));
        sha.update(name);
        sha.update((byte) (source != null ? 'b' : 't'));
        sha.update(source != null ? source : text);
        return new Key(sha.digest());
    }

    /**
     * The marshalled code for the source, or {@code null}: then the guest compiles it, and the
     * second miss queues it for the compiler.
     */
    byte[] lookup(String code, byte[] source, String filename) {
        if (hasLoneSurrogate(filename) || (source == null && hasLoneSurrogate(code))) {
            return null; // such text cannot travel to the compiler as UTF-8 unchanged
        }
        if (source == null && utf8Length(code) > MAX_SOURCE_BYTES
                || source != null && source.length > MAX_SOURCE_BYTES) {
            return null;
        }
        // Lossless now (no lone surrogate): the one copy, for the key and, if queued, the compiler.
        byte[] text = source == null ? code.getBytes(StandardCharsets.UTF_8) : null;
        Key key = key(text, source, filename);
        boolean start;
        synchronized (this) {
            if (closed) {
                return null;
            }
            byte[] found = entries.get(key);
            if (found != null) {
                hits++;
                return found;
            }
            misses++;
            if (sightings.remove(key) == null) {
                sightings.put(key, Boolean.TRUE);
                if (sightings.size() > MAX_SIGHTINGS) {
                    Key eldest = sightings.keySet().iterator().next();
                    sightings.remove(eldest);
                }
                return null;
            }
            if (pending.size() >= MAX_PENDING
                    || pending.stream().anyMatch(p -> p.key.equals(key))) {
                return null;
            }
            pending.add(new Pending(key, source == null, source != null ? source : text, filename));
            start = !draining;
            draining = true;
        }
        if (start) {
            try {
                worker.execute(this::drain);
            } catch (RejectedExecutionException closedMeanwhile) {
                synchronized (this) {
                    draining = false;
                    pending.clear();
                }
            }
        }
        return null;
    }

    private static int utf8Length(String text) {
        long length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            length += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return (int) Math.min(length, Integer.MAX_VALUE); // a pair: 2 + 2 = 4 bytes
    }

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** The entry for a text source, without counting or sighting it (for tests). */
    byte[] lookupOnly(String code, String filename) {
        Key key = key(code.getBytes(StandardCharsets.UTF_8), null, filename);
        synchronized (this) {
            return entries.get(key);
        }
    }

    /** Hits, misses, entries and bytes so far (for tests and measurements). */
    synchronized long[] counts() {
        return new long[] {hits, misses, entries.size(), bytes};
    }

    /**
     * Ends the compiler (a compilation in flight included) and its thread, and drops the entries;
     * sandboxes still using the cache compile everything themselves from then on. Idempotent.
     */
    @Override
    public void close() {
        SandboxRuntime running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
            entries.clear();
            sightings.clear();
            bytes = 0;
            running = compiler;
        }
        worker.shutdownNow();
        if (running != null) {
            running.close();
        }
    }

    /**
     * Compiles the queued sources in one compiler sandbox, then closes it. Whatever one source does
     * (a failure, an {@link Error}) ends only that source's compilation: the queue always drains
     * and {@code draining} is always cleared, or no compilation would ever start again.
     */
    private void drain() {
        boolean emptied = false;
        try {
            while (true) {
                Pending next;
                InterpreterState restoreFrom;
                synchronized (this) {
                    next = closed ? null : pending.peek();
                    restoreFrom = image == null ? null : image.get();
                    if (next == null || restoreFrom == null) {
                        pending.clear();
                        draining = false;
                        emptied = true;
                        return;
                    }
                }
                try {
                    byte[] data = compile(restoreFrom, next);
                    if (data.length > 0) {
                        store(next.key, data);
                    }
                } catch (Throwable failed) {
                    // A compiler that cannot start or compile leaves the guest compiling itself;
                    // an unusable one is replaced for the next source.
                } finally {
                    synchronized (this) {
                        pending.poll();
                    }
                }
            }
        } finally {
            SandboxRuntime done;
            synchronized (this) {
                if (!emptied) {
                    draining = false; // an Error escaped the loop: let the next lookup restart
                }
                done = compiler;
                compiler = null;
            }
            if (done != null) {
                done.close();
            }
        }
    }

    private byte[] compile(InterpreterState restoreFrom, Pending source) {
        SandboxRuntime sandbox;
        synchronized (this) {
            sandbox = compiler;
        }
        if (sandbox == null || !sandbox.isUsable()) {
            if (sandbox != null) {
                sandbox.close();
            }
            PackageLayer imagePackages;
            synchronized (this) {
                imagePackages = packages;
            }
            sandbox =
                    SandboxRuntime.start(
                            SandboxSpec.builder()
                                    .limits(COMPILER_LIMITS)
                                    .image(restoreFrom)
                                    .packages(imagePackages)
                                    .build()); // no code cache: it compiles its own routine
            boolean keep;
            synchronized (this) {
                keep = !closed;
                compiler = keep ? sandbox : null;
            }
            if (!keep) {
                sandbox.close();
                return new byte[0];
            }
        }
        SandboxFiles files = sandbox.files();
        // A compilation that ends before writing must not leave the previous source's code here.
        if (files.exists(WORK + "/code")) {
            files.delete(WORK + "/code");
        }
        files.write(WORK + "/source", source.source);
        files.write(
                WORK + "/meta",
                ((source.text ? "text" : "bytes") + "\n" + source.filename)
                        .getBytes(StandardCharsets.UTF_8));
        try {
            sandbox.submit(COMPILE, COMPILER_LIMITS).get();
        } catch (Exception failed) {
            return new byte[0];
        }
        return files.exists(WORK + "/code") ? files.read(WORK + "/code") : new byte[0];
    }

    private synchronized void store(Key key, byte[] data) {
        if (closed || data.length > MAX_ENTRY_BYTES || entries.containsKey(key)) {
            return;
        }
        entries.put(key, data);
        bytes += data.length;
        var eldest = entries.entrySet().iterator();
        while ((entries.size() > MAX_ENTRIES || bytes > MAX_BYTES) && eldest.hasNext()) {
            bytes -= eldest.next().getValue().length;
            eldest.remove();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A SHA-256 digest: build, flags, file name and source. */
    static final class Key {
        private final byte[] digest;
        private final int hash;

        Key(byte[] digest) {
            this.digest = digest;
            this.hash = Arrays.hashCode(digest);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key k && Arrays.equals(digest, k.digest);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private record Pending(Key key, boolean text, byte[] source, String filename) {}

    private static final class ByteUtil {
        static byte[] intBytes(int value) {
            return new byte[] {
                (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
            };
        }
    }
}
