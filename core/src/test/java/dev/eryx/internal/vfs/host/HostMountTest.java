package dev.eryx.internal.vfs.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.FileNode;
import dev.eryx.internal.vfs.Node;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.SymlinkNode;
import dev.eryx.internal.vfs.Vfs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Confinement of host mounts: nothing outside the mounted directory is ever reachable. */
class HostMountTest {
    @TempDir Path temp;
    Path outside;
    Path mounted;
    Vfs vfs;

    static Errno errnoOf(Runnable action) {
        return assertThrows(ErrnoException.class, action::run).errno();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void setUp() throws Exception {
        outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "SECRET");
        mounted = Files.createDirectory(temp.resolve("mounted"));
        Files.writeString(mounted.resolve("inside.txt"), "inside");
        Files.createDirectory(mounted.resolve("sub"));
        Files.writeString(mounted.resolve("sub/x.txt"), "x");
        Files.createSymbolicLink(mounted.resolve("out_rel"), Path.of("../outside"));
        Files.createSymbolicLink(mounted.resolve("out_abs"), outside.toAbsolutePath());
        Files.createSymbolicLink(mounted.resolve("secret_link"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(mounted.resolve("loop"), Path.of("loop"));
        Files.createSymbolicLink(mounted.resolve("dirlink"), Path.of("sub"));
        vfs = Vfs.builder().build();
        vfs.mount(mounted, "/host", false);
        vfs.mount(mounted, "/ro", true);
    }

    @Test
    void readsInsideTheMount() {
        assertArrayEquals(utf8("inside"), vfs.readFile("/host/inside.txt"));
        assertArrayEquals(utf8("x"), vfs.readFile("/host/sub/x.txt"));
        assertArrayEquals(
                utf8("x"), vfs.readFile("/host/dirlink/x.txt"), "in-mount relative symlink");
        assertEquals(
                List.of(
                        "dirlink",
                        "inside.txt",
                        "loop",
                        "out_abs",
                        "out_rel",
                        "secret_link",
                        "sub"),
                vfs.list("/host"));
    }

    @Test
    void dotDotLeavesTheMountIntoTheGuestTreeNotTheHost() {
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.readFile("/host/../outside/secret.txt")));
        assertEquals(
                Errno.NOENT, errnoOf(() -> vfs.readFile("/host/sub/../../outside/secret.txt")));
        assertEquals(
                Errno.NOENT,
                errnoOf(() -> vfs.readFile("/host/../../../../" + outside + "/secret.txt")));
    }

    @Test
    void hostSymlinksAreNeverFollowedOnTheHost() {
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.readFile("/host/out_rel/secret.txt")));
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.readFile("/host/out_abs/secret.txt")));
        assertEquals(Errno.NOENT, errnoOf(() -> vfs.readFile("/host/secret_link")));
        assertEquals(Errno.LOOP, errnoOf(() -> vfs.readFile("/host/loop")));
        Node link = vfs.resolve(vfs.rootChain(), "/host/out_abs", false).node();
        assertEquals(NodeType.SYMLINK, link.type());
        assertEquals(outside.toAbsolutePath().toString(), ((SymlinkNode) link).target());
        // Even when the guest builds the host path inside its own tree, it reads its own file.
        vfs.mkdirs(outside.toString());
        vfs.writeFile(outside + "/secret.txt", utf8("guest's own"));
        assertArrayEquals(utf8("guest's own"), vfs.readFile("/host/out_abs/secret.txt"));
    }

    @Test
    void swappingADirectoryForASymlinkAfterLookupDoesNotEscape() throws Exception {
        DirectoryNode sub = (DirectoryNode) vfs.resolve(vfs.rootChain(), "/host/sub", true).node();
        FileNode x = (FileNode) sub.lookup("x.txt");
        Files.move(mounted.resolve("sub"), mounted.resolve("sub.old"));
        Files.createSymbolicLink(mounted.resolve("sub"), outside);
        Files.writeString(outside.resolve("x.txt"), "OUTSIDE");
        // The walk from the mount root refuses the swapped-in symlink instead of following it.
        assertNotEquals(null, errnoOf(() -> sub.lookup("secret.txt")));
        assertNotEquals(null, errnoOf(() -> x.open(false)));
        assertNotEquals(null, errnoOf(() -> sub.entries()));
        assertNotEquals(null, errnoOf(() -> sub.createFile("planted")));
        assertFalse(Files.exists(outside.resolve("planted")));
    }

    @Test
    void writableMountWritesThroughToTheHost() throws Exception {
        vfs.writeFile("/host/new.txt", utf8("new"));
        assertEquals("new", Files.readString(mounted.resolve("new.txt")));
        vfs.mkdirs("/host/made/deeper");
        assertTrue(Files.isDirectory(mounted.resolve("made/deeper")));
        vfs.rename(
                vfs.resolve(vfs.rootChain(), "/host/new.txt", false),
                vfs.resolve(vfs.rootChain(), "/host/made/moved.txt", false));
        assertEquals("new", Files.readString(mounted.resolve("made/moved.txt")));
        vfs.delete("/host/made/moved.txt");
        vfs.delete("/host/made/deeper");
        assertFalse(Files.exists(mounted.resolve("made/deeper")));
        assertEquals(Errno.NOTEMPTY, errnoOf(() -> vfs.delete("/host/sub")));
    }

    @Test
    void guestCannotCreateOrMoveSymlinksOnHostMounts() {
        DirectoryNode host = (DirectoryNode) vfs.resolve(vfs.rootChain(), "/host", true).node();
        assertEquals(Errno.PERM, errnoOf(() -> host.createSymlink("evil", "/")));
        assertEquals(
                Errno.PERM,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(vfs.rootChain(), "/host/out_abs", false),
                                        vfs.resolve(vfs.rootChain(), "/host/sub2", false))));
        assertTrue(Files.isSymbolicLink(mounted.resolve("out_abs")));
    }

    @Test
    void readOnlyMountRefusesEveryWrite() throws Exception {
        assertArrayEquals(utf8("inside"), vfs.readFile("/ro/inside.txt"));
        assertEquals(Errno.ROFS, errnoOf(() -> vfs.writeFile("/ro/inside.txt", utf8("no"))));
        assertEquals(Errno.ROFS, errnoOf(() -> vfs.writeFile("/ro/new.txt", utf8("no"))));
        assertEquals(Errno.ROFS, errnoOf(() -> vfs.mkdirs("/ro/newdir")));
        assertEquals(Errno.ROFS, errnoOf(() -> vfs.delete("/ro/inside.txt")));
        assertEquals(
                Errno.ROFS,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(vfs.rootChain(), "/ro/inside.txt", false),
                                        vfs.resolve(vfs.rootChain(), "/ro/x", false))));
        FileNode file = (FileNode) vfs.resolve(vfs.rootChain(), "/ro/inside.txt", true).node();
        assertEquals(Errno.ROFS, errnoOf(() -> file.open(true)));
        assertEquals("inside", Files.readString(mounted.resolve("inside.txt")));
        assertFalse(Files.exists(mounted.resolve("new.txt")));
    }

    @Test
    void renamesDoNotCrossMounts() {
        assertEquals(
                Errno.XDEV,
                errnoOf(
                        () ->
                                vfs.rename(
                                        vfs.resolve(vfs.rootChain(), "/host/inside.txt", false),
                                        vfs.resolve(vfs.rootChain(), "/inside.txt", false))));
    }

    @Test
    void specialFilesAreInvisible() throws Exception {
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", mounted.resolve("fifo").toString()).start();
        } catch (java.io.IOException noMkfifo) {
            abort("no mkfifo on this machine to create a FIFO with: " + noMkfifo.getMessage());
            return;
        }
        assumeTrue(
                mkfifo.waitFor() == 0, "mkfifo could not create a FIFO in the mounted directory");
        assertFalse(vfs.exists("/host/fifo"));
        assertFalse(vfs.list("/host").contains("fifo"));
    }

    @Test
    void mountingAMissingDirectoryFails() {
        assertThrows(
                IllegalArgumentException.class,
                () -> vfs.mount(temp.resolve("missing"), "/m", false));
    }
}
