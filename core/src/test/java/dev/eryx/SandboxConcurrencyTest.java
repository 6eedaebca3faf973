package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SandboxConcurrencyTest {
    @Test
    void concurrentCallsOnOneSandboxAreSerialized() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.execute("import time\nlog = []");
            String code =
                    "start = time.monotonic()\ntime.sleep(0.3)\nlog.append((start, time.monotonic()))";
            Future<ExecutionResult> a = callers.submit(() -> sandbox.execute(code));
            Future<ExecutionResult> b = callers.submit(() -> sandbox.execute(code));
            a.get();
            b.get();
            ExecutionResult r =
                    sandbox.execute("log.sort()\nresult = [len(log), log[0][1] <= log[1][0]]");
            assertEquals("[2,true]", r.result().toString(), "the two executions overlapped");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void manySandboxesRunInParallelAndStayIsolated() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> outcomes = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                outcomes.add(
                        threads.submit(
                                () -> {
                                    StringBuilder seen = new StringBuilder();
                                    try (Sandbox first = Sandbox.builder().build();
                                            Sandbox second = Sandbox.builder().build()) {
                                        first.execute("owner = " + thread);
                                        second.execute("owner = " + (thread + 100));
                                        for (int round = 0; round < 3; round++) {
                                            seen.append(
                                                            first.execute(
                                                                            "result = [owner, sum(range(100000))]")
                                                                    .result())
                                                    .append(
                                                            second.execute(
                                                                            "result = [owner, 'owner' in globals()]")
                                                                    .result());
                                        }
                                    }
                                    return seen.toString();
                                }));
            }
            for (int t = 0; t < 4; t++) {
                String expected = ("[" + t + ",4999950000]" + "[" + (t + 100) + ",true]").repeat(3);
                assertEquals(expected, outcomes.get(t).get());
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
