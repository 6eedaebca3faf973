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

    /**
     * SQLite's WASI build defaults to its "unix-dotfile" VFS because WASI has no fcntl() byte-range
     * locks: every lock, even a reader's SHARED lock, is one exclusive {@code <db>.lock} file, so
     * while one connection holds a write transaction a second connection to the same file cannot
     * read ("database is locked"). These tests read through a second connection during the first
     * one's open transaction; the other TransactionTests pass.
     */
    private static final String SQLITE_DOTFILE =
            "SQLite on WASI uses dot-file locking (no fcntl byte-range locks"
                    + " in WASI), which has no shared read lock: a second connection cannot read while another"
                    + " holds a write transaction";

    static {
        for (String t :
                new String[] {
                    "test_delete_starts_transaction",
                    "test_dml_does_not_auto_commit_before",
                    "test_insert_starts_transaction",
                    "test_multiple_cursors_and_iternext",
                    "test_replace_starts_transaction",
                    "test_toggle_auto_commit",
                    "test_update_starts_transaction",
                }) {
            deny(
                    "test_sqlite3",
                    "test.test_sqlite3.test_transactions.TransactionTests." + t,
                    SQLITE_DOTFILE);
        }
    }

    private ConformanceDenyList() {}

    private static void deny(String module, String testId, String reason) {
        DENY.computeIfAbsent(module, k -> new LinkedHashMap<>()).put(testId, reason);
    }

    static Map<String, String> forModule(String module) {
        return DENY.getOrDefault(module, Map.of());
    }
}
