package dev.eryx.internal.state;

import dev.eryx.SandboxFiles;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.InterpreterState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * A sandbox's whole state as bytes: the interpreter (linear memory and globals, as after an
 * execution) and the in-memory filesystem. Host mounts and the shared read-only layers are not part
 * of it; neither are open file descriptors beyond stdio (WASI host state).
 *
 * <p>Format (big-endian), version 1:
 *
 * <pre>
 *   8  magic "ERYXSTAT"
 *   2  format version
 *  32  module identity (SHA-256 of the guest build, {@link ModuleIdentity})
 *   8  length of the compressed payload
 *   4  CRC-32 of the compressed payload
 *   .. payload, DEFLATE (zlib) of:
 *        4 global count, then 8 bytes per global
 *        4 memory pages (64 KiB each), then the memory bytes
 *        4 file count, then per file: UTF path, 4 length, bytes
 *        4 empty-directory count, then per directory: UTF path
 * </pre>
 *
 * Nothing in it depends on the JVM: it is wasm state and file contents only.
 */
public final class SavedState {
    private static final byte[] MAGIC = "ERYXSTAT".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 1;
    private static final int HEADER_BYTES = MAGIC.length + 2 + ModuleIdentity.LENGTH + 8 + 4;
    private static final int PAGE = 65536;

    /**
     * wasm32 memories stop at 4 GiB; a Java array stops just under 2 GiB, which is the real bound.
     */
    private static final int MAX_PAGES = (Integer.MAX_VALUE - PAGE) / PAGE;

    private static final int MAX_GLOBALS = 1 << 16;

    /** Deepest directory the file walk descends into (a symlink loop stops here). */
    private static final int MAX_DEPTH = 64;

    private final InterpreterState interpreter;
    private final Map<String, byte[]> files;
    private final List<String> directories;

    private SavedState(
            InterpreterState interpreter, Map<String, byte[]> files, List<String> directories) {
        this.interpreter = interpreter;
        this.files = Collections.unmodifiableMap(files);
        this.directories = List.copyOf(directories);
    }

    public InterpreterState interpreter() {
        return interpreter;
    }

    /** In-memory files by absolute guest path. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** Directories that were empty (non-empty ones are implied by their files). */
    public List<String> directories() {
        return directories;
    }

    /**
     * Serialises {@code interpreter} with the sandbox's in-memory files, skipping {@code
     * mountPoints}. Call where no execution can run concurrently (the sandbox's guest thread).
     */
    public static byte[] encode(
            InterpreterState interpreter, SandboxFiles sandboxFiles, List<String> mountPoints) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> directories = new ArrayList<>();
        walk(sandboxFiles, new HashSet<>(mountPoints), "/", 0, files, directories);
        try {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream(8 << 20);
            Deflater deflater = new Deflater(Deflater.BEST_SPEED);
            try (DataOutputStream out =
                    new DataOutputStream(new DeflaterOutputStream(compressed, deflater, 1 << 16))) {
                long[] globals = GuestInstance.globalsOf(interpreter);
                out.writeInt(globals.length);
                for (long g : globals) {
                    out.writeLong(g);
                }
                byte[] memory = GuestInstance.memoryOf(interpreter);
                out.writeInt(memory.length / PAGE);
                out.write(memory);
                out.writeInt(files.size());
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    out.writeUTF(f.getKey());
                    out.writeInt(f.getValue().length);
                    out.write(f.getValue());
                }
                out.writeInt(directories.size());
                for (String d : directories) {
                    out.writeUTF(d);
                }
            } finally {
                deflater.end();
            }
            byte[] payload = compressed.toByteArray();
            CRC32 crc = new CRC32();
            crc.update(payload);
            ByteArrayOutputStream whole = new ByteArrayOutputStream(HEADER_BYTES + payload.length);
            DataOutputStream header = new DataOutputStream(whole);
            header.write(MAGIC);
            header.writeShort(FORMAT_VERSION);
            header.write(ModuleIdentity.current());
            header.writeLong(payload.length);
            header.writeInt((int) crc.getValue());
            header.write(payload);
            header.flush();
            return whole.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
    }

    /**
     * Parses and verifies a state.
     *
     * @throws IllegalArgumentException not a saved state, a different format version, a state of
     *     another guest build, or corrupt/truncated bytes
     */
    public static SavedState decode(byte[] state) {
        if (state == null) {
            throw new IllegalArgumentException("saved state is null");
        }
        if (state.length < HEADER_BYTES
                || !Arrays.equals(Arrays.copyOf(state, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException(
                    "not an eryx saved state (bad magic or too short: " + state.length + " bytes)");
        }
        try {
            DataInputStream header =
                    new DataInputStream(
                            new ByteArrayInputStream(
                                    state, MAGIC.length, HEADER_BYTES - MAGIC.length));
            int version = header.readUnsignedShort();
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException(
                        "unsupported saved-state format version "
                                + version
                                + " (this eryx reads version "
                                + FORMAT_VERSION
                                + ")");
            }
            byte[] identity = new byte[ModuleIdentity.LENGTH];
            header.readFully(identity);
            if (!Arrays.equals(identity, ModuleIdentity.current())) {
                throw new IllegalArgumentException(
                        "the saved state was made by a different build of the "
                                + "Python interpreter (python.wasm / runtime); it cannot be restored by this one");
            }
            long payloadLength = header.readLong();
            int expectedCrc = header.readInt();
            if (payloadLength != state.length - HEADER_BYTES) {
                throw new IllegalArgumentException(
                        "saved state is truncated or has trailing bytes: payload of "
                                + (state.length - HEADER_BYTES)
                                + " bytes, header says "
                                + payloadLength);
            }
            CRC32 crc = new CRC32();
            crc.update(state, HEADER_BYTES, state.length - HEADER_BYTES);
            if ((int) crc.getValue() != expectedCrc) {
                throw new IllegalArgumentException("saved state is corrupt (checksum mismatch)");
            }
            return readPayload(state);
        } catch (EOFException | ZipException e) {
            throw new IllegalArgumentException("saved state is corrupt: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("saved state is unreadable: " + e.getMessage(), e);
        }
    }

    private static SavedState readPayload(byte[] state) throws IOException {
        Inflater inflater = new Inflater();
        try (DataInputStream in =
                new DataInputStream(
                        new InflaterInputStream(
                                new ByteArrayInputStream(
                                        state, HEADER_BYTES, state.length - HEADER_BYTES),
                                inflater,
                                1 << 16))) {
            int globalCount = in.readInt();
            if (globalCount < 0 || globalCount > MAX_GLOBALS) {
                throw new IllegalArgumentException(
                        "saved state is corrupt: " + globalCount + " globals");
            }
            long[] globals = new long[globalCount];
            for (int i = 0; i < globalCount; i++) {
                globals[i] = in.readLong();
            }
            int pages = in.readInt();
            if (pages <= 0 || pages > MAX_PAGES) {
                throw new IllegalArgumentException(
                        "saved state is corrupt: memory of " + pages + " pages");
            }
            byte[] memory = new byte[pages * PAGE];
            in.readFully(memory);
            int fileCount = in.readInt();
            if (fileCount < 0) {
                throw new IllegalArgumentException(
                        "saved state is corrupt: " + fileCount + " files");
            }
            Map<String, byte[]> files = new LinkedHashMap<>();
            for (int i = 0; i < fileCount; i++) {
                String path = requirePath(in.readUTF());
                int length = in.readInt();
                if (length < 0) {
                    throw new IllegalArgumentException(
                            "saved state is corrupt: file of " + length + " bytes");
                }
                byte[] content = in.readNBytes(length);
                if (content.length != length) {
                    throw new EOFException("file " + path + " is truncated");
                }
                files.put(path, content);
            }
            int dirCount = in.readInt();
            if (dirCount < 0) {
                throw new IllegalArgumentException(
                        "saved state is corrupt: " + dirCount + " directories");
            }
            List<String> directories = new ArrayList<>();
            for (int i = 0; i < dirCount; i++) {
                directories.add(requirePath(in.readUTF()));
            }
            if (in.read() != -1) {
                throw new IllegalArgumentException("saved state is corrupt: data after the end");
            }
            return new SavedState(GuestInstance.stateOf(memory, globals), files, directories);
        } finally {
            inflater.end();
        }
    }

    private static String requirePath(String path) {
        if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("saved state is corrupt: bad path " + path);
        }
        return path;
    }

    /** Collects the in-memory tree through the host file API; mounted trees are skipped. */
    private static void walk(
            SandboxFiles files,
            Set<String> mountPoints,
            String dir,
            int depth,
            Map<String, byte[]> out,
            List<String> emptyDirs) {
        if (depth > MAX_DEPTH) {
            return;
        }
        List<String> names = files.list(dir);
        if (names.isEmpty() && !dir.equals("/")) {
            emptyDirs.add(dir);
        }
        for (String name : names) {
            String path = dir.equals("/") ? "/" + name : dir + "/" + name;
            if (mountPoints.contains(path)) {
                continue;
            }
            List<String> children;
            try {
                children = files.list(path);
            } catch (UncheckedIOException notADirectory) {
                children = null;
            }
            if (children != null) {
                walk(files, mountPoints, path, depth + 1, out, emptyDirs);
            } else {
                try {
                    out.put(path, files.read(path));
                } catch (UncheckedIOException dangling) {
                    // a symlink to nothing: nothing to save
                }
            }
        }
    }
}
