package dev.eryx.conformance;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tests of CPython's suite that cannot pass on wasm32-wasip1 under eryx and that CPython does not
 * already skip there, by test id (or class id), with the reason. Each is reported as a skip with
 * the reason prefixed {@code "eryx: "}; docs/conformance.md lists them. An entry that matches no
 * test fails the run, so the list cannot go stale.
 */
final class ConformanceDenyList {
    private static final Map<String, Map<String, String>> DENY = new LinkedHashMap<>();

    // Empty since python.wasm's SQLite got POSIX advisory locking (wasm-assets/build/README.md,
    // "SQLite locking"): the seven test_sqlite3 TransactionTests denied for dot-file locking pass.

    private ConformanceDenyList() {}

    private static void deny(String module, String testId, String reason) {
        DENY.computeIfAbsent(module, k -> new LinkedHashMap<>()).put(testId, reason);
    }

    static Map<String, String> forModule(String module) {
        return DENY.getOrDefault(module, Map.of());
    }
}
