package dev.eryx.internal.execution;

import dev.eryx.ExecutionHandle;
import dev.eryx.ResourceLimits;
import dev.eryx.internal.packages.PackageLayer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Compiles the {@code .py} files of a packages layer to bytecode with the guest's own CPython
 * (behind {@code PythonPackages.Builder.precompile()}): bytecode must come from the very
 * interpreter that loads it (its magic number and cache tag).
 *
 * <p>The {@code .pyc} files are <em>unchecked-hash</em> ones (PEP 552, flags {@code 0b01}): the
 * layer is immutable, so the import system needs neither a timestamp nor a hash check against the
 * source, and reads the bytecode as it finds it.
 *
 * <p>Security: the compiling sandboxes are trusted templates that run only the code of this class,
 * never user code, on a layer no guest can write. Bytecode a guest could write into a cache shared
 * by other sandboxes would be a channel to poison them: sandboxes given the packages run it without
 * any check. That is why the guest never writes bytecode itself ({@code sys.dont_write_bytecode})
 * and why this is a host-side build step.
 */
public final class BytecodeCompiler {
    /** At most this many template sandboxes compile in parallel (each holds an interpreter). */
    static final int MAX_SANDBOXES = 4;

    /** Where the compiling sandboxes exchange files with the host (their own in-memory /tmp). */
    private static final String WORK = "/tmp/eryx-bytecode";

    /**
     * The guest half: reads the list of sources (relative to site-packages, one per line), compiles
     * each as the import system would ({@code compile(..., dont_inherit=True)}), writes {@code
     * <i>.pyc} for the i-th source and one line {@code i<TAB>error} per failure, and the cache tag.
     * Runs inside a function so the template's globals stay clean.
     */
    private static final String GUEST_CODE =
            """
            def _eryx_compile_all():
                import sys
                from importlib.util import source_hash
                from importlib._bootstrap_external import _code_to_hash_pyc
                root = '%s/'
                work = '%s/'
                with open(work + 'list', encoding='utf-8') as f:
                    paths = f.read().split('\\n')
                failures = []
                for i, path in enumerate(paths):
                    try:
                        with open(root + path, 'rb') as f:
                            source = f.read()
                        code = compile(source, root + path, 'exec', dont_inherit=True)
                        data = _code_to_hash_pyc(code, source_hash(source), checked=False)
                    except Exception as e:
                        message = type(e).__name__ + ': ' + str(e)
                        failures.append(str(i) + '\\t' + ' '.join(message.split()))
                        continue
                    with open(work + str(i) + '.pyc', 'wb') as f:
                        f.write(data)
                with open(work + 'failures', 'w', encoding='utf-8') as f:
                    f.write('\\n'.join(failures))
                with open(work + 'tag', 'w', encoding='utf-8') as f:
                    f.write(sys.implementation.cache_tag)
            _eryx_compile_all()
            del _eryx_compile_all
            """
                    .formatted(GuestLayers.SITE_PACKAGES_PATH, WORK);

    /**
     * What came out.
     *
     * @param bytecode {@code .pyc} content by its path in the layer ({@code
     *     dir/__pycache__/mod.<cache tag>.pyc})
     * @param failures why a source got none (its compile error), by the source's path
     */
    public record Result(Map<String, byte[]> bytecode, Map<String, String> failures) {
        public Result {
            bytecode = Map.copyOf(bytecode);
            failures = Map.copyOf(failures);
        }
    }

    private BytecodeCompiler() {}

    /**
     * Compiles every {@code .py} file of {@code layer} in up to min(available processors, {@value
     * #MAX_SANDBOXES}) template sandboxes in parallel. A file that does not compile (a Python 2
     * test file a package ships) gets no bytecode and a line in {@link Result#failures()}:
     * importing it raises the same error, from source, as without precompiling.
     *
     * @throws dev.eryx.EryxException a compiling sandbox failed (not a file's compile error)
     */
    public static Result compile(PackageLayer layer) {
        int parallel = Math.min(Runtime.getRuntime().availableProcessors(), MAX_SANDBOXES);
        return compile(layer, parallel);
    }

    /** As {@link #compile(PackageLayer)}, in at most {@code sandboxes} sandboxes. */
    static Result compile(PackageLayer layer, int sandboxes) {
        Objects.requireNonNull(layer, "layer");
        if (sandboxes < 1) {
            throw new IllegalArgumentException("sandboxes must be at least 1: " + sandboxes);
        }
        List<Map.Entry<String, Long>> sources = new ArrayList<>();
        for (Map.Entry<String, Long> e : layer.fileSizes(".py").entrySet()) {
            // The list is line-based; such a name cannot be imported as a module anyway.
            if (e.getKey().indexOf('\n') < 0 && e.getKey().indexOf('\r') < 0) {
                sources.add(e);
            }
        }
        if (sources.isEmpty()) {
            return new Result(Map.of(), Map.of());
        }
        List<List<String>> shares = split(sources, Math.min(sandboxes, sources.size()));
        List<SandboxRuntime> runtimes = new ArrayList<>();
        try {
            List<ExecutionHandle> running = new ArrayList<>();
            for (List<String> share : shares) {
                SandboxRuntime runtime = SandboxRuntime.start(template(layer));
                runtimes.add(runtime);
                runtime.files()
                        .write(
                                WORK + "/list",
                                String.join("\n", share).getBytes(StandardCharsets.UTF_8));
                running.add(runtime.submit(GUEST_CODE, ResourceLimits.unlimited()));
            }
            Map<String, byte[]> bytecode = new TreeMap<>();
            Map<String, String> failures = new TreeMap<>();
            for (int s = 0; s < shares.size(); s++) {
                running.get(s).get();
                collect(runtimes.get(s), shares.get(s), bytecode, failures);
            }
            return new Result(bytecode, failures);
        } finally {
            for (SandboxRuntime runtime : runtimes) {
                runtime.close();
            }
        }
    }

    private static SandboxSpec template(PackageLayer layer) {
        return SandboxSpec.builder()
                .limits(ResourceLimits.unlimited())
                .image(DefaultImage.get())
                .packages(layer)
                .build();
    }

    /** Largest files first, each to the least loaded share: the shares finish close together. */
    private static List<List<String>> split(List<Map.Entry<String, Long>> sources, int count) {
        List<Map.Entry<String, Long>> bySize = new ArrayList<>(sources);
        bySize.sort(
                Comparator.comparing(Map.Entry<String, Long>::getValue)
                        .reversed()
                        .thenComparing(Map.Entry::getKey));
        List<List<String>> shares = new ArrayList<>();
        long[] loads = new long[count];
        for (int i = 0; i < count; i++) {
            shares.add(new ArrayList<>());
        }
        for (Map.Entry<String, Long> source : bySize) {
            int least = 0;
            for (int i = 1; i < count; i++) {
                if (loads[i] < loads[least]) {
                    least = i;
                }
            }
            shares.get(least).add(source.getKey());
            loads[least] += source.getValue() + 1;
        }
        return shares;
    }

    private static void collect(
            SandboxRuntime runtime,
            List<String> share,
            Map<String, byte[]> bytecode,
            Map<String, String> failures) {
        String tag = new String(runtime.files().read(WORK + "/tag"), StandardCharsets.UTF_8);
        if (!tag.matches("[a-z0-9_-]+")) {
            throw new IllegalStateException("unexpected cache tag from the guest: " + tag);
        }
        Map<Integer, String> failed = new TreeMap<>();
        String report =
                new String(runtime.files().read(WORK + "/failures"), StandardCharsets.UTF_8);
        for (String line : report.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                failed.put(Integer.parseInt(line.substring(0, tab)), line.substring(tab + 1));
            }
        }
        for (int i = 0; i < share.size(); i++) {
            String source = share.get(i);
            String error = failed.get(i);
            if (error != null) {
                failures.put(source, error);
            } else {
                bytecode.put(cachePath(source, tag), runtime.files().read(WORK + "/" + i + ".pyc"));
            }
        }
    }

    /**
     * Where the import system looks for the bytecode of {@code source} (as {@code
     * importlib.util.cache_from_source} at optimization level 0): {@code
     * dir/__pycache__/mod.<tag>.pyc}.
     */
    static String cachePath(String source, String tag) {
        int slash = source.lastIndexOf('/');
        String dir = slash < 0 ? "" : source.substring(0, slash + 1);
        String name = source.substring(slash + 1);
        String stem = name.substring(0, name.length() - ".py".length());
        return dir + "__pycache__/" + stem + "." + tag + ".pyc";
    }
}
