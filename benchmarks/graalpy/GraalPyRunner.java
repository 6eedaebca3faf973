// GraalPy side of the side-by-side table. Run by benchmarks/run.sh with Java's source launcher:
//   java --module-path LIB --upgrade-module-path COMPILER --add-modules
// org.graalvm.polyglot,org.graalvm.py \
//        -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI GraalPyRunner.java OUT.json WARMUP REPS
// STARTUP_REPS WARMUP_SECONDS files...
// (GraalPy's documented way to get its optimizing runtime on a stock JDK.) Without the JVMCI
// compiler Truffle falls back to its interpreter-only runtime; the mode is recorded either way.
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.Source;

public class GraalPyRunner {
    static final ByteArrayOutputStream OUT = new ByteArrayOutputStream();

    public static void main(String[] args) throws Exception {
        Path outFile = Path.of(args[0]);
        int warmup = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        int startupReps = Integer.parseInt(args[3]);
        double warmupSeconds = Double.parseDouble(args[4]);
        Engine engine =
                Engine.newBuilder("python").option("engine.WarnInterpreterOnly", "false").build();
        String mode = engine.getImplementationName();
        StringBuilder json = new StringBuilder("{");
        StringBuilder startup = new StringBuilder();

        // Fresh contexts on the shared engine, to first output (the first one is the cold one).
        List<Double> fresh = new ArrayList<>();
        for (int i = 0; i < startupReps; i++) {
            long t0 = System.nanoTime();
            try (Context c = context(engine)) {
                c.eval("python", "print('ready')");
                fresh.add((System.nanoTime() - t0) / 1e6);
            }
            OUT.reset();
        }
        startup.append("\"first_fresh_first_output_ms\":")
                .append(fmt(fresh.get(0)))
                .append(",\"fresh_first_output_ms\":")
                .append(list(fresh.subList(1, fresh.size())));
        System.err.printf(
                Locale.ROOT,
                "  fresh context to first output: first %.0f ms, then %s%n",
                fresh.get(0),
                list(fresh.subList(1, fresh.size())));

        StringBuilder workloads = new StringBuilder();
        try (Context c = context(engine)) {
            List<Double> trivial = new ArrayList<>();
            Source print = Source.create("python", "print('ready')");
            for (int i = 0; i < 50; i++) {
                c.eval(print);
            }
            for (int i = 0; i < 30; i++) {
                long t0 = System.nanoTime();
                c.eval(print);
                trivial.add((System.nanoTime() - t0) / 1e6);
            }
            OUT.reset();
            startup.append(",\"warm_trivial_ms\":").append(list(trivial));
            for (int f = 5; f < args.length; f++) {
                Path file = Path.of(args[f]);
                String name = file.getFileName().toString().replaceFirst("\\.py$", "");
                Source source =
                        Source.newBuilder("python", Files.readString(file), name + ".py").build();
                List<Double> times = new ArrayList<>();
                String output = null;
                String error = null;
                try {
                    long warmStart = System.nanoTime();
                    for (int i = 0;
                            i < warmup || System.nanoTime() - warmStart < warmupSeconds * 1e9;
                            i++) {
                        c.eval(source);
                    }
                    for (int i = 0; i < reps; i++) {
                        OUT.reset();
                        long t0 = System.nanoTime();
                        c.eval(source);
                        times.add((System.nanoTime() - t0) / 1e6);
                        output = OUT.toString(StandardCharsets.UTF_8).strip();
                    }
                } catch (Exception e) {
                    error = e.toString();
                }
                OUT.reset();
                if (workloads.length() > 0) {
                    workloads.append(',');
                }
                workloads
                        .append(quote(name))
                        .append(":{\"times_ms\":")
                        .append(list(times))
                        .append(",\"output\":")
                        .append(output == null ? "null" : quote(output))
                        .append(",\"error\":")
                        .append(error == null ? "null" : quote(error))
                        .append('}');
                System.err.printf(
                        Locale.ROOT,
                        "  %-16s %s%n",
                        name,
                        error != null
                                ? error
                                : String.format(
                                        Locale.ROOT,
                                        "%.1f ms",
                                        times.stream().sorted().toList().get(times.size() / 2)));
            }
        }
        json.append("\"version\":")
                .append(
                        quote(
                                "GraalPy "
                                        + engine.getVersion()
                                        + ", runtime: "
                                        + mode
                                        + ", java "
                                        + System.getProperty("java.version")));
        json.append(",\"mode\":").append(quote(mode));
        json.append(",\"startup\":{").append(startup).append('}');
        json.append(",\"workloads\":{").append(workloads).append("}}");
        Files.writeString(outFile, json);
        engine.close();
    }

    static Context context(Engine engine) {
        // All access: GraalPy's sqlite3 and other native-backed modules need it; speed is what we
        // compare.
        return Context.newBuilder("python")
                .engine(engine)
                .allowAllAccess(true)
                .out(OUT)
                .err(System.err)
                .build();
    }

    static String list(List<Double> xs) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) {
            b.append(i == 0 ? "" : ",").append(fmt(xs.get(i)));
        }
        return b.append(']').toString();
    }

    static String fmt(double x) {
        return String.format(Locale.ROOT, "%.3f", x);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
            }
        }
        return b.append('"').toString();
    }
}
