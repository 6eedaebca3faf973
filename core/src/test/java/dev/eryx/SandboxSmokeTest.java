package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SandboxSmokeTest {
    @Test
    void printsAndReturnsAResult() {
        long t0 = System.nanoTime();
        try (Sandbox sandbox = Sandbox.builder().build()) {
            long t1 = System.nanoTime();
            ExecutionResult r =
                    sandbox.execute("import sys\nprint(sys.version)\nresult = sum(range(10))");
            long t2 = System.nanoTime();
            System.out.println(
                    "boot ms " + (t1 - t0) / 1e6 + " exec ms " + (t2 - t1) / 1e6 + " " + r);
            assertTrue(r.stdout().startsWith("3.14.7"), r.stdout());
            assertEquals(45, r.result().asInt());
            PythonException e = assertThrows(PythonException.class, () -> sandbox.execute("1/0"));
            assertEquals("ZeroDivisionError", e.pythonType());
            System.out.println(e.traceback());
            long t3 = System.nanoTime();
            sandbox.execute("x = 1");
            System.out.println("small exec ms " + (System.nanoTime() - t3) / 1e6);
        }
        for (int i = 0; i < 5; i++) {
            long t4 = System.nanoTime();
            try (Sandbox s2 = Sandbox.builder().env("WHO", "me").build()) {
                long t5 = System.nanoTime();
                ExecutionResult r2 =
                        s2.execute(
                                "import os\nprint(os.environ.get('WHO'))\nresult = x if 'x' in globals() else None");
                System.out.println(
                        "restore ms "
                                + (t5 - t4) / 1e6
                                + " first exec ms "
                                + (System.nanoTime() - t5) / 1e6);
                assertEquals("me\n", r2.stdout());
            }
        }
    }
}
