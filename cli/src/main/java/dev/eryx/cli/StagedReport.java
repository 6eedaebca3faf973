package dev.eryx.cli;

import dev.eryx.PendingChange;
import dev.eryx.SandboxFiles;
import java.io.PrintWriter;
import java.util.List;

/**
 * After a run with {@code :staged} volumes: lists the pending changes on stderr (kind, path, size,
 * sha256, then the diffs) and commits them when asked. A refused commit (the host changed the files
 * meanwhile) throws {@code CommitConflictException}, which the command reports as a host failure
 * after the list.
 */
final class StagedReport {
    private StagedReport() {}

    /**
     * @param apply commit now (--commit was given and the program ran to its end)
     * @param asked whether --commit was given (to say why nothing was applied)
     */
    static void finish(SandboxFiles files, boolean apply, boolean asked, PrintWriter err) {
        List<PendingChange> changes = files.pendingChanges();
        if (changes.isEmpty()) {
            err.println("eryx: no staged changes");
            err.flush();
            return;
        }
        err.println("eryx: staged changes:");
        for (PendingChange c : changes) {
            err.println("  " + line(c));
        }
        for (PendingChange c : changes) {
            c.diff().ifPresent(err::print);
        }
        if (apply) {
            files.commit();
            err.println("eryx: committed " + changes.size() + " change(s)");
        } else if (asked) {
            err.println("eryx: not committed: the program did not finish");
        } else {
            err.println("eryx: not committed (use --commit to apply them)");
        }
        err.flush();
    }

    /** "M /work/a.txt 19 bytes sha256 ab12..." */
    static String line(PendingChange c) {
        String kind =
                c.kind() == PendingChange.Kind.CREATED
                        ? "A"
                        : c.kind() == PendingChange.Kind.MODIFIED ? "M" : "D";
        StringBuilder line = new StringBuilder(kind).append(' ').append(c.path());
        if (c.isDirectory()) {
            line.append('/');
        } else if (c.kind() != PendingChange.Kind.DELETED) {
            line.append("  ").append(c.size()).append(" bytes");
            c.sha256().ifPresent(sha -> line.append("  sha256 ").append(sha));
        }
        c.modeChange().ifPresent(mode -> line.append("  (").append(mode).append(')'));
        return line.toString();
    }
}
