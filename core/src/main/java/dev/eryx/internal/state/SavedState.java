package dev.eryx.internal.state;

import dev.eryx.ResourceLimits;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.packages.PackageIdentity;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.TreeEntry;
import dev.eryx.internal.vfs.Vfs;
import dev.eryx.internal.vfs.staged.StagedMount;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A sandbox's whole state as bytes: the interpreter (linear memory and globals, as after an
 * execution), the in-memory filesystem (directories, files and symlinks, with their times) and the
 * identities of its packages (which a restore must match). Host mounts and the shared read-only
 * layers (the packages' files too) are not part of it; neither are open file descriptors beyond
 * stdio (WASI host state). Nothing in it depends on the JVM.
 *
 * <p>The byte format, version {@value #FORMAT_VERSION}, is specified in {@code docs/saved-state.md}
 * (the one description of it; this class is its only reader and writer). In short: a fixed header
 * (magic, version, flags, module identity, payload length, CRC-32), a zlib payload of tagged
 * sections ({@code id, flags, length, body}; an unknown section is skipped unless flagged
 * required), and, when signed, an HMAC-SHA256 trailer over everything before it.
 *
 * <p>Decoding trusts nothing it reads: every count and size is checked against the restoring
 * sandbox's limits before anything is allocated, inflation stops at a bound derived from those
 * limits, and a claim the compressed bytes cannot back is refused.
 */
public final class SavedState {
    static final byte[] MAGIC = "ERYXSTAT".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 2;

    /** magic, version, flags, module identity, payload length, CRC-32. */
    static final int HEADER_BYTES = MAGIC.length + 2 + 2 + ModuleIdentity.LENGTH + 8 + 4;

    static final int MAC_BYTES = 32;

    /** Header flag: an HMAC-SHA256 trailer follows the payload. */
    static final int FLAG_SIGNED = 1;

    static final int SECTION_END = 0;
    static final int SECTION_INTERPRETER = 1;
    static final int SECTION_ENTRY = 2;
    static final int SECTION_PACKAGES = 3;
    static final int SECTION_STAGED = 4;
    static final int SECTION_SECRETS = 5;

    /** Section flag: a reader that does not know the section must refuse the state. */
    static final int SECTION_REQUIRED = 1;

    /** Shortest key {@code stateKey} accepts: HMAC-SHA256 wants at least 128 bits. */
    public static final int MIN_KEY_BYTES = 16;

    private static final int ENTRY_DIRECTORY = 1;
    private static final int ENTRY_FILE = 2;
    private static final int ENTRY_SYMLINK = 3;

    private static final int PAGE = 65536;

    /**
     * wasm32 memories stop at 4 GiB; a Java array stops just under 2 GiB, which is the real bound.
     */
    private static final int MAX_PAGES = (Integer.MAX_VALUE - PAGE) / PAGE;

    private static final int MAX_GLOBALS = 1 << 16;
    private static final int MAX_NAME_BYTES = Vfs.MAX_NAME_BYTES;
    private static final int MAX_TARGET_BYTES = Vfs.MAX_PATH_BYTES;

    /** Largest entry record without its file content: section header, fixed fields, name. */
    private static final long ENTRY_OVERHEAD = 10 + 4 + 1 + 2 + MAX_NAME_BYTES + 16 + 4;

    /**
     * Most distributions a PACKAGES section lists, and the longest of its strings (versions may
     * have 512 characters): far above any real site-packages.
     */
    static final int MAX_PACKAGES = 1024;

    static final int MAX_PACKAGE_STRING_BYTES = 1024;

    /** Largest PACKAGES section: count, then three length-prefixed strings per package. */
    private static final long MAX_PACKAGES_SECTION =
            10 + 2 + (long) MAX_PACKAGES * 3 * (2 + MAX_PACKAGE_STRING_BYTES);

    /** Inflated bytes allowed beyond memory, files and entries (headers, future sections). */
    private static final long SLACK_BYTES = 1 << 20;

    /** zlib cannot expand data more than 1032:1; a payload claiming more is lying. */
    private static final long MAX_INFLATE_RATIO = 1032;

    /**
     * What a decode may allocate: the restoring sandbox's caps and the module's global count
     * (negative: not checked, for the build's own image only).
     */
    public record Limits(long maxMemoryBytes, long maxVfsBytes, int globalCount) {
        /** The build-time default image: our own output, checked by its identity and checksum. */
        public static final Limits TRUSTED =
                new Limits(ResourceLimits.UNLIMITED, ResourceLimits.UNLIMITED, -1);

        public Limits {
            if (maxMemoryBytes < 0 || maxVfsBytes < 0) {
                throw new IllegalArgumentException("limits must be >= 0");
            }
        }

        public static Limits of(ResourceLimits limits, int globalCount) {
            return new Limits(limits.maxMemoryBytes(), limits.maxVfsBytes(), globalCount);
        }

        /** Inflated payload bytes a state within these limits can need. */
        long inflateBound() {
            long entries = Vfs.maxEntries(maxVfsBytes);
            long bound = saturatedAdd(maxMemoryBytes, maxVfsBytes);
            bound = saturatedAdd(bound, saturatedMultiply(entries, ENTRY_OVERHEAD));
            bound = saturatedAdd(bound, (long) MAX_GLOBALS * 8);
            bound = saturatedAdd(bound, MAX_PACKAGES_SECTION);
            return saturatedAdd(bound, SLACK_BYTES);
        }
    }

    private final InterpreterState interpreter;
    private final List<TreeEntry> tree;
    private final List<PackageIdentity> packages;
    private final Map<String, String> secretPlaceholders;
    private final Map<String, List<StagedMount.SavedEntry>> staged;
    private final boolean signed;

    private SavedState(
            InterpreterState interpreter,
            List<TreeEntry> tree,
            List<PackageIdentity> packages,
            Map<String, String> secretPlaceholders,
            Map<String, List<StagedMount.SavedEntry>> staged,
            boolean signed) {
        this.interpreter = interpreter;
        this.tree = List.copyOf(tree);
        this.packages = List.copyOf(packages);
        this.secretPlaceholders = secretPlaceholders;
        this.staged = Map.copyOf(staged);
        this.signed = signed;
    }

    /**
     * The pending changes of the saved sandbox's staged mounts (STAGED sections), by the mount's
     * normalized guest path.
     */
    public Map<String, List<StagedMount.SavedEntry>> staged() {
        return staged;
    }

    public InterpreterState interpreter() {
        return interpreter;
    }

    /** The in-memory filesystem, as {@link Vfs#restoreMemoryTree} takes it. */
    public List<TreeEntry> tree() {
        return tree;
    }

    /**
     * The packages the saved sandbox had (its PACKAGES section, in order); empty when it had none.
     */
    public List<PackageIdentity> packages() {
        return packages;
    }

    /**
     * The placeholders of the saved sandbox's secrets by name (its SECRETS section; never the
     * values), which the restoring host re-binds; empty when it had none.
     */
    public Map<String, String> secretPlaceholders() {
        return secretPlaceholders;
    }

    /** Whether the state carried a signature (verified only when decoded with a key). */
    public boolean signed() {
        return signed;
    }

    // ================================================================== encoding

    /**
     * Serialises {@code interpreter} with the in-memory tree of {@code vfs} (mounts skipped,
     * symlinks saved as symlinks), signed with {@code key} when it is not null. Call where no
     * execution can run concurrently (the sandbox's guest thread).
     */
    public static byte[] encode(InterpreterState interpreter, Vfs vfs, byte[] key) {
        return encode(interpreter, vfs, key, List.of());
    }

    /**
     * As {@link #encode(InterpreterState, Vfs, byte[])}, recording the sandbox's {@code packages}
     * (a PACKAGES section, written only when there are some), which a restore must match.
     */
    public static byte[] encode(
            InterpreterState interpreter, Vfs vfs, byte[] key, List<PackageIdentity> packages) {
        return encode(interpreter, vfs, key, packages, Map.of());
    }

    /**
     * As {@link #encode(InterpreterState, Vfs, byte[], List)}, recording the placeholders of the
     * sandbox's secrets by name (a SECRETS section, written only when there are some).
     */
    public static byte[] encode(
            InterpreterState interpreter,
            Vfs vfs,
            byte[] key,
            List<PackageIdentity> packages,
            Map<String, String> secretPlaceholders) {
        if (key != null) {
            checkKey(key);
        }
        byte[] packagesBody = packagesBody(packages);
        byte[] secretsBody = SecretsSection.body(secretPlaceholders);
        try {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream(8 << 20);
            Deflater deflater = new Deflater(Deflater.BEST_SPEED);
            try (DataOutputStream out =
                    new DataOutputStream(new DeflaterOutputStream(compressed, deflater, 1 << 16))) {
                long[] globals = GuestInstance.globalsOf(interpreter);
                byte[] memory = GuestInstance.memoryOf(interpreter);
                writeSectionHeader(
                        out,
                        SECTION_INTERPRETER,
                        SECTION_REQUIRED,
                        4 + 8L * globals.length + 4 + memory.length);
                out.writeInt(globals.length);
                for (long g : globals) {
                    out.writeLong(g);
                }
                out.writeInt(memory.length / PAGE);
                out.write(memory);
                if (packagesBody != null) {
                    writeSectionHeader(
                            out, SECTION_PACKAGES, SECTION_REQUIRED, packagesBody.length);
                    out.write(packagesBody);
                }
                if (secretsBody != null) {
                    writeSectionHeader(out, SECTION_SECRETS, SECTION_REQUIRED, secretsBody.length);
                    out.write(secretsBody);
                }
                vfs.walkMemoryTree(entry -> writeEntry(out, entry));
                for (Map.Entry<String, StagedMount> mount : vfs.stagedMounts().entrySet()) {
                    byte[] body = StagedSection.encode(mount.getKey(), mount.getValue().save());
                    if (body != null) {
                        writeSectionHeader(out, SECTION_STAGED, SECTION_REQUIRED, body.length);
                        out.write(body);
                    }
                }
                writeSectionHeader(out, SECTION_END, SECTION_REQUIRED, 0);
            } finally {
                deflater.end();
            }
            byte[] payload = compressed.toByteArray();
            CRC32 crc = new CRC32();
            crc.update(payload);
            int total = HEADER_BYTES + payload.length + (key != null ? MAC_BYTES : 0);
            ByteArrayOutputStream whole = new ByteArrayOutputStream(total);
            DataOutputStream header = new DataOutputStream(whole);
            header.write(MAGIC);
            header.writeShort(FORMAT_VERSION);
            header.writeShort(key != null ? FLAG_SIGNED : 0);
            header.write(ModuleIdentity.current());
            header.writeLong(payload.length);
            header.writeInt((int) crc.getValue());
            header.write(payload);
            header.flush();
            if (key != null) {
                byte[] signedPart = whole.toByteArray();
                whole.write(mac(key, signedPart, signedPart.length));
            }
            return whole.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
    }

    /** The PACKAGES section's body, or null for none. */
    private static byte[] packagesBody(List<PackageIdentity> packages) {
        if (packages.isEmpty()) {
            return null;
        }
        if (packages.size() > MAX_PACKAGES) {
            throw new IllegalStateException(
                    "a saved state records at most " + MAX_PACKAGES + " packages");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        try {
            out.writeShort(packages.size());
            for (PackageIdentity identity : packages) {
                writePackageString(out, identity.name());
                writePackageString(out, identity.version());
                writePackageString(out, identity.sha256());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
        return body.toByteArray();
    }

    private static void writePackageString(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > MAX_PACKAGE_STRING_BYTES) {
            // PackageSet validates names and versions far below this: a bug if it happens.
            throw new IllegalStateException(
                    "a package name, version or digest of " + bytes.length + " bytes: " + value);
        }
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static void writeSectionHeader(DataOutputStream out, int id, int flags, long length)
            throws IOException {
        out.writeByte(id);
        out.writeByte(flags);
        out.writeLong(length);
    }

    private static void writeEntry(DataOutputStream out, TreeEntry entry) {
        try {
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            byte[] target =
                    entry.type() == NodeType.SYMLINK
                            ? entry.target().getBytes(StandardCharsets.UTF_8)
                            : null;
            long length = 4 + 1 + 2 + name.length + 16;
            if (entry.type() == NodeType.REGULAR_FILE) {
                length += 4 + entry.content().length;
            } else if (target != null) {
                length += 2 + target.length;
            }
            writeSectionHeader(out, SECTION_ENTRY, SECTION_REQUIRED, length);
            out.writeInt(entry.parent());
            out.writeByte(
                    switch (entry.type()) {
                        case DIRECTORY -> ENTRY_DIRECTORY;
                        case REGULAR_FILE -> ENTRY_FILE;
                        case SYMLINK -> ENTRY_SYMLINK;
                    });
            out.writeShort(name.length);
            out.write(name);
            out.writeLong(entry.accessTimeNanos());
            out.writeLong(entry.modifyTimeNanos());
            if (entry.type() == NodeType.REGULAR_FILE) {
                out.writeInt(entry.content().length);
                out.write(entry.content());
            } else if (target != null) {
                out.writeShort(target.length);
                out.write(target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ================================================================== decoding

    /**
     * Parses and verifies a state: the entry point for hostile bytes (and for fuzzing). Allocates
     * at most what {@code limits} allow, whatever the bytes claim.
     *
     * @param key the {@code stateKey} of the restoring builder: with one, an unsigned state or a
     *     signature that does not match is refused; without one, a signature is not checked
     * @throws IllegalArgumentException not a saved state, an unsupported format version, a state of
     *     another guest build, corrupt, truncated or oversized bytes, or a refused signature
     */
    public static SavedState decode(byte[] state, Limits limits, byte[] key) {
        if (state == null) {
            throw new IllegalArgumentException("saved state is null");
        }
        if (limits == null) {
            throw new IllegalArgumentException("limits is null");
        }
        if (key != null) {
            checkKey(key);
        }
        if (state.length < MAGIC.length + 2
                || !Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException(
                    "not an eryx saved state (bad magic or too short: " + state.length + " bytes)");
        }
        ByteBuffer header = ByteBuffer.wrap(state); // big-endian
        int version = Short.toUnsignedInt(header.getShort(MAGIC.length));
        if (version == 1) {
            throw new IllegalArgumentException(
                    "saved state format 1 is no longer supported; save it again with this version"
                            + " of eryx (it writes format "
                            + FORMAT_VERSION
                            + ")");
        }
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException(
                    "unsupported saved-state format version "
                            + version
                            + " (this eryx reads version "
                            + FORMAT_VERSION
                            + ")");
        }
        if (state.length < HEADER_BYTES) {
            throw new IllegalArgumentException(
                    "saved state is truncated: "
                            + state.length
                            + " bytes, shorter than its header");
        }
        int flags = Short.toUnsignedInt(header.getShort(MAGIC.length + 2));
        if ((flags & ~FLAG_SIGNED) != 0) {
            throw new IllegalArgumentException(
                    "saved state has unknown header flags 0x" + Integer.toHexString(flags));
        }
        boolean signed = (flags & FLAG_SIGNED) != 0;
        int identityAt = MAGIC.length + 4;
        if (!Arrays.equals(
                state,
                identityAt,
                identityAt + ModuleIdentity.LENGTH,
                ModuleIdentity.current(),
                0,
                ModuleIdentity.LENGTH)) {
            throw new IllegalArgumentException(
                    "the saved state was made by a different build of the "
                            + "Python interpreter (python.wasm / runtime); it cannot be restored by this one");
        }
        long payloadLength = header.getLong(identityAt + ModuleIdentity.LENGTH);
        int expectedCrc = header.getInt(identityAt + ModuleIdentity.LENGTH + 8);
        long actual = (long) state.length - HEADER_BYTES - (signed ? MAC_BYTES : 0);
        if (payloadLength != actual) {
            throw new IllegalArgumentException(
                    "saved state is truncated or has trailing bytes: payload of "
                            + actual
                            + " bytes, header says "
                            + payloadLength);
        }
        int payloadBytes = (int) payloadLength;
        CRC32 crc = new CRC32();
        crc.update(state, HEADER_BYTES, payloadBytes);
        if ((int) crc.getValue() != expectedCrc) {
            throw new IllegalArgumentException("saved state is corrupt (checksum mismatch)");
        }
        if (key != null) {
            if (!signed) {
                throw new IllegalArgumentException(
                        "saved state is not signed, and this builder has a stateKey: refused");
            }
            int signedLength = HEADER_BYTES + payloadBytes;
            byte[] expected = mac(key, state, signedLength);
            byte[] found = Arrays.copyOfRange(state, signedLength, signedLength + MAC_BYTES);
            if (!MessageDigest.isEqual(expected, found)) { // constant time
                throw new IllegalArgumentException(
                        "saved state signature does not match the stateKey"
                                + " (signed with another key, or altered): refused");
            }
        }
        try {
            return readPayload(state, payloadBytes, limits, signed);
        } catch (EOFException e) {
            throw new IllegalArgumentException(
                    "saved state is corrupt: its payload ends too early", e);
        } catch (ZipException e) {
            throw new IllegalArgumentException("saved state is corrupt: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("saved state is unreadable: " + e.getMessage(), e);
        }
    }

    private static SavedState readPayload(
            byte[] state, int payloadBytes, Limits limits, boolean signed) throws IOException {
        ByteArrayInputStream source = new ByteArrayInputStream(state, HEADER_BYTES, payloadBytes);
        Inflater inflater = new Inflater();
        long bound = limits.inflateBound();
        long plausible =
                saturatedAdd(
                        saturatedMultiply(payloadBytes, MAX_INFLATE_RATIO), (long) PAGE + 1024);
        try (DataInputStream in =
                new DataInputStream(
                        new Bounded(new InflaterInputStream(source, inflater, 1 << 16), bound))) {
            Payload payload = new Payload(limits);
            long claimed = 0;
            while (true) {
                int id = in.readUnsignedByte();
                int sectionFlags = in.readUnsignedByte();
                long length = in.readLong();
                if ((sectionFlags & ~SECTION_REQUIRED) != 0) {
                    throw corrupt("section " + id + " has unknown flags " + sectionFlags);
                }
                claimed = saturatedAdd(claimed, length);
                if (length < 0 || claimed > bound) {
                    throw new IllegalArgumentException(
                            "saved state is larger than this sandbox's limits allow (over "
                                    + bound
                                    + " bytes: maxMemoryBytes + maxVfsBytes + overhead)");
                }
                if (claimed > plausible) {
                    throw corrupt(
                            "its sections claim "
                                    + claimed
                                    + " bytes, more than "
                                    + payloadBytes
                                    + " compressed bytes can hold");
                }
                if (id == SECTION_END) {
                    if (length != 0) {
                        throw corrupt("end section of " + length + " bytes");
                    }
                    break;
                }
                switch (id) {
                    case SECTION_INTERPRETER -> payload.interpreter(in, length);
                    case SECTION_ENTRY -> payload.entry(in, length);
                    case SECTION_PACKAGES -> payload.packages(in, length);
                    case SECTION_STAGED -> payload.staged(in, length);
                    case SECTION_SECRETS -> payload.secrets(in, length);
                    default -> {
                        if ((sectionFlags & SECTION_REQUIRED) != 0) {
                            throw new IllegalArgumentException(
                                    "saved state needs a feature this eryx does not have"
                                            + " (required section "
                                            + id
                                            + ")");
                        }
                        in.skipNBytes(length); // bounded by the inflation bound
                    }
                }
            }
            if (in.read() != -1 || inflater.getRemaining() != 0 || source.available() != 0) {
                throw corrupt("data after the end");
            }
            return payload.build(signed);
        } finally {
            inflater.end();
        }
    }

    /** Sections read so far, checked as they come. */
    private static final class Payload {
        private final Limits limits;
        private final long maxEntries;
        private InterpreterState interpreter;
        private final List<TreeEntry> entries = new ArrayList<>();
        private List<PackageIdentity> packages;
        private Map<String, String> secrets;
        private final Map<String, List<StagedMount.SavedEntry>> staged = new HashMap<>();

        /** Which entries (1-based; 0 is the root) are directories. */
        private final BitSet isDirectory = new BitSet();

        private final Set<String> names = new HashSet<>();
        private long vfsBytes;

        Payload(Limits limits) {
            this.limits = limits;
            this.maxEntries = Vfs.maxEntries(limits.maxVfsBytes());
            isDirectory.set(0);
        }

        void interpreter(DataInputStream in, long length) throws IOException {
            if (interpreter != null) {
                throw corrupt("two interpreter sections");
            }
            int globalCount = in.readInt();
            if (globalCount < 0
                    || globalCount > MAX_GLOBALS
                    || (limits.globalCount() >= 0 && globalCount != limits.globalCount())) {
                throw corrupt(
                        globalCount + " globals (the module has " + limits.globalCount() + ")");
            }
            long[] globals = new long[globalCount];
            for (int i = 0; i < globalCount; i++) {
                globals[i] = in.readLong();
            }
            int pages = in.readInt();
            if (pages <= 0 || pages > MAX_PAGES) {
                throw corrupt("memory of " + pages + " pages");
            }
            long memoryBytes = (long) pages * PAGE;
            if (memoryBytes > limits.maxMemoryBytes()) {
                throw new IllegalArgumentException(
                        "the saved state needs "
                                + memoryBytes
                                + " bytes of memory, more than this sandbox's maxMemoryBytes ("
                                + limits.maxMemoryBytes()
                                + ")");
            }
            if (length != 4 + 8L * globalCount + 4 + memoryBytes) {
                throw corrupt("interpreter section of " + length + " bytes");
            }
            byte[] memory = new byte[(int) memoryBytes];
            in.readFully(memory);
            interpreter = GuestInstance.stateOf(memory, globals);
        }

        void packages(DataInputStream in, long length) throws IOException {
            if (packages != null) {
                throw corrupt("two packages sections");
            }
            int count = in.readUnsignedShort();
            if (count == 0 || count > MAX_PACKAGES) {
                throw corrupt("a packages section of " + count + " packages");
            }
            long read = 2;
            List<PackageIdentity> identities = new ArrayList<>(count);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < count; i++) {
                String[] fields = new String[3];
                for (int f = 0; f < 3; f++) {
                    int size = in.readUnsignedShort();
                    if (size == 0 || size > MAX_PACKAGE_STRING_BYTES) {
                        throw corrupt("package " + (i + 1) + " has a field of " + size + " bytes");
                    }
                    read += 2 + size;
                    if (read > length) {
                        throw corrupt("packages section longer than its " + length + " bytes");
                    }
                    fields[f] = utf8(in.readNBytes(size), size);
                }
                if (!seen.add(fields[0])) {
                    throw corrupt("package " + fields[0] + " listed twice");
                }
                identities.add(new PackageIdentity(fields[0], fields[1], fields[2]));
            }
            if (read != length) {
                throw corrupt("packages section of " + length + " bytes, expected " + read);
            }
            packages = identities;
        }

        void secrets(DataInputStream in, long length) throws IOException {
            if (secrets != null) {
                throw corrupt("two secrets sections");
            }
            secrets = SecretsSection.read(in, length);
        }

        void entry(DataInputStream in, long length) throws IOException {
            int index = entries.size() + 1;
            if (index > maxEntries) {
                throw new IllegalArgumentException(
                        "the saved files hold more than the "
                                + maxEntries
                                + " entries this sandbox's maxVfsBytes allows");
            }
            int parent = in.readInt();
            if (parent < 0 || parent >= index || !isDirectory.get(parent)) {
                throw corrupt("entry " + index + " has no directory " + parent + " as parent");
            }
            int kind = in.readUnsignedByte();
            int nameLength = in.readUnsignedShort();
            if (nameLength == 0 || nameLength > MAX_NAME_BYTES) {
                throw corrupt("entry " + index + " has a name of " + nameLength + " bytes");
            }
            String name = utf8(in.readNBytes(nameLength), nameLength);
            if (name.equals(".")
                    || name.equals("..")
                    || name.indexOf('/') >= 0
                    || name.indexOf('\0') >= 0) {
                throw corrupt("entry " + index + " has a bad name");
            }
            if (!names.add(parent + "/" + name)) {
                throw corrupt("entry " + index + " repeats a name in its directory");
            }
            long atime = in.readLong();
            long mtime = in.readLong();
            long fixed = 4 + 1 + 2 + nameLength + 16;
            TreeEntry entry;
            switch (kind) {
                case ENTRY_DIRECTORY -> {
                    requireLength(length, fixed, index);
                    entry = TreeEntry.directory(parent, name, atime, mtime);
                }
                case ENTRY_FILE -> {
                    int size = in.readInt();
                    if (size < 0 || size > length) {
                        throw corrupt("entry " + index + " claims a file of " + size + " bytes");
                    }
                    charge(size);
                    requireLength(length, fixed + 4 + size, index);
                    byte[] content = new byte[size];
                    in.readFully(content);
                    entry = TreeEntry.file(parent, name, content, atime, mtime);
                }
                case ENTRY_SYMLINK -> {
                    int targetLength = in.readUnsignedShort();
                    if (targetLength > MAX_TARGET_BYTES) {
                        throw corrupt("entry " + index + " has a symlink target too long");
                    }
                    requireLength(length, fixed + 2 + targetLength, index);
                    charge(targetLength);
                    String target = utf8(in.readNBytes(targetLength), targetLength);
                    if (target.indexOf('\0') >= 0) {
                        throw corrupt("entry " + index + " has a bad symlink target");
                    }
                    entry = TreeEntry.symlink(parent, name, target, atime, mtime);
                }
                default -> throw corrupt("entry " + index + " is of unknown kind " + kind);
            }
            entries.add(entry);
            isDirectory.set(index, kind == ENTRY_DIRECTORY);
        }

        void staged(DataInputStream in, long length) throws IOException {
            StagedSection section = StagedSection.decode(in, length, maxEntries, this::charge);
            if (staged.put(section.guestPath(), section.entries()) != null) {
                throw corrupt("two staged sections for " + section.guestPath());
            }
        }

        /** Files and symlink targets count against the quota, as in the tree itself. */
        private void charge(long bytes) {
            vfsBytes += bytes;
            if (vfsBytes > limits.maxVfsBytes()) {
                throw new IllegalArgumentException(
                        "the saved files need more than this sandbox's maxVfsBytes ("
                                + limits.maxVfsBytes()
                                + ")");
            }
        }

        SavedState build(boolean signed) {
            if (interpreter == null) {
                throw corrupt("no interpreter section");
            }
            return new SavedState(
                    interpreter,
                    entries,
                    packages == null ? List.of() : packages,
                    secrets == null ? Map.of() : secrets,
                    staged,
                    signed);
        }
    }

    private static void requireLength(long length, long expected, int index) {
        if (length != expected) {
            throw corrupt("entry " + index + " is " + length + " bytes, expected " + expected);
        }
    }

    private static String utf8(byte[] bytes, int expectedLength) throws EOFException {
        if (bytes.length != expectedLength) {
            throw new EOFException();
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw corrupt("a name is not UTF-8");
        }
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("saved state is corrupt: " + what);
    }

    // ================================================================== signing

    private static void checkKey(byte[] key) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "a state key needs at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
        }
    }

    private static byte[] mac(byte[] key, byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e); // every JDK has it
        }
    }

    // ================================================================== helpers

    /** Fails once more than {@code bound} bytes came out of the inflater. */
    private static final class Bounded extends FilterInputStream {
        private final long bound;
        private long count;

        Bounded(InputStream in, long bound) {
            super(in);
            this.bound = bound;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            counted(skipped);
            return skipped;
        }

        private void counted(long n) {
            count += n;
            if (count > bound) {
                throw new IllegalArgumentException(
                        "saved state inflates past "
                                + bound
                                + " bytes, more than this sandbox's limits allow");
            }
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return (high == 0 && low >= 0) ? low : Long.MAX_VALUE;
    }
}
