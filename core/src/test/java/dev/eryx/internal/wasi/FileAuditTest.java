package dev.eryx.internal.wasi;

import static dev.eryx.internal.wasi.Preview1.OFLAG_CREAT;
import static dev.eryx.internal.wasi.Preview1.RIGHT_FD_READ;
import static dev.eryx.internal.wasi.Preview1.RIGHT_FD_SEEK;
import static dev.eryx.internal.wasi.Preview1.RIGHT_FD_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.wasi.FileListener.Event;
import dev.eryx.internal.wasi.FileListener.Operation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The file events WASI reports, in its own terms, with no sandbox around it. */
class FileAuditTest {
    private final Vfs vfs = Vfs.builder().maxBytes(10_000).build();
    private final List<Event> events = new ArrayList<>();
    private final FileAudit audit = new FileAudit(events::add, List.of("/lib"));
    private final WasiHarness h =
            new WasiHarness(new WasiPreview1(WasiConfig.builder().vfs(vfs).build(), audit));

    @Test
    void readsAndWritesOfOneOpenFileAreOneEventEachWhenItIsClosed() {
        int fd =
                h.open("/data.txt", OFLAG_CREAT, RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK, 0);
        h.string(100, "abcdef");
        h.iovec(0, 100, 6);
        assertEquals(0, h.call("fd_write", fd, 0, 1, 50));
        assertEquals(0, h.call("fd_write", fd, 0, 1, 50));
        h.iovec(0, 200, 4);
        assertEquals(0, h.call("fd_pread", fd, 0, 1, 0, 50));
        assertTrue(events.isEmpty(), "nothing is reported while the file is open: " + events);

        assertEquals(0, h.call("fd_close", fd));
        assertEquals(2, events.size(), events.toString());
        assertEquals(Operation.WRITE, events.get(0).operation());
        assertEquals("/data.txt", events.get(0).path());
        assertEquals(12, events.get(0).bytes());
        assertEquals(Operation.READ, events.get(1).operation());
        assertEquals(4, events.get(1).bytes());
        assertNull(events.get(1).errnoName());
    }

    @Test
    void pathChangesAreReportedAsTheyHappenAndFailuresCarryTheErrno() {
        h.open("/gone.txt", OFLAG_CREAT, RIGHT_FD_WRITE, 0);
        events.clear();
        int length = h.string(1000, "gone.txt");
        assertEquals(0, h.call("path_unlink_file", 3, 1000, length));
        length = h.string(1000, "./new");
        assertEquals(0, h.call("path_create_directory", 3, 1000, length));
        int from = h.string(1000, "new");
        int to = h.string(1100, "/renamed");
        assertEquals(0, h.call("path_rename", 3, 1000, from, 3, 1100, to));
        length = h.string(1000, "missing.txt");
        int errno = h.call("path_open", 3, 1, 1000, length, 0, RIGHT_FD_READ, 0, 0, 900);
        assertEquals(Errno.NOENT.code(), errno);

        assertEquals(4, events.size(), events.toString());
        assertEquals(
                new Event(Operation.UNLINK, "/gone.txt", 0, events.get(0).hostNanos(), 0, null),
                events.get(0));
        assertEquals(Operation.MKDIR, events.get(1).operation());
        assertEquals("/new", events.get(1).path(), "named lexically normalized");
        assertEquals(Operation.RENAME, events.get(2).operation());
        assertEquals("/renamed", events.get(2).destination());
        assertEquals(Operation.READ, events.get(3).operation());
        assertEquals("/missing.txt", events.get(3).path());
        assertEquals("ENOENT", events.get(3).errnoName());
    }

    @Test
    void theExcludedLayersAreNeverReported() {
        vfs.mkdirs("/lib");
        int fd = h.open("/lib/os.py", OFLAG_CREAT, RIGHT_FD_WRITE, 0);
        assertEquals(0, h.call("fd_close", fd));
        audit.flush();
        assertTrue(events.isEmpty(), events.toString());
    }

    @Test
    void aDescriptorKeepsItsFileAcrossRenumberAndTheReplacedOneIsReported() {
        int kept = h.open("/kept.txt", OFLAG_CREAT, RIGHT_FD_WRITE, 0);
        int moved = h.open("/moved.txt", OFLAG_CREAT, RIGHT_FD_WRITE, 0);
        assertEquals(0, h.call("fd_renumber", moved, kept));
        assertEquals(1, events.size(), events.toString());
        assertEquals(
                new Event(Operation.WRITE, "/kept.txt", 0, events.get(0).hostNanos(), 0, null),
                events.get(0));

        h.string(100, "xyz");
        h.iovec(0, 100, 3);
        assertEquals(0, h.call("fd_write", kept, 0, 1, 50));
        assertEquals(0, h.call("fd_filestat_set_size", kept, 1));
        audit.flush();
        assertEquals(2, events.size(), events.toString());
        assertEquals(Operation.WRITE, events.get(1).operation());
        assertEquals("/moved.txt", events.get(1).path());
        assertEquals(3, events.get(1).bytes());
    }

    @Test
    void pathsRelativeToAnOpenedDirectoryAreNamedFromIt() {
        vfs.mkdirs("/work/sub");
        int dir = h.open("/work/sub", Preview1.OFLAG_DIRECTORY, RIGHT_FD_READ, 0);
        events.clear();
        int length = h.string(1000, "../x.txt");
        int errno = h.call("path_unlink_file", dir, 1000, length);
        assertEquals(Errno.NOENT.code(), errno);
        assertEquals(1, events.size(), events.toString());
        assertEquals(Operation.UNLINK, events.get(0).operation());
        assertEquals("/work/x.txt", events.get(0).path());
        assertEquals("ENOENT", events.get(0).errnoName());
    }
}
