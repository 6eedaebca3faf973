package dev.eryx.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host side of {@code eryx.report_test}: one callback per pool, registered in every pooled
 * sandbox, that accepts a report only under the nonce of a test running now. The test's execution
 * is the host's prelude (which defines {@code eryx.report_test}, runs the row's test, then forwards
 * its reports with the nonce) around the row's test code; the nonce exists nowhere else, so the
 * candidate, which ran before, cannot report under it except by subverting that prelude (see {@link
 * PythonEvaluation}'s comment on what a candidate can still forge).
 */
final class TestReports {
    /** The host callback's name; {@code _eryx_} keeps it out of the way of user code. */
    static final String CALLBACK = "_eryx_report_test";

    /** What one test may say about itself; more is cut (it is a column of every row). */
    static final int MAX_DETAIL_CHARS = 4_096;

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final JsonNode SCHEMA =
            parse(
                    "{\"type\":\"object\",\"properties\":{"
                            + "\"nonce\":{\"type\":\"string\"},"
                            + "\"passed\":{\"type\":\"boolean\"},"
                            + "\"detail\":{\"type\":\"string\"}},"
                            + "\"required\":[\"nonce\",\"passed\"],"
                            + "\"additionalProperties\":false}");

    private final ConcurrentHashMap<String, Report> running = new ConcurrentHashMap<>();

    /** The callback every sandbox of the pool gets. */
    Callback callback() {
        return Callback.of(
                        CALLBACK,
                        "Reports the result of the row's test (the host's test prelude calls it).",
                        this::receive)
                .withSchema(SCHEMA);
    }

    private Object receive(JsonNode arguments) {
        Report report = running.get(arguments.get("nonce").asText());
        if (report == null) {
            // The guest sees only this message (eryx.CallbackError), the host counts the call.
            throw new IllegalArgumentException("no test of this sandbox runs under that nonce");
        }
        report.add(arguments.get("passed").asBoolean(), arguments.path("detail").asText(""));
        return null;
    }

    /** A fresh nonce: 128 random bits. */
    static String nonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Accepts reports under {@code nonce} until {@link #close}. */
    Report open(String nonce) {
        Report report = new Report();
        if (running.putIfAbsent(nonce, report) != null) {
            throw new IllegalStateException("nonce reused");
        }
        return report;
    }

    void close(String nonce) {
        running.remove(nonce);
    }

    /**
     * The test's execution: the prelude, the row's test (hex-encoded, so that no content of it can
     * end the string it is carried in), and the forwarding of its reports under {@code nonce}.
     */
    static String program(String nonce, String test) {
        String hex = HexFormat.of().formatHex(test.getBytes(StandardCharsets.UTF_8));
        return "def _eryx_test_prelude():\n"
                + "    import eryx\n"
                + "    send = eryx.tools."
                + CALLBACK
                + "\n"
                + "    reports = []\n"
                + "    def report_test(passed, detail=''):\n"
                + "        '''Reports this row's test result to the host; call it once.'''\n"
                + "        if not isinstance(passed, bool):\n"
                + "            raise TypeError('eryx.report_test: passed must be a bool, not '\n"
                + "                            + type(passed).__name__)\n"
                + "        reports.append((passed, str(detail)))\n"
                + "    eryx.report_test = report_test\n"
                + "    return send, reports\n"
                + "_eryx_send, _eryx_reports = _eryx_test_prelude()\n"
                + "del _eryx_test_prelude\n"
                + "try:\n"
                + "    exec(compile(bytes.fromhex('"
                + hex
                + "').decode('utf-8'), '<test>', 'exec'), globals())\n"
                + "finally:\n"
                + "    for _eryx_passed, _eryx_detail in _eryx_reports:\n"
                + "        await _eryx_send(nonce='"
                + nonce
                + "', passed=_eryx_passed, detail=_eryx_detail)\n";
    }

    /** What the host received under one nonce. Thread-safe: callbacks run on host threads. */
    static final class Report {
        private int count;
        private boolean passed;
        private String detail;

        synchronized void add(boolean passed, String detail) {
            if (count++ == 0) {
                this.passed = passed;
                this.detail =
                        detail.length() > MAX_DETAIL_CHARS
                                ? detail.substring(0, MAX_DETAIL_CHARS) + "..."
                                : detail;
            }
        }

        synchronized int count() {
            return count;
        }

        synchronized boolean passed() {
            return passed;
        }

        synchronized String detail() {
            return detail;
        }
    }

    private static JsonNode parse(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
