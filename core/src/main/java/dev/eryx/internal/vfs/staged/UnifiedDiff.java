package dev.eryx.internal.vfs.staged;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Unified diffs of text files (what {@code diff -u} prints, without timestamps), from Myers' O(ND)
 * algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986): the shortest edit script
 * between the two line sequences after their common prefix and suffix are set aside. Text means
 * UTF-8 without NUL, at most {@link #MAX_BYTES} per side. Myers keeps one row of D+1 entries per
 * edit step to find its way back, so past {@link #MAX_EDITS} steps the script falls back to
 * replacing the whole differing middle: still a correct diff, only not a minimal one.
 */
public final class UnifiedDiff {
    public static final int CONTEXT = 3;
    public static final int MAX_BYTES = 256 * 1024;
    static final int MAX_EDITS = 2000;

    private UnifiedDiff() {}

    /** One line of the edit script: ' ' kept, '-' removed, '+' added. */
    record Op(char type, String line) {}

    /**
     * The diff of {@code before} and {@code after} (null: the file is absent on that side), or null
     * when either side is not text; "" when they are equal.
     */
    public static String of(String path, byte[] before, byte[] after) {
        String oldText = before == null ? "" : text(before);
        String newText = after == null ? "" : text(after);
        if (oldText == null || newText == null) {
            return null;
        }
        List<Op> ops = diff(lines(oldText), lines(newText));
        String hunks = format(ops);
        if (hunks.isEmpty()) {
            return "";
        }
        return "--- "
                + (before == null ? "/dev/null" : "a/" + path)
                + "\n+++ "
                + (after == null ? "/dev/null" : "b/" + path)
                + "\n"
                + hunks;
    }

    /** The content as a string if it is text (UTF-8, no NUL, not too large), else null. */
    static String text(byte[] content) {
        if (content.length > MAX_BYTES) {
            return null;
        }
        for (byte b : content) {
            if (b == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Lines, each with its "\n" when it has one (only the last may lack it). */
    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }

    /** The edit script turning {@code a} into {@code b}. */
    static List<Op> diff(List<String> a, List<String> b) {
        int prefix = 0;
        while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < a.size() - prefix
                && suffix < b.size() - prefix
                && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
            suffix++;
        }
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < prefix; i++) {
            ops.add(new Op(' ', a.get(i)));
        }
        List<String> midA = a.subList(prefix, a.size() - suffix);
        List<String> midB = b.subList(prefix, b.size() - suffix);
        List<Op> middle = myers(midA, midB);
        if (middle == null) {
            middle = new ArrayList<>();
            for (String line : midA) {
                middle.add(new Op('-', line));
            }
            for (String line : midB) {
                middle.add(new Op('+', line));
            }
        }
        ops.addAll(middle);
        for (int i = a.size() - suffix; i < a.size(); i++) {
            ops.add(new Op(' ', a.get(i)));
        }
        return ops;
    }

    /** Myers' greedy forward search with the rows kept for the way back; null past MAX_EDITS. */
    private static List<Op> myers(List<String> a, List<String> b) {
        int n = a.size();
        int m = b.size();
        int max = n + m;
        if (max == 0) {
            return new ArrayList<>();
        }
        int offset = max + 1;
        int[] v = new int[2 * max + 3];
        // rows.get(d): v[k] for k in [-d-1, d+1] as it was before step d
        List<int[]> rows = new ArrayList<>();
        int found = -1;
        for (int d = 0; d <= max && found < 0; d++) {
            if (d > MAX_EDITS) {
                return null;
            }
            int[] row = new int[2 * d + 3];
            System.arraycopy(v, offset - d - 1, row, 0, row.length);
            rows.add(row);
            for (int k = -d; k <= d; k += 2) {
                int x;
                if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) {
                    x = v[offset + k + 1]; // down: insert b[y - 1]
                } else {
                    x = v[offset + k - 1] + 1; // right: delete a[x - 1]
                }
                int y = x - k;
                while (x < n && y < m && a.get(x).equals(b.get(y))) {
                    x++;
                    y++;
                }
                v[offset + k] = x;
                if (x >= n && y >= m) {
                    found = d;
                    break;
                }
            }
        }
        List<Op> reversed = new ArrayList<>();
        int x = n;
        int y = m;
        for (int d = found; d > 0; d--) {
            int[] row = rows.get(d);
            int k = x - y;
            int prevK;
            if (k == -d || (k != d && row[k - 1 + d + 1] < row[k + 1 + d + 1])) {
                prevK = k + 1;
            } else {
                prevK = k - 1;
            }
            int prevX = row[prevK + d + 1];
            int prevY = prevX - prevK;
            while (x > prevX && y > prevY) {
                reversed.add(new Op(' ', a.get(x - 1)));
                x--;
                y--;
            }
            if (prevK == k + 1) {
                reversed.add(new Op('+', b.get(prevY)));
            } else {
                reversed.add(new Op('-', a.get(prevX)));
            }
            x = prevX;
            y = prevY;
        }
        while (x > 0 && y > 0) {
            reversed.add(new Op(' ', a.get(x - 1)));
            x--;
            y--;
        }
        List<Op> ops = new ArrayList<>(reversed.size());
        for (int i = reversed.size() - 1; i >= 0; i--) {
            ops.add(reversed.get(i));
        }
        return ops;
    }

    /** The hunks of an edit script, CONTEXT lines around each change; "" without changes. */
    static String format(List<Op> ops) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < ops.size()) {
            if (ops.get(i).type() == ' ') {
                i++;
                continue;
            }
            int start = Math.max(0, i - CONTEXT);
            int lastChange = i;
            int j = i + 1;
            while (j < ops.size()) {
                if (ops.get(j).type() != ' ') {
                    if (j - lastChange - 1 > 2 * CONTEXT) {
                        break;
                    }
                    lastChange = j;
                }
                j++;
            }
            int end = Math.min(ops.size(), lastChange + CONTEXT + 1);
            appendHunk(out, ops, start, end);
            i = end;
        }
        return out.toString();
    }

    private static void appendHunk(StringBuilder out, List<Op> ops, int start, int end) {
        int oldBefore = 0;
        int newBefore = 0;
        for (int i = 0; i < start; i++) {
            char type = ops.get(i).type();
            oldBefore += type != '+' ? 1 : 0;
            newBefore += type != '-' ? 1 : 0;
        }
        int oldCount = 0;
        int newCount = 0;
        for (int i = start; i < end; i++) {
            char type = ops.get(i).type();
            oldCount += type != '+' ? 1 : 0;
            newCount += type != '-' ? 1 : 0;
        }
        out.append("@@ -")
                .append(range(oldBefore, oldCount))
                .append(" +")
                .append(range(newBefore, newCount))
                .append(" @@\n");
        for (int i = start; i < end; i++) {
            Op op = ops.get(i);
            out.append(op.type());
            if (op.line().endsWith("\n")) {
                out.append(op.line());
            } else {
                out.append(op.line()).append("\n\\ No newline at end of file\n");
            }
        }
    }

    /** GNU diff's range: "l" for one line, "l,0" after line l for none, else "l,count". */
    private static String range(int before, int count) {
        if (count == 0) {
            return before + ",0";
        }
        if (count == 1) {
            return Integer.toString(before + 1);
        }
        return (before + 1) + "," + count;
    }
}
