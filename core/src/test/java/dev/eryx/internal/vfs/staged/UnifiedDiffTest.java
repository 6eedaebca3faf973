package dev.eryx.internal.vfs.staged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our Myers diff against outputs reasoned out by hand (GNU diff -u conventions). */
class UnifiedDiffTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String diff(String before, String after) {
        return UnifiedDiff.of(
                "f.txt", before == null ? null : b(before), after == null ? null : b(after));
    }

    @Test
    void equalFilesHaveNoHunks() {
        assertEquals("", diff("a\nb\n", "a\nb\n"));
        assertEquals("", diff("", ""));
    }

    @Test
    void createdFileFromDevNull() {
        assertEquals("--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n", diff(null, "a\nb\n"));
    }

    @Test
    void deletedFileToDevNull() {
        assertEquals("--- a/f.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n", diff("a\n", null));
    }

    @Test
    void emptyToContentAndBack() {
        assertEquals("--- a/f.txt\n+++ b/f.txt\n@@ -0,0 +1 @@\n+x\n", diff("", "x\n"));
        assertEquals("--- a/f.txt\n+++ b/f.txt\n@@ -1 +0,0 @@\n-x\n", diff("x\n", ""));
    }

    @Test
    void oneLineChangedInTheMiddleHasThreeLinesOfContext() {
        String before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        String after = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n",
                diff(before, after));
    }

    @Test
    void farApartChangesMakeTwoHunksAndNearOnesOne() {
        StringBuilder before = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            before.append(i).append('\n');
        }
        String twoHunks = numbers(20, 3, "three", 18, "eighteen");
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n"
                        + "@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
                        + "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n",
                diff(before.toString(), twoHunks));
        // six unchanged lines between two changes (= 2 x context) still join into one hunk
        String oneHunk = numbers(20, 3, "three", 10, "ten");
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n"
                        + "@@ -1,13 +1,13 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n 9\n-10\n+ten\n"
                        + " 11\n 12\n 13\n",
                diff(before.toString(), oneHunk));
    }

    @Test
    void missingTrailingNewlineIsMarked() {
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
                diff("a\nb", "a\nb\n"));
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n",
                diff("a\n", "b"));
        assertEquals(
                "--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\n",
                diff(null, "x"));
    }

    @Test
    void insertionAndDeletionAreMinimal() {
        // Myers finds the 2-edit script (delete a, insert d), not a 4-edit rewrite.
        assertEquals(
                "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n-a\n b\n c\n+d\n",
                diff("a\nb\nc\n", "b\nc\nd\n"));
        // the classic example of the paper: ABCABBA -> CBABAC, D = 5
        List<UnifiedDiff.Op> ops =
                UnifiedDiff.diff(
                        UnifiedDiff.lines("A\nB\nC\nA\nB\nB\nA\n"),
                        UnifiedDiff.lines("C\nB\nA\nB\nA\nC\n"));
        long edits = ops.stream().filter(op -> op.type() != ' ').count();
        assertEquals(5, edits);
    }

    @Test
    void binaryAndInvalidUtf8AreNotText() {
        assertNull(UnifiedDiff.of("f", new byte[] {'a', 0, 'b'}, b("ab")));
        assertNull(UnifiedDiff.of("f", b("ab"), new byte[] {(byte) 0xC3, (byte) 0x28}));
        assertNull(UnifiedDiff.of("f", null, new byte[UnifiedDiff.MAX_BYTES + 1]));
        assertEquals(
                "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-é\n+è\n", UnifiedDiff.of("f", b("é\n"), b("è\n")));
    }

    /** Applying the script must give the new file back, for random edits of random files. */
    @Test
    void scriptsRebuildBothSides() {
        Random random = new Random(17);
        for (int round = 0; round < 300; round++) {
            List<String> a = randomLines(random);
            List<String> b = new ArrayList<>(a);
            int edits = random.nextInt(6);
            for (int i = 0; i < edits; i++) {
                if (!b.isEmpty() && random.nextBoolean()) {
                    b.remove(random.nextInt(b.size()));
                } else {
                    b.add(random.nextInt(b.size() + 1), "n" + random.nextInt(3) + "\n");
                }
            }
            List<UnifiedDiff.Op> ops = UnifiedDiff.diff(a, b);
            List<String> rebuiltA = new ArrayList<>();
            List<String> rebuiltB = new ArrayList<>();
            for (UnifiedDiff.Op op : ops) {
                if (op.type() != '+') {
                    rebuiltA.add(op.line());
                }
                if (op.type() != '-') {
                    rebuiltB.add(op.line());
                }
            }
            assertEquals(a, rebuiltA);
            assertEquals(b, rebuiltB);
            long count = ops.stream().filter(op -> op.type() != ' ').count();
            // each random edit costs at most one line of script, so a minimal script is no longer
            assertEquals(true, count <= edits, "not minimal: " + ops);
        }
    }

    @Test
    void tooManyEditsFallBackToAWholeReplacement() {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < UnifiedDiff.MAX_EDITS + 10; i++) {
            a.add("a" + i + "\n");
            b.add("b" + i + "\n");
        }
        List<UnifiedDiff.Op> ops = UnifiedDiff.diff(a, b);
        assertEquals(a.size() + b.size(), ops.size());
        assertEquals('-', ops.get(0).type());
        assertEquals('+', ops.get(ops.size() - 1).type());
    }

    /** Lines "1".."n", with two of them replaced. */
    private static String numbers(
            int n, int first, String firstText, int second, String secondText) {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            out.append(i == first ? firstText : i == second ? secondText : Integer.toString(i))
                    .append('\n');
        }
        return out.toString();
    }

    private static List<String> randomLines(Random random) {
        List<String> lines = new ArrayList<>();
        int n = random.nextInt(12);
        for (int i = 0; i < n; i++) {
            lines.add("l" + random.nextInt(4) + "\n");
        }
        return lines;
    }
}
