package dev.eryx.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Python workload suite (src/main/resources/workloads), the same files every runtime runs. */
public final class Workloads {
    /** Order of the table's rows. */
    public static final List<String> NAMES =
            List.of(
                    "fib",
                    "loops",
                    "json_roundtrip",
                    "regex",
                    "strings",
                    "dicts_lists",
                    "agent_step",
                    "decimal_ops",
                    "sqlite_mem");

    private Workloads() {}

    public static String source(String name) {
        try (InputStream in = Workloads.class.getResourceAsStream("/workloads/" + name + ".py")) {
            if (in == null) {
                throw new IllegalArgumentException("no workload " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The workloads named (comma-separated), or all of them. */
    public static Map<String, String> select(String names) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : names == null || names.isBlank() ? NAMES : List.of(names.split(","))) {
            out.put(name.trim(), source(name.trim()));
        }
        return out;
    }
}
