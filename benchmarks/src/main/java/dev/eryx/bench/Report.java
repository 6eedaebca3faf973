package dev.eryx.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the runners' raw JSON into the side-by-side markdown table.
 *
 * <p>usage: Report OUT.md HEADER_FILE id=label=raw.json... — the first runtime whose id is {@code
 * native} is the baseline, the one whose id is {@code node} the V8 reference.
 */
public final class Report {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Runtime(String id, String label, JsonNode data) {}

    public static void main(String[] args) throws Exception {
        File out = new File(args[0]);
        String header = Files.readString(new File(args[1]).toPath());
        List<Runtime> runtimes = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] parts = args[i].split("=", 3);
            File f = new File(parts[2]);
            if (f.isFile() && f.length() > 0) {
                runtimes.add(new Runtime(parts[0], parts[1], JSON.readTree(f)));
            } else {
                System.err.println("report: no results for " + parts[1] + " (" + f + "), left out");
            }
        }
        Runtime nativeRt = find(runtimes, "native");
        Runtime v8 = find(runtimes, "node");
        StringBuilder md = new StringBuilder(header.strip()).append("\n\n");

        md.append(
                "### Workloads, warm: median ms (± half the interquartile range, as % of the median)\n\n");
        md.append("| workload |");
        runtimes.forEach(r -> md.append(' ').append(r.label).append(" |"));
        md.append(" checksums |\n|---|");
        runtimes.forEach(r -> md.append("---:|"));
        md.append("---|\n");
        Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
        for (String w : Workloads.NAMES) {
            md.append("| ").append(w).append(" |");
            Map<String, Double> row = new LinkedHashMap<>();
            List<String> mismatched = new ArrayList<>();
            String reference =
                    nativeRt == null
                            ? null
                            : text(nativeRt.data.path("workloads").path(w).path("output"));
            for (Runtime r : runtimes) {
                JsonNode e = r.data.path("workloads").path(w);
                double[] xs = values(e.path("times_ms"));
                if (!e.path("error").isNull() && !e.path("error").isMissingNode()) {
                    md.append(" error |");
                    mismatched.add(r.label + ": " + firstLine(e.path("error").asText()));
                } else if (xs.length == 0) {
                    md.append(" — |");
                } else {
                    double m = median(xs);
                    row.put(r.id, m);
                    md.append(
                            String.format(
                                    Locale.ROOT, " %s (±%.0f%%) |", fmt(m), 50 * iqr(xs) / m));
                    String output = text(e.path("output"));
                    if (reference != null && !reference.equals(output)) {
                        mismatched.add(r.label + " differs");
                    }
                }
            }
            medians.put(w, row);
            md.append(' ')
                    .append(mismatched.isEmpty() ? "all equal" : String.join("; ", mismatched))
                    .append(" |\n");
        }

        md.append("\n### Ratios (median / median): to native CPython, and to V8\n\n| workload |");
        List<String[]> ratioCols = new ArrayList<>();
        for (Runtime r : runtimes) {
            if (nativeRt != null && r != nativeRt) {
                ratioCols.add(new String[] {r.id, "native", r.label + " ÷ native"});
            }
        }
        for (Runtime r : runtimes) {
            if (v8 != null && r != v8 && r != nativeRt) {
                ratioCols.add(new String[] {r.id, "node", r.label + " ÷ V8"});
            }
        }
        ratioCols.forEach(c -> md.append(' ').append(c[2]).append(" |"));
        md.append("\n|---|");
        ratioCols.forEach(c -> md.append("---:|"));
        md.append('\n');
        Map<String, List<Double>> logs = new LinkedHashMap<>();
        for (String w : Workloads.NAMES) {
            md.append("| ").append(w).append(" |");
            for (String[] c : ratioCols) {
                Double a = medians.get(w).get(c[0]);
                Double b = medians.get(w).get(c[1]);
                if (a == null || b == null) {
                    md.append(" — |");
                } else {
                    md.append(String.format(Locale.ROOT, " %.1fx |", a / b));
                    logs.computeIfAbsent(c[0] + "/" + c[1], k -> new ArrayList<>())
                            .add(Math.log(a / b));
                }
            }
            md.append('\n');
        }
        md.append("| **geometric mean** |");
        for (String[] c : ratioCols) {
            List<Double> l = logs.get(c[0] + "/" + c[1]);
            md.append(
                    l == null
                            ? " — |"
                            : String.format(
                                    Locale.ROOT,
                                    " **%.1fx** (%d) |",
                                    Math.exp(
                                            l.stream()
                                                    .mapToDouble(Double::doubleValue)
                                                    .average()
                                                    .orElse(0)),
                                    l.size()));
        }
        md.append("\n| **worst** |");
        for (String[] c : ratioCols) {
            List<Double> l = logs.get(c[0] + "/" + c[1]);
            md.append(
                    l == null
                            ? " — |"
                            : String.format(
                                    Locale.ROOT,
                                    " %.1fx |",
                                    Math.exp(
                                            l.stream()
                                                    .mapToDouble(Double::doubleValue)
                                                    .max()
                                                    .orElse(0))));
        }
        md.append("\n\n");

        md.append("### Start-up: median ms (n samples)\n\n| measure |");
        runtimes.forEach(r -> md.append(' ').append(r.label).append(" |"));
        md.append("\n|---|");
        runtimes.forEach(r -> md.append("---:|"));
        md.append('\n');
        String[][] rows = {
            {
                "cold_boot_first_output_ms",
                "cold boot to first output (first interpreter of the process)"
            },
            {"first_fresh_first_output_ms", "first fresh instance to first output (engine cold)"},
            {
                "fresh_first_output_ms",
                "fresh interpreter to first output (eryx: restored from the image)"
            },
            {"restore_build_ms", "eryx: `build()` of a restored sandbox alone"},
            {"compile_ms", "compile the module (V8)"},
            {
                "warm_trivial_ms",
                "warm interpreter: one execution printing a line (eryx: a pooled sandbox)"
            },
        };
        for (String[] row : rows) {
            md.append("| ").append(row[1]).append(" |");
            for (Runtime r : runtimes) {
                JsonNode v = r.data.path("startup").path(row[0]);
                double[] xs =
                        v.isArray()
                                ? values(v)
                                : v.isNumber() ? new double[] {v.asDouble()} : new double[0];
                md.append(
                        xs.length == 0 ? " — |" : " " + fmt(median(xs)) + " (" + xs.length + ") |");
            }
            md.append('\n');
        }
        md.append("\nVersions: ");
        runtimes.forEach(
                r ->
                        md.append(r.label)
                                .append(" = ")
                                .append(r.data.path("version").asText())
                                .append("; "));
        md.setLength(md.length() - 2);
        md.append('\n');

        out.getParentFile().mkdirs();
        Files.writeString(out.toPath(), md.toString(), StandardCharsets.UTF_8);
        System.out.println(md);
    }

    private static Runtime find(List<Runtime> runtimes, String id) {
        return runtimes.stream().filter(r -> r.id.equals(id)).findFirst().orElse(null);
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? null : n.asText().strip();
    }

    private static String firstLine(String s) {
        String line = s.lines().findFirst().orElse(s);
        return line.length() > 80 ? line.substring(0, 80) + "…" : line;
    }

    private static String fmt(double ms) {
        return ms >= 100
                ? String.format(Locale.ROOT, "%.0f", ms)
                : ms >= 10
                        ? String.format(Locale.ROOT, "%.1f", ms)
                        : String.format(Locale.ROOT, "%.2f", ms);
    }

    private static double[] values(JsonNode array) {
        double[] xs = new double[array.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = array.get(i).asDouble();
        }
        return xs;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double iqr(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return quantile(s, 0.75) - quantile(s, 0.25);
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
