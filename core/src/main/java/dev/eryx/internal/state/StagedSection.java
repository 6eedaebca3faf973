package dev.eryx.internal.state;

import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.vfs.staged.HostState;
import dev.eryx.internal.vfs.staged.StagedMount;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The STAGED section of a saved state (docs/saved-state.md): one staged mount's overlay, each entry
 * with what it first saw of the host, so a restore re-applies the changes over the host directory
 * and a commit still refuses where the host changed since.
 */
record StagedSection(String guestPath, List<StagedMount.SavedEntry> entries) {
    private static final int KIND_DIRECTORY = 1;
    private static final int KIND_FILE = 2;
    private static final int KIND_WHITEOUT = 3;
    private static final int SHA256_BYTES = 32;

    /** The body for one mount, or null when it has nothing pending. */
    static byte[] encode(String guestPath, List<StagedMount.SavedEntry> entries) {
        if (entries.isEmpty()) {
            return null;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            writeString(out, guestPath);
            out.writeInt(entries.size());
            for (StagedMount.SavedEntry entry : entries) {
                writeString(out, entry.path());
                out.writeByte(
                        entry.type() == null
                                ? KIND_WHITEOUT
                                : entry.type() == NodeType.DIRECTORY ? KIND_DIRECTORY : KIND_FILE);
                HostState first = entry.baseline();
                out.writeByte(typeCode(first.type()));
                out.writeLong(first.size());
                out.writeLong(first.modifyTimeNanos());
                if (first.sha256() == null) {
                    out.writeByte(0);
                } else {
                    out.writeByte(1);
                    out.write(HexFormat.of().parseHex(first.sha256()));
                }
                if (entry.type() == NodeType.REGULAR_FILE) {
                    out.writeInt(entry.content().length);
                    out.write(entry.content());
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory
        }
    }

    /**
     * Reads one section of {@code length} bytes; file contents go through {@code charge} (the quota
     * check shared with the in-memory tree).
     */
    static StagedSection decode(
            DataInputStream in, long length, long maxEntries, LongConsumer charge)
            throws IOException {
        long[] read = {0};
        String guestPath = readString(in, read, length, "mount path");
        if (!guestPath.startsWith("/") || !Vfs.normalizeAbsolute(guestPath).equals(guestPath)) {
            throw corrupt("a staged mount at a bad path");
        }
        int count = in.readInt();
        read[0] += 4;
        if (count <= 0 || count > maxEntries) {
            throw corrupt("a staged section of " + count + " entries");
        }
        List<StagedMount.SavedEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String path = readString(in, read, length, "staged path");
            int kind = in.readUnsignedByte();
            NodeType firstType = typeOf(in.readUnsignedByte());
            long size = in.readLong();
            long mtime = in.readLong();
            int hashed = in.readUnsignedByte();
            read[0] += 1 + 1 + 8 + 8 + 1;
            String sha = null;
            if (hashed == 1) {
                byte[] digest = new byte[SHA256_BYTES];
                in.readFully(digest);
                read[0] += SHA256_BYTES;
                sha = HexFormat.of().formatHex(digest);
            } else if (hashed != 0) {
                throw corrupt("a staged entry with hash flag " + hashed);
            }
            HostState first = new HostState(firstType, size, mtime, sha);
            byte[] content = null;
            NodeType type;
            switch (kind) {
                case KIND_DIRECTORY -> type = NodeType.DIRECTORY;
                case KIND_WHITEOUT -> type = null;
                case KIND_FILE -> {
                    type = NodeType.REGULAR_FILE;
                    int contentLength = in.readInt();
                    read[0] += 4;
                    if (contentLength < 0 || read[0] + contentLength > length) {
                        throw corrupt("a staged file of " + contentLength + " bytes");
                    }
                    charge.accept(contentLength);
                    content = new byte[contentLength];
                    in.readFully(content);
                    read[0] += contentLength;
                }
                default -> throw corrupt("a staged entry of unknown kind " + kind);
            }
            if (read[0] > length) {
                throw corrupt("staged section longer than its " + length + " bytes");
            }
            entries.add(new StagedMount.SavedEntry(path, type, content, first));
        }
        if (read[0] != length) {
            throw corrupt("staged section of " + length + " bytes, expected " + read[0]);
        }
        return new StagedSection(guestPath, entries);
    }

    private static int typeCode(NodeType type) {
        if (type == null) {
            return 0;
        }
        return switch (type) {
            case DIRECTORY -> 1;
            case REGULAR_FILE -> 2;
            case SYMLINK -> 3;
        };
    }

    private static NodeType typeOf(int code) {
        return switch (code) {
            case 0 -> null;
            case 1 -> NodeType.DIRECTORY;
            case 2 -> NodeType.REGULAR_FILE;
            case 3 -> NodeType.SYMLINK;
            default -> throw corrupt("a staged entry first saw an unknown type " + code);
        };
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in, long[] read, long length, String what)
            throws IOException {
        int size = in.readUnsignedShort();
        read[0] += 2 + size;
        if (size == 0 || size > Vfs.MAX_PATH_BYTES || read[0] > length) {
            throw corrupt("a " + what + " of " + size + " bytes");
        }
        byte[] bytes = in.readNBytes(size);
        if (bytes.length != size) {
            throw new java.io.EOFException();
        }
        try {
            String value =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
            if (value.indexOf('\0') >= 0) {
                throw corrupt("a " + what + " with NUL");
            }
            return value;
        } catch (CharacterCodingException e) {
            throw corrupt("a " + what + " that is not UTF-8");
        }
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("saved state is corrupt: " + what);
    }
}
