package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.examples.PassAtKProblems.Candidate;
import dev.eryx.examples.PassAtKProblems.Kind;
import dev.eryx.examples.SparkPassAtK.Outcome;
import dev.eryx.examples.SparkPassAtK.ProblemScore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The pass@k example on a reduced set, 10 problems × 8 candidates, in Spark local mode: every row's
 * verdict and every problem's pass count is known from the generator.
 */
class SparkPassAtKTest {

    @Test
    void theReducedSetScoresExactlyAsTheGeneratorPredicts() {
        List<Candidate> candidates = PassAtKProblems.load().candidates(10, 8);
        SparkSession spark =
                SparkSession.builder()
                        .master("local[2]")
                        .appName("SparkPassAtKTest")
                        .config("spark.ui.enabled", "false")
                        .getOrCreate();
        SparkPassAtK.Report report;
        try {
            report = SparkPassAtK.run(spark, candidates);
        } finally {
            spark.stop();
        }

        assertEquals(80, report.outcomes().size());
        for (Outcome o : report.outcomes()) {
            String row = o.problem() + " #" + o.candidate() + " " + o.kind() + ": " + o;
            assertEquals(expectedVerdict(o.kind()), o.verdict(), row);
            assertEquals(o.kind().passes(), o.passed(), row);
        }
        // The generator's ground truth, written out: a change to it shows here.
        int[] passes = {0, 2, 0, 3, 4, 4, 1, 5, 1, 4};
        List<ProblemScore> scores = report.problems();
        assertEquals(10, scores.size());
        for (int i = 0; i < passes.length; i++) {
            assertEquals(8, scores.get(i).n(), scores.get(i).problem());
            assertEquals(passes[i], scores.get(i).c(), scores.get(i).problem());
        }
        Map<Kind, int[]> byKind = report.byKind();
        assertEquals(22, byKind.get(Kind.CORRECT)[1]);
        assertEquals(36, byKind.get(Kind.WRONG)[0]);
        assertEquals(0, byKind.get(Kind.WRONG)[1]);
        // The documented forgery: a candidate that replaces builtins.compile passes (both rows).
        assertEquals(2, byKind.get(Kind.FORGE_COMPILE)[1]);
        for (Outcome o : report.outcomes()) {
            if (o.kind() == Kind.SLOW_CALL) {
                assertTrue(o.detail().contains("fuel"), o.detail());
            }
            if (o.kind() == Kind.FORGE_REPORT) {
                assertTrue(o.detail().contains("callback itself"), o.detail());
            }
        }
        assertEquals(0.375, scores.get(3).passAt(1), 1e-9); // reverse_words: 3 of 8
        assertEquals(Double.NaN, scores.get(3).passAt(10)); // no estimate with 8 samples

        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        SparkPassAtK.print(report, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String printed = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("FORGE_COMPILE       2/2   <- forged passes"), printed);
        assertTrue(printed.contains("80 rows in "), printed);
    }

    @Test
    void passAtKIsTheUnbiasedEstimator() {
        assertEquals(0.0, SparkPassAtK.passAtK(40, 0, 10));
        assertEquals(1.0, SparkPassAtK.passAtK(40, 31, 10)); // fewer than 10 failures
        assertEquals(0.25, SparkPassAtK.passAtK(40, 10, 1), 1e-12);
        // 1 - C(38, 10) / C(40, 10) = 1 - (30 * 29) / (40 * 39)
        assertEquals(1 - (30.0 * 29) / (40 * 39), SparkPassAtK.passAtK(40, 2, 10), 1e-12);
    }

    private static String expectedVerdict(Kind kind) {
        return switch (kind) {
            case SLOW_IMPORT, LOOP -> "fuel";
            case MEMORY_BOMB -> "memory";
            case FLOOD -> "output";
            case EXIT -> "crashed";
            case WEIRD_EXCEPTION -> "python_error";
            default -> "ok";
        };
    }
}
