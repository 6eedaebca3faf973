package dev.eryx.internal.execution;

import dev.eryx.ResourceLimits;
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
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Compiled code of the sources sandboxes execute, marshalled, per interpreter image: an execution
 * whose source is here skips the guest's {@code compile()} (about 1.3 ms of a trivial execution,
 * docs/performance.md "Round 2", lever 6) and loads the code with {@code marshal.loads}.
 *
 * <p><b>Threat model.</b> A guest runs marshalled code without any check, so whoever writes an
 * entry controls what every later sandbox of the image runs for that source: a tenant able to write
 * one could run code in another tenant's sandbox. Entries are therefore made only by this class's
 * own compiler, a sandbox restored from the same image that runs nothing but {@link #COMPILE} on
 * sources the host hands it: no user code ever runs in it, and nothing a user sandbox returns
 * (outcomes, files, output) is ever stored. User sandboxes only read. The key is a SHA-256 over the
 * guest build ({@link ModuleIdentity}), the compile flags, the file name and the source (text and a
 * script's bytes apart), so a collision would need a SHA-256 collision, and code of another build
 * (another bytecode format) can never be served. A source whose compilation warns (a {@code
 * SyntaxWarning}) or fails is never stored: the guest compiles it itself, so warnings and errors
 * appear as without the cache.
 *
 * <p><b>When.</b> A source is compiled for the cache the second time it is seen (a one-off source
 * costs only its hash), in the background on one daemon thread per cache, after which the guest
 * compiles it itself until the entry exists. The compiler sandbox is started for a batch of sources
 * and closed when the queue is empty, so an idle cache holds only its entries.
 *
 * <p><b>Bounds.</b> A least-recently-used map of at most {@link #MAX_ENTRIES} entries and {@link
 * #MAX_BYTES} of marshalled code; sources above {@link #MAX_SOURCE_BYTES} are not cached, nor are
 * more than {@link #MAX_PENDING} sources queued at once (the rest are dropped, and cached if seen
 * again later).
 */
public final class CodeCache {
    static final int MAX_ENTRIES = 512;
    static final long MAX_BYTES = 16L << 20;
    static final int MAX_SOURCE_BYTES = 256 << 10;
    static final int MAX_PENDING = 64;

    /** The sources seen once, by key: the second sighting queues a compilation. */
    static final int MAX_SIGHTINGS = 4096;

    /** What the guest's runtime passes to {@code compile()} (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT). */
    static final int COMPILE_FLAGS = 0x2000;

    /** Compiling a pathological source (deeply nested, huge) may take long: not for ever. */
    private static final ResourceLimits COMPILER_LIMITS =
            ResourceLimits.defaults().toBuilder().executionTimeout(Duration.ofSeconds(30)).build();

    private static final String WORK = "/tmp/eryx-code-cache";

    /**
     * The compiler's routine: compiles {@code WORK/source} (text or bytes) under the file name,
     * with the runtime's flags and {@code dont_inherit}, as {@code _runtime._run} does, and writes
     * the marshalled code, or nothing when it fails or warns. Runs in a function so the compiler's
     * globals stay clean; the guest's builtins and modules are the image's (no user code ran).
     */
    private static final String COMPILE =
            """
            def _eryx_compile():
                import marshal, warnings
                work = '%s/'
                with open(work + 'source', 'rb') as f:
                    source = f.read()
                with open(work + 'meta', encoding='utf-8') as f:
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

    /**
     * One cache per image, so that every sandbox restored from it (pooled or not) shares it. Weak
     * keys: the cache goes with its image. The one piece of static mutable state here, because the
     * image is the only thing those sandboxes share; guarded by the class.
     */
    private static final Map<InterpreterState, CodeCache> BY_IMAGE = new WeakHashMap<>();

    /** Weak: the map's value must not keep its key alive. */
    private final WeakReference<InterpreterState> image;

    private final PackageLayer packages;
    private final byte[] buildId;

    // Guarded by this.
    private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<Key, Boolean> sightings = new LinkedHashMap<>(16, 0.75f, true);
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long bytes;
    private long hits;
    private long misses;

    private final ThreadPoolExecutor worker;

    private CodeCache(InterpreterState image, PackageLayer packages) {
        this.image = new WeakReference<>(image);
        this.packages = packages;
        this.buildId = ModuleIdentity.current();
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
     * The cache of sandboxes restored from {@code image} with {@code packages} (or none); {@code
     * null} for a sandbox booted without an image.
     */
    static CodeCache of(InterpreterState image, PackageLayer packages) {
        if (image == null) {
            return null;
        }
        synchronized (CodeCache.class) {
            return BY_IMAGE.computeIfAbsent(image, i -> new CodeCache(i, packages));
        }
    }

    /** The key of a source: text ({@code source} null) or a script's bytes. */
    Key key(String code, byte[] source, String filename) {
        MessageDigest sha = sha256();
        sha.update(buildId);
        sha.update(ByteUtil.intBytes(COMPILE_FLAGS));
        byte[] name = filename.getBytes(StandardCharsets.UTF_8);
        sha.update(ByteUtil.intBytes(name.length));
        sha.update(name);
        if (source != null) {
            sha.update((byte) 'b');
            sha.update(source);
        } else {
            // UTF-16 code units: lossless, unlike UTF-8 for a lone surrogate.
            sha.update((byte) 't');
            byte[] units = new byte[code.length() * 2];
            for (int i = 0; i < code.length(); i++) {
                char c = code.charAt(i);
                units[2 * i] = (byte) (c >>> 8);
                units[2 * i + 1] = (byte) c;
            }
            sha.update(units);
        }
        return new Key(sha.digest());
    }

    /**
     * The marshalled code for the source, or {@code null}: then the guest compiles it, and the
     * second miss queues it for the compiler.
     */
    byte[] lookup(String code, byte[] source, String filename) {
        int length = source != null ? source.length : code.length();
        if (length > MAX_SOURCE_BYTES
                || hasLoneSurrogate(filename)
                || (source == null && hasLoneSurrogate(code))) {
            return null; // such text cannot travel to the compiler as UTF-8 unchanged
        }
        Key key = key(code, source, filename);
        boolean start;
        synchronized (this) {
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
            byte[] bytesOfSource = source != null ? source : code.getBytes(StandardCharsets.UTF_8);
            start = pending.isEmpty();
            pending.add(new Pending(key, source == null, bytesOfSource, filename));
        }
        if (start) {
            worker.execute(this::drain);
        }
        return null;
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

    /** The entry for the source, without counting or sighting it (for tests). */
    byte[] lookupOnly(String code, byte[] source, String filename) {
        Key key = key(code, source, filename);
        synchronized (this) {
            return entries.get(key);
        }
    }

    /** Hits and misses so far (for tests and measurements). */
    synchronized long[] counts() {
        return new long[] {hits, misses, entries.size(), bytes};
    }

    /** Compiles the queued sources in one compiler sandbox, then closes it. */
    private void drain() {
        SandboxRuntime compiler = null;
        try {
            while (true) {
                Pending next;
                synchronized (this) {
                    next = pending.peek();
                }
                InterpreterState restoreFrom = image.get();
                if (next == null || restoreFrom == null) {
                    return;
                }
                try {
                    if (compiler == null || !compiler.isUsable()) {
                        if (compiler != null) {
                            compiler.close();
                        }
                        compiler = SandboxRuntime.start(compilerSpec(restoreFrom));
                    }
                    byte[] data = compile(compiler, next);
                    if (data.length > 0) {
                        store(next.key, data);
                    }
                } catch (RuntimeException failed) {
                    // A sandbox that cannot start or compile leaves the guest compiling itself.
                } finally {
                    synchronized (this) {
                        pending.poll();
                    }
                }
            }
        } finally {
            if (compiler != null) {
                compiler.close();
            }
        }
    }

    private SandboxSpec compilerSpec(InterpreterState restoreFrom) {
        return SandboxSpec.builder()
                .limits(COMPILER_LIMITS)
                .image(restoreFrom)
                .packages(packages)
                .codeCache(false) // it compiles its own routine: nothing to look up
                .build();
    }

    private static byte[] compile(SandboxRuntime compiler, Pending source) {
        compiler.files().write(WORK + "/source", source.source);
        compiler.files()
                .write(
                        WORK + "/meta",
                        ((source.text ? "text" : "bytes") + "\n" + source.filename)
                                .getBytes(StandardCharsets.UTF_8));
        try {
            compiler.submit(COMPILE, COMPILER_LIMITS).get();
        } catch (Exception failed) {
            return new byte[0];
        }
        return compiler.files().read(WORK + "/code");
    }

    private synchronized void store(Key key, byte[] data) {
        if (data.length > MAX_BYTES / 4 || entries.containsKey(key)) {
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
