package dev.eryx.bench;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Issue 19, lever 5: Chicory's generated classes against the same classes rewritten by
 * wasm-assets/build/tools/Codegen.java (docs/performance.md, "Lever 5: our own code generation
 * (prototype)"), each build of eryx-wasm-assets in a class loader of its own with the same core, as
 * {@link AbRunner} loads them.
 *
 * <p>usage: <br>
 * {@code CodegenAb ab OUT.md warmupSeconds rounds workloads|all NAME=assets.jar NAME=assets.jar...}
 * — the timing, {@link AbRunner}'s A B B A rounds (paired wall and process-CPU ratios, medians; it
 * fails if a variant prints something else). <br>
 * {@code CodegenAb diff NAME=assets.jar NAME=assets.jar...} — the differential test: the 9 suite
 * workloads and a corpus of snippets (loads and stores of every width, signed and unsigned
 * comparisons, int/float conversions, big ints, re, json, sqlite3, decimal, a fuel trap, a hard
 * stop) run on every variant; stdout, stderr, fuel consumed and the outcome (exception type, Python
 * traceback) must be identical to the first variant's. Exits 1 on any difference.
 */
public final class CodegenAb {
    private CodegenAb() {}

    /** Snippets for the differential test: each prints what it computed. */
    static final Map<String, String> CORPUS = new LinkedHashMap<>();

    static {
        CORPUS.put(
                "struct: every width, both byte orders",
                "import struct\n"
                        + "vals = {'b': [-128, -1, 0, 127], 'B': [0, 1, 200, 255], 'h': [-32768, -2, 32767],\n"
                        + "        'H': [0, 40000, 65535], 'i': [-2**31, -7, 2**31 - 1], 'I': [0, 2**31, 2**32 - 1],\n"
                        + "        'q': [-2**63, -3, 2**63 - 1], 'Q': [0, 2**63, 2**64 - 1],\n"
                        + "        'f': [0.5, -1.25e10, float('inf')], 'd': [1e308, -2.5e-308, 3.141592653589793],\n"
                        + "        'e': [0.5, -65504.0]}\n"
                        + "for fmt, xs in vals.items():\n"
                        + "    for order in '<>=':\n"
                        + "        b = struct.pack(order + fmt * len(xs), *xs)\n"
                        + "        print(fmt, order, b.hex(), struct.unpack(order + fmt * len(xs), b))\n"
                        + "print(struct.unpack('<4B', struct.pack('<i', -2)))\n");
        CORPUS.put(
                "array and memoryview casts",
                "import array\n"
                        + "for tc in 'bBhHiIlLqQfd':\n"
                        + "    a = array.array(tc, range(0, 100, 7))\n"
                        + "    a.byteswap(); a.reverse(); a.append(3)\n"
                        + "    print(tc, a.itemsize, list(a)[:5], a.tobytes()[:12].hex(), sum(a))\n"
                        + "m = memoryview(bytearray(range(256)))\n"
                        + "for f in 'BbHhIiQq':\n"
                        + "    c = m.cast(f)\n"
                        + "    print(f, c[0], c[1], c[-1], len(c))\n"
                        + "ba = bytearray(b'\\xff' * 64); ba[3:9] = b'abcdef'; ba[-1] = 0\n"
                        + "print(ba.hex(), ba.count(255), ba.find(b'cd'), bytes(reversed(ba))[:8])\n");
        CORPUS.put(
                "signed and unsigned comparisons",
                "xs = [-2**63, -2**31 - 1, -2**31, -65536, -1, 0, 1, 127, 128, 255, 256, 2**31 - 1,\n"
                        + "      2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64]\n"
                        + "print(sorted(xs, key=lambda v: (v % 7, -v)))\n"
                        + "print([(a < b, a <= b, a == b, a != b, a > b, a >= b) for a, b in zip(xs, xs[1:] + xs[:1])])\n"
                        + "bs = [b'', b'\\x00', b'\\x7f', b'\\x80', b'\\xff', b'\\xff\\x00', b'a', b'ab']\n"
                        + "print(sorted(bs), [a < b for a, b in zip(bs, reversed(bs))])\n"
                        + "ss = ['', 'a', 'é', '\\uffff', '\\U0001f600', 'ab', 'A', 'z' * 3]\n"
                        + "print(sorted(ss), [a < b for a, b in zip(ss, reversed(ss))])\n"
                        + "print([x.to_bytes(9, 'little', signed=True).hex() for x in xs[:-1]])\n"
                        + "print([int.from_bytes(bytes([i, 255 - i, 128]), 'big', signed=s) for i in (0, 127, 128, 255) for s in (0, 1)])\n"
                        + "print([(x >> 3, x << 5, x & 0xF0F0, x | 1, x ^ -1, ~x) for x in xs[:8]])\n");
        CORPUS.put(
                "int/float conversions",
                "import math\n"
                        + "fs = [0.0, -0.0, 0.5, -1.5, 2.5, 1e16, -1e-300, 2**53 + 1.0, 1.7976931348623157e308,\n"
                        + "      5e-324, float('nan'), float('inf'), -float('inf'), 123456789.987654321]\n"
                        + "for f in fs:\n"
                        + "    r = [repr(f), f.hex(), str(f), format(f, '.17g'), format(f, 'e'), math.isnan(f)]\n"
                        + "    if math.isfinite(f):\n"
                        + "        r += [int(f), round(f), math.floor(f), math.ceil(f), f.as_integer_ratio(), math.frexp(f)]\n"
                        + "    print(r)\n"
                        + "print([float(x) for x in (2**63, -2**63, 2**64 - 1, 10**300, -(2**1023))])\n"
                        + "print(float.fromhex('0x1p-1074'), [float(s) for s in ('1e-320', '-12.5e3', 'inf', '  3.25 ')])\n"
                        + "print(sum(i / 7 for i in range(1000)), math.fsum(1 / k for k in range(1, 500)), 7.0 // 2, -7 % 3.5)\n"
                        + "print(math.sqrt(2), math.sin(1), math.log(10), math.exp(-3), math.atan2(-1, -1), 2 ** 0.5, pow(2.0, -1074))\n");
        CORPUS.put(
                "big ints",
                "import math, sys\n"
                        + "sys.set_int_max_str_digits(0)\n"
                        + "a = 3 ** 2000 - 7 ** 900\n"
                        + "b = -(2 ** 1500 + 12345)\n"
                        + "print(a % 1000003, b % 998244353, divmod(a, b)[1] % 10**9, divmod(b, 97))\n"
                        + "print(pow(a, 65537, 2**127 - 1), pow(3, -1, 1000003), math.gcd(a, b), math.isqrt(a) % 10**12)\n"
                        + "print(len(str(math.factorial(1500))), str(a)[:40], hex(b)[:40], (a * b) >> 3000, a.bit_length(), b.bit_count())\n"
                        + "print(int('9' * 5000) % 12345678901, (a & b) % 10**9, (a | b) % 10**9, (a ^ b) % 10**9)\n");
        CORPUS.put(
                "re",
                "import re\n"
                        + "text = ' '.join(f'user{i}@host{i % 7}.example.org id={i * 37} ü{i}' for i in range(300))\n"
                        + "print(len(re.findall(r'\\b\\w+@\\w+\\.example\\.org\\b', text)))\n"
                        + "print(re.sub(r'id=(\\d+)', lambda m: str(int(m.group(1)) * 2), text)[:120])\n"
                        + "print(re.split(r'[\\s@.=]+', text)[:12], re.search(r'(?i)Ü(\\d{3})', text).groups())\n"
                        + "print([m.span() for m in re.finditer(r'(?:host([0-6]))\\.', text)][:10])\n"
                        + "print(re.fullmatch(r'(a|b)*?c{2,3}', 'ababcc'), re.match(rb'[\\x80-\\xff]+', b'\\xfe\\x81a'))\n");
        CORPUS.put(
                "json",
                "import json\n"
                        + "obj = {'a': [1, 2.5, -3e40, None, True, False, 'x\\u00e9\\U0001f600\\n'],\n"
                        + "       'nested': [{'k': i, 'v': str(i) * 3, 'f': i / 3} for i in range(200)], 'big': 2**100}\n"
                        + "s = json.dumps(obj, sort_keys=True)\n"
                        + "print(len(s), hash(s) == hash(json.dumps(json.loads(s), sort_keys=True)), s[:100])\n"
                        + "print(json.dumps(json.loads(s), indent=1, ensure_ascii=False)[-80:])\n"
                        + "print(json.loads('[1e999, -0.0, 1.5e-7, 12345678901234567890]'))\n");
        CORPUS.put(
                "sqlite3",
                "import sqlite3\n"
                        + "db = sqlite3.connect(':memory:')\n"
                        + "db.execute('create table t (i integer primary key, s text, r real, b blob)')\n"
                        + "db.executemany('insert into t values (?, ?, ?, ?)', [(i, f's{i % 13}', i * 1.5 - 100, bytes([i % 256]) * 3) for i in range(2000)])\n"
                        + "print(db.execute('select count(*), sum(r), min(s), max(s), avg(i) from t').fetchone())\n"
                        + "print(db.execute(\"select s, count(*), group_concat(i % 10, '') from t group by s order by s limit 3\").fetchall())\n"
                        + "print(db.execute('select hex(b), typeof(r), -i, i >> 3, i & 255 from t where r > 2000 order by i desc limit 4').fetchall())\n"
                        + "print(db.execute(\"select printf('%.3f %d %x', 1.0/3, -5, 255), 9223372036854775807 + 0, abs(-9223372036854775807)\").fetchall())\n");
        CORPUS.put(
                "decimal",
                "from decimal import Decimal, getcontext, ROUND_HALF_EVEN\n"
                        + "getcontext().prec = 60\n"
                        + "x = Decimal(1) / Decimal(7)\n"
                        + "print(x, x.sqrt(), x.exp(), x.ln(), (x ** 20).quantize(Decimal('1e-50'), ROUND_HALF_EVEN))\n"
                        + "print(sum(Decimal(i) / 3 for i in range(1000)), Decimal('-1e-999999') * 3, Decimal(2.675), Decimal('12.345').as_tuple())\n"
                        + "print(Decimal('123456789.123456789') % Decimal('0.007'), Decimal(-7).compare(Decimal(3)), Decimal('NaN').is_nan())\n");
        CORPUS.put(
                "hashes, zlib, random, unicode",
                "import hashlib, zlib, random, unicodedata, base64\n"
                        + "data = bytes(range(256)) * 40\n"
                        + "print([hashlib.new(n, data).hexdigest()[:16] for n in ('md5', 'sha1', 'sha256', 'sha512', 'sha3_256', 'blake2b')])\n"
                        + "print(zlib.crc32(data), zlib.adler32(data), len(zlib.compress(data, 9)), zlib.decompress(zlib.compress(data)) == data)\n"
                        + "r = random.Random(12345); print([r.random() for _ in range(3)], r.getrandbits(100), r.sample(range(1000), 5))\n"
                        + "s = 'Ǆemo ŉ ﬃ Straße İstanbul'\n"
                        + "print(s.upper(), s.lower(), s.casefold(), unicodedata.normalize('NFKD', s).encode('utf-8').hex()[:60])\n"
                        + "print(base64.b64encode(data[:50]), s.encode('utf-16-le')[:20], s.encode('utf-32')[:12])\n");
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 6 && args[0].equals("ab")) {
            AbRunner.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length >= 3 && args[0].equals("diff")) {
            System.exit(diff(Arrays.copyOfRange(args, 1, args.length)) ? 0 : 1);
        }
        System.err.println(
                "usage: CodegenAb ab OUT.md warmupSeconds rounds workloads|all NAME=assets.jar NAME=assets.jar...\n"
                        + "       CodegenAb diff NAME=assets.jar NAME=assets.jar...");
        System.exit(2);
    }

    /** Runs the suite and the corpus on every variant; true if all match the first variant. */
    static boolean diff(String[] variants) throws Exception {
        List<String> names = new ArrayList<>();
        List<Function<String[], String>> probes = new ArrayList<>();
        URL[] common = AbRunner.commonClassPath();
        for (String v : variants) {
            String[] nameJar = v.split("=", 2);
            if (nameJar.length != 2 || !new File(nameJar[1]).isFile()) {
                throw new IllegalArgumentException("expected NAME=assets.jar, got " + v);
            }
            names.add(nameJar[0]);
            probes.add(newProbe(common, new File(nameJar[1])));
        }
        Map<String, String[]> cases = new LinkedHashMap<>();
        for (Map.Entry<String, String> w : Workloads.select(null).entrySet()) {
            cases.put("workload " + w.getKey(), new String[] {"run", w.getValue()});
        }
        for (Map.Entry<String, String> c : CORPUS.entrySet()) {
            cases.put(c.getKey(), new String[] {"run", c.getValue()});
        }
        // A fuel trap in the middle of a loop: the same fuel, the same partial output.
        cases.put(
                "fuel trap at 3,000,000",
                new String[] {
                    "fuel",
                    "3000000",
                    "i = 0\nwhile True:\n    i += 1\n    if i % 1000 == 0: print(i)\n"
                });
        cases.put(
                "Python exception",
                new String[] {"run", "import json\nprint(1)\njson.loads('{' * 10 + 'x')\n"});
        // A hard stop needs checkInterruption: only the outcome's type is compared (timing).
        cases.put(
                "timeout (hard stop)",
                new String[] {
                    "timeout", "300", "import time\nwhile True:\n    sum(range(1000))\n"
                });
        int differences = 0;
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            String base = null;
            StringBuilder line = new StringBuilder(c.getKey());
            for (int v = 0; v < probes.size(); v++) {
                String got = probes.get(v).apply(c.getValue());
                if (v == 0) {
                    base = got;
                    line.append(": ").append(summary(got));
                } else if (!Objects.equals(base, got)) {
                    differences++;
                    line.append("\n  DIFFERENT in ")
                            .append(names.get(v))
                            .append(":\n    ")
                            .append(names.get(0))
                            .append(": ")
                            .append(base.replace("\n", "\n    "))
                            .append("\n    ")
                            .append(names.get(v))
                            .append(": ")
                            .append(got.replace("\n", "\n    "));
                } else {
                    line.append(", ").append(names.get(v)).append(" identical");
                }
            }
            System.out.println(line);
        }
        System.out.printf(
                "%d cases x %d variants: %s%n",
                cases.size(),
                probes.size(),
                differences == 0 ? "all identical" : differences + " DIFFERENCES");
        return differences == 0;
    }

    /** The outcome line, the fuel and the size of what was compared. */
    private static String summary(String result) {
        int nl = result.indexOf('\n');
        String outcome = nl < 0 ? result : result.substring(0, nl);
        int fuel = result.indexOf("fuel=");
        int end = result.indexOf('\n', fuel);
        return outcome
                + (fuel < 0 ? "" : ", " + result.substring(fuel, end < 0 ? result.length() : end))
                + ", "
                + result.length()
                + " chars compared";
    }

    @SuppressWarnings("unchecked")
    private static Function<String[], String> newProbe(URL[] common, File assetsJar)
            throws Exception {
        URL[] urls = Arrays.copyOf(common, common.length + 1);
        urls[common.length] = assetsJar.toURI().toURL();
        ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        return (Function<String[], String>)
                loader.loadClass(DiffProbe.class.getName()).getDeclaredConstructor().newInstance();
    }

    /**
     * Lives in a variant's class loader; only JDK types cross. {@code run code}, {@code fuel limit
     * code}, {@code timeout millis code} → everything observable about the execution as text (a
     * fresh sandbox per case, so no case sees another's state).
     */
    public static final class DiffProbe implements Function<String[], String> {
        private static final dev.eryx.ResourceLimits LIMITS =
                dev.eryx.ResourceLimits.builder()
                        .executionTimeout(java.time.Duration.ofMinutes(10))
                        .maxMemoryBytes(1L << 30)
                        .build();

        @Override
        public String apply(String[] op) {
            dev.eryx.ResourceLimits limits = LIMITS;
            String code = op[1];
            boolean timing = false;
            switch (op[0]) {
                case "run":
                    break;
                case "fuel":
                    limits = LIMITS.toBuilder().maxFuel(Long.parseLong(op[1])).build();
                    code = op[2];
                    break;
                case "timeout":
                    limits =
                            LIMITS.toBuilder()
                                    .executionTimeout(
                                            java.time.Duration.ofMillis(Long.parseLong(op[1])))
                                    .build();
                    code = op[2];
                    timing = true;
                    break;
                default:
                    throw new IllegalArgumentException(op[0]);
            }
            try (dev.eryx.Sandbox sandbox =
                    dev.eryx.Sandbox.builder().resourceLimits(limits).build()) {
                dev.eryx.ExecutionResult r;
                String outcome;
                try {
                    r = sandbox.execute(code);
                    outcome = "ok exit=" + r.exitCode();
                } catch (dev.eryx.PythonException e) {
                    r = e.partialResult();
                    outcome = "PythonException " + e.pythonType() + "\n" + e.traceback();
                } catch (dev.eryx.FuelExhaustedException e) {
                    r = e.partialResult();
                    outcome = "FuelExhaustedException consumed=" + e.consumed();
                } catch (dev.eryx.EryxException e) {
                    r = e.partialResult();
                    outcome = e.getClass().getSimpleName();
                }
                if (timing) return outcome; // where a stop lands is timing, not semantics
                return outcome
                        + "\nfuel="
                        + (r == null ? "none" : r.stats().fuelConsumed())
                        + "\nstdout:\n"
                        + (r == null ? "" : r.stdout())
                        + "\nstderr:\n"
                        + (r == null ? "" : r.stderr());
            }
        }
    }
}
