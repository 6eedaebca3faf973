package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest reaching host files it was not given. Every test mounts {@code host/mounted} read-write
 * at {@code /data} and {@code host/readonly} read-only at {@code /ro}, with a secret next to them
 * on the host and symlinks planted by the host inside the mount pointing at it. After each attack
 * the host tree outside the mounts must be byte-for-byte unchanged, the attacked sandbox usable and
 * a bystander sandbox correct.
 */
class HostFilesystemAttacksTest {
    private static final String SECRET = "host secret: do not leak\n";

    @TempDir Path host;
    private Path secret;
    private Map<String, String> outsideBefore;
    private Bystander bystander;
    private Sandbox sandbox;

    @BeforeEach
    void plantHostTree() throws IOException {
        secret = Files.writeString(host.resolve("secret.txt"), SECRET);
        Path mounted = host.resolve("mounted");
        Files.createDirectories(mounted.resolve("sub"));
        Files.writeString(host.resolve("mounted/inside.txt"), "inside\n");
        Files.createSymbolicLink(host.resolve("mounted/planted-absolute"), secret);
        Files.createSymbolicLink(
                host.resolve("mounted/planted-relative"), Path.of("../secret.txt"));
        Files.createSymbolicLink(host.resolve("mounted/planted-dir"), host);
        Files.createSymbolicLink(host.resolve("mounted/sub/planted-up"), Path.of("../.."));
        Path readonly = Files.createDirectories(host.resolve("readonly"));
        Files.writeString(readonly.resolve("fixed.txt"), "fixed\n");
        outsideBefore = outsideMount();
        bystander = new Bystander();
        sandbox =
                Sandbox.builder()
                        .mount(mounted, "/data", false)
                        .mount(readonly, "/ro", true)
                        .build();
    }

    @AfterEach
    void hostAndNeighboursAreIntact() throws IOException {
        try {
            assertEquals(outsideBefore, outsideMount(), "host files outside the read-write mount");
            assertEquals(SECRET, Files.readString(secret));
            assertTrue(sandbox.isUsable(), "the attacked sandbox stays usable");
            assertEquals(
                    "inside\n",
                    sandbox.execute("result = open('/data/inside.txt').read()").result().asText());
            bystander.assertIntact();
        } finally {
            sandbox.close();
            bystander.close();
        }
    }

    /** Every host path outside {@code mounted/} with its content (symlinks by their target). */
    private Map<String, String> outsideMount() throws IOException {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(host)) {
            paths.filter(p -> !p.startsWith(host.resolve("mounted")) || Files.isSymbolicLink(p))
                    .forEach(
                            p -> {
                                try {
                                    String key = host.relativize(p).toString();
                                    if (Files.isSymbolicLink(p)) {
                                        tree.put(key, "-> " + Files.readSymbolicLink(p));
                                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                                        tree.put(
                                                key,
                                                new String(
                                                        Files.readAllBytes(p),
                                                        StandardCharsets.UTF_8));
                                    } else {
                                        tree.put(key, "<dir>");
                                    }
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        }
        return tree;
    }

    private String attempt(String statements) {
        return Attempt.outcome(sandbox, statements);
    }

    @Test
    void readsEtcPasswd() {
        bystander.alongside(
                () -> {
                    assertEquals("FileNotFoundError ENOENT", attempt("open('/etc/passwd').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT", attempt("open('/etc/hostname').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT", attempt("import os\nos.listdir('/etc')"));
                    // The whole namespace: the mounts, the writable /tmp and the stdlib under /usr,
                    // nothing else.
                    assertEquals(
                            "[\"data\",\"ro\",\"tmp\",\"usr\"]",
                            sandbox.execute("import os\nresult = sorted(os.listdir('/'))")
                                    .result()
                                    .toString());
                });
    }

    @Test
    void readsProcSelf() {
        bystander.alongside(
                () -> {
                    for (String path :
                            new String[] {
                                "/proc/self/environ",
                                "/proc/self/maps",
                                "/proc/self/mem",
                                "/proc/self/cmdline",
                                "/proc/1/root/etc/passwd",
                                "/dev/mem",
                                "/sys/kernel/hostname"
                            }) {
                        assertEquals(
                                "FileNotFoundError ENOENT",
                                attempt("open('" + path + "', 'rb').read()"),
                                path);
                    }
                    assertEquals(
                            "FileNotFoundError ENOENT", attempt("import os\nos.listdir('/proc')"));
                });
    }

    @Test
    void escapesMountWithDotDot() {
        bystander.alongside(
                () -> {
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('/data/../secret.txt').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('/data/sub/../../secret.txt').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('/data/" + "../".repeat(40) + "secret.txt').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt(
                                    "import os\nos.chdir('/data/sub')\nopen('../../secret.txt').read()"));
                    // Writing "past" the mount lands in the sandbox's own root, never in the host
                    // directory.
                    assertEquals("ok", attempt("open('/data/../secret.txt', 'w').write('guest')"));
                    assertEquals(
                            "guest",
                            sandbox.execute("result = open('/secret.txt').read()")
                                    .result()
                                    .asText());
                    // ".." of the mount is the sandbox's own root, not the host directory holding
                    // the mount.
                    assertEquals(
                            "[\"data\",\"ro\",\"secret.txt\",\"tmp\",\"usr\"]",
                            sandbox.execute(
                                            "import os\nos.chdir('/')\nresult = sorted(os.listdir('/data/sub/../..'))")
                                    .result()
                                    .toString());
                });
    }

    @Test
    void escapesMountWithSymlink() {
        String hostSecret = secret.toString();
        bystander.alongside(
                () -> {
                    // Symlinks the host planted inside the mount resolve in the guest's namespace,
                    // never on the
                    // host: their targets are not there.
                    String[] planted = {
                        "planted-absolute",
                        "planted-relative",
                        "planted-dir/secret.txt",
                        "sub/planted-up/secret.txt"
                    };
                    for (String link : planted) {
                        assertEquals(
                                "FileNotFoundError ENOENT",
                                attempt("open('/data/" + link + "').read()"),
                                link);
                    }
                    // Symlinks in the in-memory filesystem resolve in the guest's namespace only.
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt(
                                    "import os\nos.symlink('"
                                            + hostSecret
                                            + "', '/tmp/abs')\n"
                                            + "open('/tmp/abs').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt(
                                    "import os\nos.symlink('/data/..', '/tmp/up')\n"
                                            + "open('/tmp/up/secret.txt').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('/data/planted-absolute', 'w').write('pwned')"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('/data/planted-dir/secret.txt', 'w').write('pwned')"));
                    // "../secret.txt" from /data is the guest's /secret.txt: the write lands in its
                    // own memory.
                    assertEquals(
                            "ok", attempt("open('/data/planted-relative', 'w').write('pwned')"));
                    assertEquals(
                            "ok",
                            attempt("open('/data/sub/planted-up/secret.txt', 'a').write('!')"));
                    assertEquals(
                            "pwned!",
                            sandbox.execute("result = open('/secret.txt').read()")
                                    .result()
                                    .asText());
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("import os\nos.listdir('/data/planted-dir')"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("import os\nos.stat('/data/planted-absolute')"));
                    assertEquals(
                            "ok",
                            attempt("import os\nassert os.path.islink('/data/planted-absolute')"));
                    // The guest cannot create symlinks inside a host mount at all.
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.symlink('" + hostSecret + "', '/data/mine')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.symlink('../secret.txt', '/data/mine')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.symlink('..', '/data/sub/up')"));
                    // Replacing or moving a planted link does not reach its target either.
                    assertEquals(
                            "PermissionError EPERM",
                            attempt(
                                    "import os\nos.rename('/data/planted-absolute', '/data/moved')"));
                });
    }

    @Test
    void escapesMountWithHardLink() {
        bystander.alongside(
                () -> {
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.link('/data/inside.txt', '/data/alias')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.link('/data/planted-absolute', '/data/alias')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.link('/data/../secret.txt', '/data/alias')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import os\nos.link('/ro/fixed.txt', '/data/alias')"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt(
                                    "open('/tmp/t', 'w').close()\nimport os\nos.link('/tmp/t', '/data/alias')"));
                });
    }

    @Test
    void writesThroughPlantedHardLink() throws IOException {
        // A careless host left a second name for its secret inside the read-write mount.
        Files.createLink(host.resolve("mounted/linked.txt"), secret);
        FileTime secretTime = Files.getLastModifiedTime(secret);
        bystander.alongside(
                () -> {
                    // Every way of modifying it is refused, checked after opening (before any
                    // truncation).
                    for (String write :
                            new String[] {
                                "open('/data/linked.txt', 'w')",
                                "open('/data/linked.txt', 'a').write('pwned')",
                                "open('/data/linked.txt', 'r+').write('pwned')",
                                "import os\nos.close(os.open('/data/linked.txt', os.O_WRONLY))",
                                "import os\nos.truncate('/data/linked.txt', 0)",
                                "import os\nos.utime('/data/linked.txt', (0, 0))",
                                "import os\nos.utime('/data/linked.txt')"
                            }) {
                        assertEquals("PermissionError EACCES", attempt(write), write);
                    }
                    // Reading is allowed: the host handed the file over (docs/security.md).
                    assertEquals(
                            SECRET,
                            sandbox.execute("result = open('/data/linked.txt').read()")
                                    .result()
                                    .asText());
                    // Removing the name inside the mount leaves the host's file alone; files with
                    // one link stay writable.
                    assertEquals("ok", attempt("import os\nos.remove('/data/linked.txt')"));
                    assertEquals("ok", attempt("open('/data/new.txt', 'w').write('mine')"));
                    assertEquals("ok", attempt("open('/data/new.txt', 'a').write('!')"));
                    assertEquals("ok", attempt("import os\nos.utime('/data/new.txt', (0, 0))"));
                });
        assertEquals(secretTime, Files.getLastModifiedTime(secret));
        assertEquals("mine!", Files.readString(host.resolve("mounted/new.txt")));
    }

    @Test
    void escapesWithAbsolutePath() {
        String hostSecret = secret.toString();
        String hostInside = host.resolve("mounted/inside.txt").toString();
        bystander.alongside(
                () -> {
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('" + hostSecret + "').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('" + hostInside + "').read()"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("open('" + hostSecret + "', 'w').write('pwned')"));
                    assertEquals(
                            "FileNotFoundError ENOENT",
                            attempt("import os\nos.listdir('" + host + "')"));
                    // Moving a file out of the mount is refused; the read-only mount refuses every
                    // write.
                    assertEquals(
                            "OSError EXDEV",
                            attempt("import os\nos.rename('/data/inside.txt', '/tmp/stolen')"));
                    assertEquals(
                            "OSError EROFS", attempt("open('/ro/fixed.txt', 'w').write('pwned')"));
                    assertEquals(
                            "OSError EROFS", attempt("open('/ro/new.txt', 'w').write('pwned')"));
                    assertEquals("OSError EROFS", attempt("import os\nos.remove('/ro/fixed.txt')"));
                });
    }
}
