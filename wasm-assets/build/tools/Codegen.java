/*
 * Codegen: a prototype of eryx generating its own JVM bytecode for the wasm module (issue 19,
 * lever 5; docs/performance.md, "Lever 5: our own code generation (prototype)"). It does not
 * compile wasm itself: it rewrites the classes Chicory's AOT compiler generated, so that the
 * generated code does the work of Chicory's small static helpers itself. Whether that is worth a
 * compiler of our own is what the A/B (benchmarks/codegen-ab.sh) measures.
 *
 *   java -cp asm.jar:asm-tree.jar:chicory-runtime.jar:chicory-wasm.jar Codegen.java \
 *        in.jar out.jar [--no-interrupt-checks] [--no-memory] [--no-compare] [--no-inline]
 *        [--inline-paged-loads] [--inline-paged-stores] [--paged-bytes] [--verify]
 *
 * in.jar is a built eryx-wasm-assets jar; out.jar gets every entry of it, the generated classes
 * (those that call the shaded helper class *MachineShaded) rewritten. Why: C2 stops inlining in a
 * compilation once it has inlined DesiredMethodLimit (8,000) bytecodes, and the generated methods
 * are thousands of bytecodes long, so in them many helpers stay real calls; every wasm load/store
 * is memoryReadInt(base, offset, Memory) -> getAddr -> Memory.readInt, every comparison a call of
 * OpcodeImpl.
 *
 * Rewrites, each with exactly the helper's semantics (the helpers' own bytecode is read and
 * checked against the shape each rewrite assumes; a helper of another shape is left alone):
 *  - memory: a call of a shaded memoryReadX/memoryWriteX whose offset is an int constant and whose
 *    Memory is a local becomes the effective address computed in place, getAddr's
 *    `base < 0 ? base : base + offset` as `base + (offset & ~(base >> 31))` (no branch, so no new
 *    stack map frame), then the one invokeinterface Memory.x the helper makes. A constant base is
 *    folded at build time (the fuel counter's loads). The out-of-bounds trap is Memory's, as
 *    before.
 *  - compare: OpcodeImpl.I32_LT_S(a, b) and its kind (body: loads, then lcmp, fcmp, dcmp or
 *    compareUnsigned, then if<cc> L, iconst_1|0, goto, L: iconst_0|1, ireturn) followed by
 *    ifeq/ifne becomes that body's own test jumping straight to the branch target (no 0/1 in
 *    between); operands the body loads swapped are handled for ==, != and the mirrored orders.
 *  - rotations: OpcodeImpl's I32/I64 ROTL/ROTR bodies, checked opcode by opcode, are exactly
 *    Integer/Long.rotateLeft/Right, which C2 turns into one instruction.
 *  - inline: any OpcodeImpl, Value or shaded helper whose body is "load every parameter in order
 *    (or two in swapped order), then straight-line code that touches no local or field, then
 *    return" is replaced by that code (rotl, extend_u, reinterpret, Value.longToFloat, readGlobal
 *    as instance.global(i).getValue()); OpcodeImpl and Value bodies may call java.lang only.
 *    writeGlobal becomes instance.global(i).setValue(v) in place (its own shape, checked).
 *  - --inline-paged-loads / --inline-paged-stores (a measuring variant, classpath only): a rewritten
 *    load or store also runs eryx's PagedMemory fast path in place when the Memory is one:
 *    `off = addr & mask; off <= pageBytes - size; page = readable[addr >>> shift]` (stores:
 *    `writable[...]`, null until the page was made writable this epoch, which is PagedMemory's
 *    first-write/journal check) and the little-endian byte-array view access, through VarHandles
 *    held in static finals of the generated class. Everything else (another Memory, an access
 *    across pages, outside the memory, a page not yet writable) is the same invokeinterface as
 *    without the option, so the trap and the journal are PagedMemory's own. The fast path is
 *    transcribed from PagedMemory's loads/stores (not read from its bytecode: core is not on this
 *    tool's class path); its fields are public for this reason only. Methods with such sites get
 *    their stack map frames recomputed (ASM COMPUTE_FRAMES). --paged-bytes assembles the
 *    value from single bytes instead of the views (what C2 makes of either in these methods).
 *  - --no-interrupt-checks (a measuring variant only): drops the calls of checkInterruption,
 *    which eryx's hard stop needs (GuestThread.interrupt -> Thread.interrupt).
 * Every rewrite that can make code longer is budgeted per method: a method below HotSpot's
 * 8,000-byte compile limit stays below it (the first rewrites in code order are kept, the rest left
 * as calls), one above stays below the class-file limit. Reported: sites per kind, sites left, and
 * methods above 8,000 bytes before and after. --verify loads every rewritten class in a fresh
 * class loader and links it (HotSpot's verifier runs on it), and fails on any error.
 */
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodTooLargeException;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LineNumberNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

public final class Codegen implements Opcodes {

    static final String OPCODE_IMPL = "com/dylibso/chicory/runtime/OpcodeImpl";
    static final String MEMORY = "com/dylibso/chicory/runtime/Memory";
    static final int HUGE_METHOD = 8000; // HotSpot's HugeMethodLimit
    static final int MAX_CODE = 65535;

    final boolean memory;
    final boolean compare;
    final boolean inline;
    final boolean dropInterruptChecks;

    /** --inline-paged-loads / --inline-paged-stores: PagedMemory's fast path in place (below). */
    boolean pagedLoads;

    boolean pagedStores;

    /** --paged-bytes: those fast paths assemble bytes instead of using byte-array views. */
    boolean pagedBytes;

    /** Loads the input jar's classes (and Chicory's) for ASM's frame computation. */
    ClassLoader typeLoader;

    /** Shaded memory helper name+desc → the Memory method it calls. */
    final Map<String, MethodInsnNode> memoryHelpers = new HashMap<>();

    /** OpcodeImpl compare name+desc → the test in its body (operand-consuming prefix + jump). */
    final Map<String, Compare> compares = new HashMap<>();

    /** owner.name+desc → straight-line body to put in place of the call. */
    final Map<String, List<AbstractInsnNode>> inlinable = new HashMap<>();

    String shaded; // internal name of the shaded helper class

    final Map<String, Long> counts = new TreeMap<>();
    int hugeBefore;
    int hugeAfter;
    int methodsCapped;

    Codegen(boolean memory, boolean compare, boolean inline, boolean dropInterruptChecks) {
        this.memory = memory;
        this.compare = compare;
        this.inline = inline;
        this.dropInterruptChecks = dropInterruptChecks;
    }

    /** A comparison helper's test: the instructions after its loads, then if<cc> to 1 or 0. */
    record Compare(List<AbstractInsnNode> prefix, int jump, boolean jumpGivesOne) {}

    public static void main(String[] args) throws Exception {
        List<String> files = new ArrayList<>();
        boolean memory = true, compare = true, inline = true, noInterrupt = false, verify = false;
        boolean pagedLoads = false, pagedStores = false, pagedBytes = false;
        for (String a : args) {
            switch (a) {
                case "--no-memory" -> memory = false;
                case "--no-compare" -> compare = false;
                case "--no-inline" -> inline = false;
                case "--no-interrupt-checks" -> noInterrupt = true;
                case "--verify" -> verify = true;
                case "--inline-paged-loads" -> pagedLoads = true;
                case "--inline-paged-stores" -> pagedStores = true;
                case "--paged-bytes" -> pagedBytes = true;
                default -> {
                    if (a.startsWith("--")) usage("unknown option " + a);
                    files.add(a);
                }
            }
        }
        if (files.size() != 2) usage("expected in.jar out.jar");
        File in = new File(files.get(0));
        File out = new File(files.get(1));
        if (!in.isFile()) usage("no such jar: " + in);
        if ((pagedLoads || pagedStores) && !memory) {
            usage("--inline-paged-loads/-stores need the memory rewrite (drop --no-memory)");
        }
        Codegen cg = new Codegen(memory, compare, inline, noInterrupt);
        cg.pagedLoads = pagedLoads;
        cg.pagedStores = pagedStores;
        cg.pagedBytes = pagedBytes;
        List<String> rewritten = cg.rewriteJar(in, out);
        cg.report(rewritten.size());
        if (verify) verify(out, rewritten);
    }

    static void usage(String why) {
        System.err.println(
                "Codegen: "
                        + why
                        + "\nusage: Codegen in.jar out.jar [--no-interrupt-checks] [--no-memory]"
                        + " [--no-compare] [--no-inline] [--inline-paged-loads]"
                        + " [--inline-paged-stores] [--paged-bytes] [--verify]");
        System.exit(2);
    }

    // ---- the jar ----------------------------------------------------------------------------

    List<String> rewriteJar(File in, File out) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(in.toPath()))) {
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                entries.put(e.getName(), e.isDirectory() ? null : zin.readAllBytes());
            }
        }
        for (String name : entries.keySet()) {
            if (name.endsWith("MachineShaded.class")) {
                if (shaded != null) throw new IllegalStateException("two shaded classes: " + name);
                shaded = name.substring(0, name.length() - ".class".length());
            }
        }
        if (shaded == null) throw new IllegalStateException(in + " has no *MachineShaded.class");
        typeLoader =
                new URLClassLoader(new URL[] {in.toURI().toURL()}, Codegen.class.getClassLoader());
        learnShaded(read(entries.get(shaded + ".class")));
        learnOpcodeImpl();

        List<String> rewritten = new ArrayList<>();
        try (ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out.toPath()))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                byte[] bytes = e.getValue();
                if (bytes != null
                        && e.getKey().endsWith(".class")
                        && !e.getKey().equals(shaded + ".class")
                        && references(bytes, shaded)) {
                    bytes = rewriteClass(bytes);
                    rewritten.add(e.getKey());
                }
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTime(0);
                zout.putNextEntry(entry);
                if (bytes != null) zout.write(bytes);
                zout.closeEntry();
            }
        }
        return rewritten;
    }

    static boolean references(byte[] classBytes, String internalName) {
        ClassReader r = new ClassReader(classBytes);
        char[] buf = new char[r.getMaxStringLength()];
        for (int i = 1; i < r.getItemCount(); i++) {
            int at = r.getItem(i);
            if (at > 0
                    && classBytes[at - 1] == 7 /* CONSTANT_Class */
                    && internalName.equals(r.readUTF8(at, buf))) {
                return true;
            }
        }
        return false;
    }

    static ClassNode read(byte[] bytes) {
        ClassNode cn = new ClassNode();
        new ClassReader(bytes).accept(cn, 0);
        return cn;
    }

    // ---- learning the helpers from their own bytecode ---------------------------------------

    void learnShaded(ClassNode cn) {
        MethodNode getAddr = null;
        for (MethodNode m : cn.methods) {
            if (m.name.equals("getAddr") && m.desc.equals("(II)I")) getAddr = m;
        }
        if (getAddr == null || !getAddrIsAsExpected(getAddr)) {
            throw new IllegalStateException(
                    cn.name + ".getAddr is not `base < 0 ? base : base + offset`; update Codegen");
        }
        for (MethodNode m : cn.methods) {
            if ((m.access & ACC_STATIC) == 0) continue;
            if (m.name.startsWith("memoryRead") || m.name.startsWith("memoryWrite")) {
                MethodInsnNode target = memoryHelperTarget(cn.name, m);
                if (target != null) memoryHelpers.put(m.name + m.desc, target);
            }
            List<AbstractInsnNode> body = passThroughBody(m, false);
            if (body == null) body = setterBody(m);
            if (body != null) inlinable.put(cn.name + "." + m.name + m.desc, body);
        }
        count("helpers: shaded memory helpers understood", memoryHelpers.size());
    }

    /**
     * javac's `base < 0 ? base : base + offset`: iload0 ifge L iload0 goto E L: iload0 iload1 iadd
     * E: ireturn.
     */
    static boolean getAddrIsAsExpected(MethodNode m) {
        List<AbstractInsnNode> code = real(m.instructions);
        int[] ops = {ILOAD, IFGE, ILOAD, GOTO, ILOAD, ILOAD, IADD, IRETURN};
        if (code.size() != ops.length) return false;
        for (int i = 0; i < ops.length; i++) {
            if (code.get(i).getOpcode() != ops[i]) return false;
        }
        return var(code.get(0)) == 0
                && var(code.get(2)) == 0
                && var(code.get(4)) == 0
                && var(code.get(5)) == 1
                && ((JumpInsnNode) code.get(1)).label == labelBefore(code.get(4))
                && ((JumpInsnNode) code.get(3)).label == labelBefore(code.get(7));
    }

    /**
     * memoryReadX(int base, int offset, Memory m) = m.x(getAddr(base, offset)) and memoryWriteX(int
     * base, V value, int offset, Memory m) = m.x(getAddr(base, offset), value): returns the x call,
     * or null if the body is anything else.
     */
    MethodInsnNode memoryHelperTarget(String owner, MethodNode m) {
        Type[] params = Type.getArgumentTypes(m.desc);
        boolean write = m.name.startsWith("memoryWrite");
        if (params.length != (write ? 4 : 3)) return null;
        int memSlot = 0;
        for (int i = 0; i < params.length - 1; i++) memSlot += params[i].getSize();
        int offsetSlot = write ? 1 + params[1].getSize() : 1;
        List<AbstractInsnNode> code = real(m.instructions);
        int n = write ? 7 : 6;
        if (code.size() != n
                || !params[params.length - 1].getInternalName().equals(MEMORY)
                || params[0].getSort() != Type.INT
                || params[write ? 2 : 1].getSort() != Type.INT) {
            return null;
        }
        boolean ok =
                code.get(0).getOpcode() == ALOAD
                        && var(code.get(0)) == memSlot
                        && code.get(1).getOpcode() == ILOAD
                        && var(code.get(1)) == 0
                        && code.get(2).getOpcode() == ILOAD
                        && var(code.get(2)) == offsetSlot
                        && isCall(code.get(3), INVOKESTATIC, owner, "getAddr", "(II)I");
        if (!ok) return null;
        int at = 4;
        if (write) {
            AbstractInsnNode load = code.get(at++);
            if (load.getOpcode() != params[1].getOpcode(ILOAD) || var(load) != 1) return null;
        }
        AbstractInsnNode call = code.get(at);
        AbstractInsnNode ret = code.get(at + 1);
        if (call.getOpcode() != INVOKEINTERFACE
                || !((MethodInsnNode) call).owner.equals(MEMORY)
                || ret.getOpcode() != Type.getReturnType(m.desc).getOpcode(IRETURN)) {
            return null;
        }
        MethodInsnNode mi = (MethodInsnNode) call;
        String want =
                write
                        ? "(I" + params[1].getDescriptor() + ")V"
                        : "(I)" + Type.getReturnType(m.desc).getDescriptor();
        return mi.desc.equals(want) ? mi : null;
    }

    /**
     * writeGlobal(long value, int index, Instance instance) =
     * instance.global(index).setValue(value): aload 3, iload 2, invokevirtual G, lload 0,
     * invokevirtual S, return. In place of the call, with [value, index, instance] on the stack:
     * swap, G, dup_x2, pop, S.
     */
    static List<AbstractInsnNode> setterBody(MethodNode m) {
        if (!m.desc.startsWith("(JI") || Type.getArgumentTypes(m.desc).length != 3) return null;
        List<AbstractInsnNode> code = real(m.instructions);
        if (code.size() != 6
                || code.get(0).getOpcode() != ALOAD
                || var(code.get(0)) != 3
                || code.get(1).getOpcode() != ILOAD
                || var(code.get(1)) != 2
                || code.get(2).getOpcode() != INVOKEVIRTUAL
                || !((MethodInsnNode) code.get(2)).desc.startsWith("(I)L")
                || code.get(3).getOpcode() != LLOAD
                || var(code.get(3)) != 0
                || code.get(4).getOpcode() != INVOKEVIRTUAL
                || !((MethodInsnNode) code.get(4)).desc.equals("(J)V")
                || code.get(5).getOpcode() != RETURN) {
            return null;
        }
        return List.of(
                new InsnNode(SWAP),
                code.get(2),
                new InsnNode(DUP_X2),
                new InsnNode(POP),
                code.get(4));
    }

    static final String VALUE = "com/dylibso/chicory/wasm/types/Value";

    void learnOpcodeImpl() throws IOException {
        for (String owner : new String[] {OPCODE_IMPL, VALUE}) {
            ClassNode cn = read(classBytes(owner));
            for (MethodNode m : cn.methods) {
                if ((m.access & (ACC_STATIC | ACC_PUBLIC)) != (ACC_STATIC | ACC_PUBLIC)) continue;
                Compare c = owner.equals(OPCODE_IMPL) ? compareShape(m) : null;
                if (c != null) compares.put(m.name + m.desc, c);
                List<AbstractInsnNode> body = passThroughBody(m, true);
                if (body == null && owner.equals(OPCODE_IMPL)) body = rotation(m);
                if (body != null) inlinable.put(owner + "." + m.name + m.desc, body);
            }
        }
        count("helpers: OpcodeImpl comparisons understood", compares.size());
        count("helpers: straight-line helpers understood (OpcodeImpl + shaded)", inlinable.size());
    }

    static byte[] classBytes(String internalName) throws IOException {
        try (InputStream s =
                Codegen.class.getClassLoader().getResourceAsStream(internalName + ".class")) {
            if (s == null) {
                throw new IllegalStateException(
                        internalName
                                + " is not on the class path (Chicory's runtime and wasm jars)");
            }
            return s.readAllBytes();
        }
    }

    /**
     * (II)I, (JJ)I, (FF)I, (DD)I, (I)I or (J)I: load the parameters in order (two ints also
     * swapped), then only lcmp, lconst_0, fcmp/dcmp and Integer/Long.compareUnsigned, then if<cc>
     * L; iconst_a; goto E; L: iconst_b; E: ireturn with {a, b} = {0, 1}.
     */
    /**
     * The index after a helper's opening loads of all its parameters in declaration order, or -1 if
     * the code does not start that way.
     */
    static int afterParameterLoads(List<AbstractInsnNode> code, Type[] params) {
        int i = 0, slot = 0;
        for (Type p : params) {
            if (i >= code.size()
                    || code.get(i).getOpcode() != p.getOpcode(ILOAD)
                    || var(code.get(i)) != slot) {
                return -1;
            }
            i++;
            slot += p.getSize();
        }
        return i;
    }

    static Compare compareShape(MethodNode m) {
        if (!m.desc.matches("\\((II|JJ|FF|DD|I|J)\\)I")) return null;
        List<AbstractInsnNode> code = real(m.instructions);
        Type[] params = Type.getArgumentTypes(m.desc);
        int i = 0;
        boolean swapped = false;
        if (m.desc.equals("(II)I")
                && code.size() > 2
                && code.get(0).getOpcode() == ILOAD
                && var(code.get(0)) == 1
                && code.get(1).getOpcode() == ILOAD
                && var(code.get(1)) == 0) {
            swapped = true;
            i = 2;
        } else if (m.desc.equals("(JJ)I")
                && code.size() == 8
                && code.get(0).getOpcode() == LLOAD
                && var(code.get(0)) == 2
                && code.get(1).getOpcode() == LLOAD
                && var(code.get(1)) == 0
                && code.get(2).getOpcode() == LCMP
                && (code.get(3).getOpcode() == IFEQ || code.get(3).getOpcode() == IFNE)) {
            i = 2; // lcmp(b, a) tested only against 0: the same as lcmp(a, b) (I64_EQ, I64_NE)
        } else {
            i = afterParameterLoads(code, params);
            if (i < 0) return null;
        }
        List<AbstractInsnNode> prefix = new ArrayList<>();
        while (i < code.size()) {
            AbstractInsnNode x = code.get(i);
            int op = x.getOpcode();
            boolean allowed =
                    op == LCMP
                            || op == LCONST_0
                            || (op >= FCMPL && op <= DCMPG)
                            || isCall(
                                    x,
                                    INVOKESTATIC,
                                    "java/lang/Integer",
                                    "compareUnsigned",
                                    "(II)I")
                            || isCall(
                                    x, INVOKESTATIC, "java/lang/Long", "compareUnsigned", "(JJ)I");
            if (!allowed) break;
            prefix.add(x);
            i++;
        }
        if (code.size() - i != 5) return null;
        AbstractInsnNode jump = code.get(i);
        int op = jump.getOpcode();
        int first = code.get(i + 1).getOpcode();
        int second = code.get(i + 3).getOpcode();
        if (op < IFEQ
                || op > IF_ICMPLE
                || !((first == ICONST_1 && second == ICONST_0)
                        || (first == ICONST_0 && second == ICONST_1))
                || code.get(i + 2).getOpcode() != GOTO
                || code.get(i + 4).getOpcode() != IRETURN
                || ((JumpInsnNode) jump).label != labelBefore(code.get(i + 3))
                || ((JumpInsnNode) code.get(i + 2)).label != labelBefore(code.get(i + 4))) {
            return null;
        }
        // What the test consumes: two ints for if_icmp<cc> (the parameters themselves), one int
        // for if<cc> (the parameter, or what lcmp / fcmp / dcmp / compareUnsigned left).
        boolean ok =
                op >= IF_ICMPEQ
                        ? prefix.isEmpty() && m.desc.equals("(II)I")
                        : prefix.isEmpty()
                                ? m.desc.equals("(I)I")
                                : !swapped && prefix.get(prefix.size() - 1).getOpcode() != LCONST_0;
        if (!ok || (swapped && op < IF_ICMPEQ)) return null;
        if (swapped) op = mirror(op);
        return new Compare(prefix, op, second == ICONST_1);
    }

    /** if_icmp<cc> on (b, a) as a test on (a, b). */
    static int mirror(int op) {
        return switch (op) {
            case IF_ICMPLT -> IF_ICMPGT;
            case IF_ICMPGT -> IF_ICMPLT;
            case IF_ICMPLE -> IF_ICMPGE;
            case IF_ICMPGE -> IF_ICMPLE;
            default -> op; // eq, ne
        };
    }

    /**
     * OpcodeImpl's rotations, `(x << s) | (x >>> (32 - s))` (and 64, and right), are exactly
     * Integer/Long.rotateLeft/Right (shift counts are taken mod the width either way; C2 makes them
     * one instruction). Checked against the helper's bytecode, opcode by opcode.
     */
    static List<AbstractInsnNode> rotation(MethodNode m) {
        boolean left = m.name.endsWith("_ROTL");
        if (!left && !m.name.endsWith("_ROTR")) return null;
        boolean wide = m.desc.equals("(JJ)J");
        if (!wide && !m.desc.equals("(II)I")) return null;
        List<AbstractInsnNode> code = real(m.instructions);
        int[] expect =
                wide
                        ? new int[] {
                            LLOAD,
                            LLOAD,
                            L2I,
                            left ? LSHL : LUSHR,
                            LLOAD,
                            LDC,
                            LLOAD,
                            LSUB,
                            L2I,
                            left ? LUSHR : LSHL,
                            LOR,
                            LRETURN
                        }
                        : new int[] {
                            ILOAD,
                            ILOAD,
                            left ? ISHL : IUSHR,
                            ILOAD,
                            BIPUSH,
                            ILOAD,
                            ISUB,
                            left ? IUSHR : ISHL,
                            IOR,
                            IRETURN
                        };
        if (code.size() != expect.length) return null;
        for (int i = 0; i < expect.length; i++) {
            if (code.get(i).getOpcode() != expect[i]) return null;
        }
        int x = 0, s = wide ? 2 : 1;
        boolean ok =
                wide
                        ? var(code.get(0)) == x
                                && var(code.get(1)) == s
                                && var(code.get(4)) == x
                                && Long.valueOf(64).equals(((LdcInsnNode) code.get(5)).cst)
                                && var(code.get(6)) == s
                        : var(code.get(0)) == x
                                && var(code.get(1)) == s
                                && var(code.get(3)) == x
                                && ((IntInsnNode) code.get(4)).operand == 32
                                && var(code.get(5)) == s;
        if (!ok) return null;
        String name = left ? "rotateLeft" : "rotateRight";
        return wide
                ? List.of(
                        new InsnNode(L2I),
                        new MethodInsnNode(INVOKESTATIC, "java/lang/Long", name, "(JI)J"))
                : List.of(new MethodInsnNode(INVOKESTATIC, "java/lang/Integer", name, "(II)I"));
    }

    /**
     * The body of a static method that loads each parameter once, in order, then runs straight-line
     * code touching no local, field, or class other than java.lang's (or, for shaded helpers, no
     * call of the shaded class itself), then returns: that code, or null.
     */
    static List<AbstractInsnNode> passThroughBody(MethodNode m, boolean javaLangOnly) {
        if ((m.access & ACC_STATIC) == 0 || m.tryCatchBlocks.size() > 0) return null;
        if (m.name.equals("checkInterruption")) return null;
        for (AbstractInsnNode x = m.instructions.getFirst(); x != null; x = x.getNext()) {
            if (x instanceof JumpInsnNode) return null;
        }
        List<AbstractInsnNode> code = real(m.instructions);
        Type[] params = Type.getArgumentTypes(m.desc);
        List<AbstractInsnNode> body = new ArrayList<>();
        int i = 0;
        if (params.length == 2
                && params[0].getSize() == 1
                && params[1].getSize() == 1
                && code.size() > 2
                && code.get(0).getOpcode() == params[1].getOpcode(ILOAD)
                && var(code.get(0)) == 1
                && code.get(1).getOpcode() == params[0].getOpcode(ILOAD)
                && var(code.get(1)) == 0) {
            // (a, b) loaded as b, a: the caller's operands swapped (e.g. readGlobal(index,
            // instance))
            body.add(new InsnNode(SWAP));
            i = 2;
        } else {
            i = afterParameterLoads(code, params);
            if (i < 0) return null;
        }
        if (code.isEmpty()) return null;
        AbstractInsnNode ret = code.get(code.size() - 1);
        if (ret.getOpcode() != Type.getReturnType(m.desc).getOpcode(IRETURN)) return null;
        body.addAll(code.subList(i, code.size() - 1));
        for (AbstractInsnNode x : body) {
            if (x instanceof MethodInsnNode mi) {
                if (javaLangOnly
                        ? !mi.owner.startsWith("java/lang/")
                        : mi.owner.contains("Shaded")) {
                    return null;
                }
                if (!mi.owner.startsWith("java/lang/") && mi.owner.startsWith("dev/")) return null;
            } else if (!(x instanceof InsnNode
                    || x instanceof IntInsnNode
                    || (x instanceof LdcInsnNode ldc && ldc.cst instanceof Number))) {
                return null;
            }
            int op = x.getOpcode();
            if (op == ATHROW || (op >= IRETURN && op <= RETURN) || op == MONITORENTER) return null;
        }
        return body.isEmpty() ? null : body;
    }

    // ---- rewriting --------------------------------------------------------------------------

    private ClassReader currentReader;

    private String currentClass;

    byte[] rewriteClass(byte[] bytes) {
        ClassNode cn = read(bytes);
        currentClass = cn.name;
        boolean paged = pagedLoads || pagedStores;
        // What one rewritten site can add to a method, at most (wide local indexes included).
        long perSite = !paged ? 32 : pagedBytes ? 384 : 224;
        currentReader = new ClassReader(bytes);
        Map<String, Integer> before = codeLengths(bytes);
        List<MethodNode> methods = new ArrayList<>(cn.methods);
        for (int k = 0; k < methods.size(); k++) {
            MethodNode m = methods.get(k);
            if (m.instructions.size() == 0) continue;
            int was = before.get(m.name + m.desc);
            int limit = was <= HUGE_METHOD ? HUGE_METHOD : MAX_CODE;
            MethodNode copy = copy(cn, m);
            Map<String, Long> c = new HashMap<>();
            rewriteMethod(copy, Integer.MAX_VALUE, c);
            long budgeted = c.getOrDefault("budgeted", 0L);
            // A site grows the code by at most ~30 bytes: measure only where that could matter.
            if (budgeted > 0 && was + perSite * budgeted > limit && codeLength(cn, copy) > limit) {
                // Keep the first sites in code order that fit: binary search on their number.
                int lo = 0, hi = (int) budgeted - 1;
                while (lo < hi) {
                    int mid = (lo + hi + 1) >>> 1;
                    MethodNode t = copy(cn, m);
                    if (codeLength(cn, t, mid) <= limit) lo = mid;
                    else hi = mid - 1;
                }
                copy = copy(cn, m);
                c.clear();
                rewriteMethod(copy, lo, c);
                methodsCapped++;
            }
            c.remove("budgeted");
            c.forEach(this::count);
            cn.methods.set(k, copy);
        }
        if (paged) addVarHandles(cn);
        ClassWriter cw =
                paged
                        ? new FrameWriter(new ClassReader(bytes), typeLoader)
                        : new ClassWriter(new ClassReader(bytes), ClassWriter.COMPUTE_MAXS);
        cn.accept(cw);
        byte[] out = cw.toByteArray();
        for (int len : before.values()) if (len > HUGE_METHOD) hugeBefore++;
        for (int len : codeLengths(out).values()) if (len > HUGE_METHOD) hugeAfter++;
        return out;
    }

    /**
     * The method's code length as the final class will have it: the writer starts from the original
     * constant pool, as the final one does, so ldc/ldc_w and wide forms come out the same.
     */
    int codeLength(ClassNode owner, MethodNode rewrittenCopy) {
        ClassWriter cw = new ClassWriter(currentReader, ClassWriter.COMPUTE_MAXS);
        cw.visit(owner.version, owner.access, owner.name, null, owner.superName, null);
        rewrittenCopy.accept(cw);
        cw.visitEnd();
        try {
            return codeLengths(cw.toByteArray()).values().iterator().next();
        } catch (MethodTooLargeException e) {
            return Integer.MAX_VALUE; // past the class-file limit: over any budget
        }
    }

    int codeLength(ClassNode owner, MethodNode fresh, int budget) {
        rewriteMethod(fresh, budget, new HashMap<>());
        return codeLength(owner, fresh);
    }

    static MethodNode copy(ClassNode owner, MethodNode m) {
        MethodNode c =
                new MethodNode(
                        m.access, m.name, m.desc, m.signature, m.exceptions.toArray(new String[0]));
        m.accept(c);
        return c;
    }

    /**
     * Rewrites one method in place. Rewrites that make code longer count against {@code budget} (in
     * code order); "budgeted" in counts tells how many were wanted.
     */
    void rewriteMethod(MethodNode m, int budget, Map<String, Long> c) {
        InsnList insns = m.instructions;
        int temp = -1; // a 2-slot scratch local for wide store values
        int scratch = -1; // PAGED_SCRATCH slots for the paged fast path
        int used = 0;
        for (AbstractInsnNode x = insns.getFirst(); x != null; ) {
            AbstractInsnNode next = x.getNext();
            if (!(x instanceof MethodInsnNode call) || call.getOpcode() != INVOKESTATIC) {
                x = next;
                continue;
            }
            String key = call.name + call.desc;
            if (call.owner.equals(shaded) && call.name.equals("checkInterruption")) {
                if (dropInterruptChecks) {
                    insns.remove(call);
                    add(c, "interrupt: checkInterruption calls dropped");
                } else {
                    add(c, "interrupt: checkInterruption calls kept");
                }
            } else if (call.owner.equals(shaded) && memoryHelpers.containsKey(key)) {
                if (!memory) {
                    add(c, "memory: left (rewrite off)");
                } else {
                    add(c, "budgeted");
                    if (used >= budget) {
                        add(c, "memory: left (method size budget)");
                    } else {
                        if (temp < 0 && Type.getArgumentTypes(call.desc)[1].getSize() == 2) {
                            temp = m.maxLocals;
                            m.maxLocals += 2;
                        }
                        MethodInsnNode target = memoryHelpers.get(key);
                        if (scratch < 0 && pagedAccess(target) != null) {
                            scratch = m.maxLocals;
                            m.maxLocals += PAGED_SCRATCH;
                        }
                        String kind = rewriteMemory(insns, call, target, temp, scratch);
                        if (kind != null) used++;
                        add(
                                c,
                                kind != null
                                        ? "memory: " + kind
                                        : "memory: left (operands not constant offset + local)");
                    }
                }
            } else if (call.owner.equals(OPCODE_IMPL)
                    && compares.containsKey(key)
                    && compare
                    && isBranchOnInt(real(next))) {
                JumpInsnNode branch = (JumpInsnNode) real(next);
                next = branch.getNext();
                Compare cmp = compares.get(key);
                InsnList repl = new InsnList();
                for (AbstractInsnNode p : cmp.prefix()) repl.add(p.clone(null));
                // ifne jumps when the helper returns 1, ifeq when it returns 0.
                boolean wantOne = branch.getOpcode() == IFNE;
                int op = wantOne == cmp.jumpGivesOne() ? cmp.jump() : negate(cmp.jump());
                repl.add(new JumpInsnNode(op, branch.label));
                insns.insert(branch, repl);
                insns.remove(call);
                insns.remove(branch);
                add(c, "compare: " + call.name + " + branch fused");
            } else if (inline && inlinable.containsKey(call.owner + "." + key)) {
                List<AbstractInsnNode> body = inlinable.get(call.owner + "." + key);
                int size = 0;
                for (AbstractInsnNode b : body)
                    size +=
                            b instanceof MethodInsnNode
                                    ? 3
                                    : b instanceof LdcInsnNode
                                            ? 3
                                            : b instanceof IntInsnNode ? 2 : 1;
                if (size > 3) {
                    add(c, "budgeted");
                    if (used >= budget) {
                        add(c, "inline: left (method size budget)");
                        x = next;
                        continue;
                    }
                    used++;
                }
                InsnList repl = new InsnList();
                for (AbstractInsnNode b : body) repl.add(b.clone(null));
                insns.insert(call, repl);
                insns.remove(call);
                add(c, "inline: " + call.name);
            } else if (call.owner.equals(OPCODE_IMPL)) {
                add(c, "left: OpcodeImpl." + call.name);
            } else if (call.owner.equals(shaded)) {
                add(c, "left: shaded " + call.name);
            }
            x = next;
        }
    }

    static boolean isBranchOnInt(AbstractInsnNode x) {
        return x != null && (x.getOpcode() == IFEQ || x.getOpcode() == IFNE);
    }

    /**
     * [..., base, offset, mem] (read) or [..., base, value, offset, mem] (write) → the address
     * computed in place and one invokeinterface. Only when offset is an int constant and mem an
     * aload right before the call (no label in between). Returns the kind, or null if left.
     */
    String rewriteMemory(
            InsnList insns, MethodInsnNode call, MethodInsnNode target, int temp, int scratch) {
        AbstractInsnNode memLoad = realBefore(call);
        if (memLoad == null || memLoad.getOpcode() != ALOAD) return null;
        AbstractInsnNode offsetPush = realBefore(memLoad);
        Integer offset = intConstant(offsetPush);
        if (offset == null) return null;
        boolean write = call.name.startsWith("memoryWrite");
        Type value = write ? Type.getArgumentTypes(call.desc)[1] : null;
        InsnList repl = new InsnList();
        String kind;
        Paged paged = pagedAccess(target);
        if (paged != null) {
            int mem = var(memLoad);
            if (!write) {
                AbstractInsnNode basePush = realBefore(offsetPush);
                Integer base = intConstant(basePush);
                if (base != null) {
                    insns.remove(basePush);
                    repl.add(pushInt(base < 0 ? base : base + offset));
                } else {
                    address(repl, offset);
                }
            } else {
                // [base, v]: v to its scratch slot, then the address
                repl.add(new VarInsnNode(value.getOpcode(ISTORE), scratch + 5));
                address(repl, offset);
            }
            pagedSite(repl, paged, target, mem, scratch, value);
            insns.insert(call, repl);
            insns.remove(offsetPush);
            insns.remove(memLoad);
            insns.remove(call);
            return (write ? "store" : "load") + ", paged inline (" + call.name + ")";
        }
        if (!write) {
            AbstractInsnNode basePush = realBefore(offsetPush);
            Integer base = intConstant(basePush);
            if (base != null) {
                // getAddr folded at build time
                int addr = base < 0 ? base : base + offset;
                insns.remove(basePush);
                repl.add(memLoad.clone(null));
                repl.add(pushInt(addr));
                kind = "load, constant address";
            } else {
                address(repl, offset);
                repl.add(memLoad.clone(null));
                repl.add(new InsnNode(SWAP));
                kind = "load";
            }
        } else if (value.getSize() == 1) {
            // [base, v]
            if (offset != 0) {
                repl.add(new InsnNode(SWAP)); // [v, base]
                address(repl, offset); // [v, addr]
                repl.add(memLoad.clone(null)); // [v, addr, mem]
                repl.add(new InsnNode(DUP_X2)); // [mem, v, addr, mem]
                repl.add(new InsnNode(POP)); // [mem, v, addr]
                repl.add(new InsnNode(SWAP)); // [mem, addr, v]
            } else {
                repl.add(memLoad.clone(null)); // [base, v, mem]
                repl.add(new InsnNode(DUP_X2)); // [mem, base, v, mem]
                repl.add(new InsnNode(POP)); // [mem, base, v]
            }
            kind = "store";
        } else {
            repl.add(new VarInsnNode(value.getOpcode(ISTORE), temp)); // [base]
            address(repl, offset); // [addr]
            repl.add(memLoad.clone(null));
            repl.add(new InsnNode(SWAP)); // [mem, addr]
            repl.add(new VarInsnNode(value.getOpcode(ILOAD), temp)); // [mem, addr, v]
            kind = "store";
        }
        repl.add(new MethodInsnNode(INVOKEINTERFACE, MEMORY, target.name, target.desc, true));
        insns.insert(call, repl);
        insns.remove(offsetPush);
        insns.remove(memLoad);
        insns.remove(call);
        return kind + " (" + call.name + ")";
    }

    static final String PAGED = "dev/eryx/internal/engine/PagedMemory";
    static final String VAR_HANDLE = "java/lang/invoke/VarHandle";
    static final int PAGED_SCRATCH = 7; // addr, off, index, memory, page, value (2)

    /**
     * A PagedMemory access: its size in bytes, the byte-array view (null: a byte, [b]aload/store),
     * the VarHandle's value type, and the raw-bits conversion PagedMemory's writeF32/F64 apply
     * before their int/long store (null: none).
     */
    record Paged(int size, String view, Type type, MethodInsnNode toBits) {}

    /** The fast path for this Memory method, or null if it has none here (or the option is off). */
    Paged pagedAccess(MethodInsnNode target) {
        boolean write = target.name.startsWith("write");
        if (write ? !pagedStores : !pagedLoads) return null;
        MethodInsnNode floatBits =
                new MethodInsnNode(INVOKESTATIC, "java/lang/Float", "floatToRawIntBits", "(F)I");
        MethodInsnNode doubleBits =
                new MethodInsnNode(INVOKESTATIC, "java/lang/Double", "doubleToRawLongBits", "(D)J");
        return switch (target.name + target.desc) {
            case "read(I)B", "writeByte(IB)V" -> new Paged(1, null, Type.BYTE_TYPE, null);
            case "readShort(I)S", "writeShort(IS)V" -> new Paged(2, "SHORT", Type.SHORT_TYPE, null);
            case "readInt(I)I", "writeI32(II)V" -> new Paged(4, "INT", Type.INT_TYPE, null);
            case "readLong(I)J", "writeLong(IJ)V" -> new Paged(8, "LONG", Type.LONG_TYPE, null);
            case "readFloat(I)F" -> new Paged(4, "FLOAT", Type.FLOAT_TYPE, null);
            case "readDouble(I)D" -> new Paged(8, "DOUBLE", Type.DOUBLE_TYPE, null);
            case "writeF32(IF)V" -> new Paged(4, "INT", Type.INT_TYPE, floatBits);
            case "writeF64(ID)V" -> new Paged(8, "LONG", Type.LONG_TYPE, doubleBits);
            default -> null;
        };
    }

    /**
     * [addr] (the store's value in scratch + 5) → PagedMemory's fast path, as its readX/writeX does
     * it, else the call of target: with m the Memory local,
     *
     * <pre>
     * if (m instanceof PagedMemory p) {
     *   off = addr &amp; p.mask;
     *   if (off &lt;= p.pageBytes - size) {           // not for a byte
     *     i = addr &gt;&gt;&gt; p.shift;
     *     if (i &lt; p.readable.length) {             // writable for a store
     *       page = p.readable[i];
     *       if (page != null) { VIEW.get(page, off) / VIEW.set(page, off, v); goto done; }
     * }}}
     * m.x(addr[, v]);
     * done:
     * </pre>
     *
     * A null or missing page is where PagedMemory's own fast path would catch an exception and
     * trap, or (stores) take its slow path: the call does exactly that.
     */
    void pagedSite(InsnList l, Paged p, MethodInsnNode target, int mem, int s, Type value) {
        boolean write = value != null;
        int addr = s, off = s + 1, index = s + 2, pm = s + 3, page = s + 4, v = s + 5;
        String pages = write ? "writable" : "readable";
        LabelNode slow = new LabelNode(), done = new LabelNode();
        l.add(new VarInsnNode(ISTORE, addr));
        l.add(new VarInsnNode(ALOAD, mem));
        l.add(new TypeInsnNode(INSTANCEOF, PAGED));
        l.add(new JumpInsnNode(IFEQ, slow));
        l.add(new VarInsnNode(ALOAD, mem));
        l.add(new TypeInsnNode(CHECKCAST, PAGED));
        l.add(new VarInsnNode(ASTORE, pm));
        l.add(new VarInsnNode(ILOAD, addr));
        l.add(field(pm, "mask", "I", l));
        l.add(new InsnNode(IAND));
        l.add(new VarInsnNode(ISTORE, off));
        if (p.size() > 1) {
            l.add(new VarInsnNode(ILOAD, off));
            l.add(field(pm, "pageBytes", "I", l));
            l.add(pushInt(p.size()));
            l.add(new InsnNode(ISUB));
            l.add(new JumpInsnNode(IF_ICMPGT, slow));
        }
        l.add(new VarInsnNode(ILOAD, addr));
        l.add(field(pm, "shift", "I", l));
        l.add(new InsnNode(IUSHR));
        l.add(new VarInsnNode(ISTORE, index));
        l.add(new VarInsnNode(ILOAD, index));
        l.add(field(pm, pages, "[[B", l));
        l.add(new InsnNode(ARRAYLENGTH));
        l.add(new JumpInsnNode(IF_ICMPGE, slow));
        l.add(field(pm, pages, "[[B", l));
        l.add(new VarInsnNode(ILOAD, index));
        l.add(new InsnNode(AALOAD));
        l.add(new VarInsnNode(ASTORE, page));
        l.add(new VarInsnNode(ALOAD, page));
        l.add(new JumpInsnNode(IFNULL, slow));
        if (pagedBytes && p.view() != null) {
            assembleBytes(l, p, page, off, value, v);
        } else if (p.view() == null) {
            l.add(new VarInsnNode(ALOAD, page));
            l.add(new VarInsnNode(ILOAD, off));
            if (write) l.add(new VarInsnNode(ILOAD, v));
            l.add(new InsnNode(write ? BASTORE : BALOAD));
        } else {
            l.add(
                    new FieldInsnNode(
                            GETSTATIC,
                            currentClass,
                            VIEW_PREFIX + p.view(),
                            "L" + VAR_HANDLE + ";"));
            l.add(new VarInsnNode(ALOAD, page));
            l.add(new VarInsnNode(ILOAD, off));
            String t = p.type().getDescriptor();
            if (write) {
                l.add(new VarInsnNode(value.getOpcode(ILOAD), v));
                if (p.toBits() != null) l.add(p.toBits().clone(null));
                l.add(new MethodInsnNode(INVOKEVIRTUAL, VAR_HANDLE, "set", "([BI" + t + ")V"));
            } else {
                l.add(new MethodInsnNode(INVOKEVIRTUAL, VAR_HANDLE, "get", "([BI)" + t));
            }
        }
        l.add(new JumpInsnNode(GOTO, done));
        l.add(slow);
        l.add(new VarInsnNode(ALOAD, mem));
        l.add(new VarInsnNode(ILOAD, addr));
        if (write) l.add(new VarInsnNode(value.getOpcode(ILOAD), v));
        l.add(new MethodInsnNode(INVOKEINTERFACE, MEMORY, target.name, target.desc, true));
        l.add(done);
    }

    /**
     * --paged-bytes: the access as single-byte loads/stores, little-endian (what the byte-array
     * view does), for comparing what C2 makes of each in these methods.
     */
    static void assembleBytes(InsnList l, Paged p, int page, int off, Type value, int v) {
        int n = p.size();
        boolean wide = n == 8;
        for (int k = 0; k < n; k++) {
            l.add(new VarInsnNode(ALOAD, page));
            l.add(new VarInsnNode(ILOAD, off));
            if (k > 0) {
                l.add(pushInt(k));
                l.add(new InsnNode(IADD));
            }
            if (value == null) {
                l.add(new InsnNode(BALOAD));
                if (wide) {
                    l.add(new InsnNode(I2L));
                    l.add(new LdcInsnNode(255L));
                    l.add(new InsnNode(LAND));
                    if (k > 0) {
                        l.add(new IntInsnNode(BIPUSH, 8 * k));
                        l.add(new InsnNode(LSHL));
                        l.add(new InsnNode(LOR));
                    }
                } else {
                    // the top byte's sign bits are shifted out (int) or cut by i2s (short)
                    if (k < n - 1) {
                        l.add(new IntInsnNode(SIPUSH, 255));
                        l.add(new InsnNode(IAND));
                    }
                    if (k > 0) {
                        l.add(new IntInsnNode(BIPUSH, 8 * k));
                        l.add(new InsnNode(ISHL));
                        l.add(new InsnNode(IOR));
                    }
                }
            } else {
                l.add(new VarInsnNode(value.getOpcode(ILOAD), v));
                if (p.toBits() != null) l.add(p.toBits().clone(null));
                if (k > 0) {
                    l.add(new IntInsnNode(BIPUSH, 8 * k));
                    l.add(new InsnNode(wide ? LUSHR : IUSHR));
                }
                if (wide) l.add(new InsnNode(L2I));
                l.add(new InsnNode(BASTORE));
            }
        }
        if (value == null) {
            if (n == 2) l.add(new InsnNode(I2S));
            if (p.type().getSort() == Type.FLOAT) {
                l.add(
                        new MethodInsnNode(
                                INVOKESTATIC, "java/lang/Float", "intBitsToFloat", "(I)F"));
            } else if (p.type().getSort() == Type.DOUBLE) {
                l.add(
                        new MethodInsnNode(
                                INVOKESTATIC, "java/lang/Double", "longBitsToDouble", "(J)D"));
            }
        }
    }

    /** aload pm; getfield PagedMemory.name (the aload added to l, the getfield returned). */
    static AbstractInsnNode field(int pm, String name, String desc, InsnList l) {
        l.add(new VarInsnNode(ALOAD, pm));
        return new FieldInsnNode(GETFIELD, PAGED, name, desc);
    }

    static final String VIEW_PREFIX = "eryx$paged$";

    /**
     * The little-endian byte-array views PagedMemory uses, as static finals of the generated class
     * (constants to C2), set first thing in its static initializer.
     */
    static void addVarHandles(ClassNode cn) {
        InsnList init = new InsnList();
        String[][] views = {
            {"SHORT", "[S"}, {"INT", "[I"}, {"LONG", "[J"}, {"FLOAT", "[F"}, {"DOUBLE", "[D"}
        };
        for (String[] view : views) {
            String name = VIEW_PREFIX + view[0];
            cn.fields.add(
                    new FieldNode(
                            ACC_PRIVATE | ACC_STATIC | ACC_FINAL | ACC_SYNTHETIC,
                            name,
                            "L" + VAR_HANDLE + ";",
                            null,
                            null));
            init.add(new LdcInsnNode(Type.getType(view[1])));
            init.add(
                    new FieldInsnNode(
                            GETSTATIC,
                            "java/nio/ByteOrder",
                            "LITTLE_ENDIAN",
                            "Ljava/nio/ByteOrder;"));
            init.add(
                    new MethodInsnNode(
                            INVOKESTATIC,
                            "java/lang/invoke/MethodHandles",
                            "byteArrayViewVarHandle",
                            "(Ljava/lang/Class;Ljava/nio/ByteOrder;)L" + VAR_HANDLE + ";"));
            init.add(new FieldInsnNode(PUTSTATIC, cn.name, name, "L" + VAR_HANDLE + ";"));
        }
        MethodNode clinit = null;
        for (MethodNode m : cn.methods) {
            if (m.name.equals("<clinit>")) clinit = m;
        }
        if (clinit == null) {
            clinit = new MethodNode(ACC_STATIC, "<clinit>", "()V", null, null);
            clinit.instructions.add(new InsnNode(RETURN));
            cn.methods.add(clinit);
        }
        clinit.instructions.insert(init);
    }

    /**
     * Computes every frame anew (the paged sites branch); a common superclass is looked up in the
     * input jar and Chicory's, java/lang/Object where neither has the type (the verifier treats
     * interfaces as Object anyway).
     */
    static final class FrameWriter extends ClassWriter {
        private final ClassLoader loader;

        FrameWriter(ClassReader reader, ClassLoader loader) {
            super(reader, ClassWriter.COMPUTE_FRAMES);
            this.loader = loader;
        }

        @Override
        protected ClassLoader getClassLoader() {
            return loader;
        }

        @Override
        protected String getCommonSuperClass(String a, String b) {
            try {
                return super.getCommonSuperClass(a, b);
            } catch (RuntimeException e) {
                return "java/lang/Object";
            }
        }
    }

    /**
     * [base] → [base + (offset & ~(base >> 31))], i.e. getAddr's `base < 0 ? base : base + offset`.
     */
    static void address(InsnList l, int offset) {
        if (offset == 0) return; // getAddr(base, 0) == base
        l.add(new InsnNode(DUP));
        l.add(new IntInsnNode(BIPUSH, 31));
        l.add(new InsnNode(ISHR));
        l.add(new InsnNode(ICONST_M1));
        l.add(new InsnNode(IXOR));
        l.add(pushInt(offset));
        l.add(new InsnNode(IAND));
        l.add(new InsnNode(IADD));
    }

    static AbstractInsnNode pushInt(int v) {
        if (v >= -1 && v <= 5) return new InsnNode(ICONST_0 + v);
        if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) return new IntInsnNode(BIPUSH, v);
        if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) return new IntInsnNode(SIPUSH, v);
        return new LdcInsnNode(v);
    }

    static Integer intConstant(AbstractInsnNode x) {
        if (x == null) return null;
        int op = x.getOpcode();
        if (op >= ICONST_M1 && op <= ICONST_5) return op - ICONST_0;
        if (op == BIPUSH || op == SIPUSH) return ((IntInsnNode) x).operand;
        if (op == LDC && ((LdcInsnNode) x).cst instanceof Integer i) return i;
        return null;
    }

    static int negate(int ifOpcode) {
        // The JVM pairs each if<cc> with its negation: IFEQ/IFNE, IFLT/IFGE, IFGT/IFLE, ...
        return ((ifOpcode - IFEQ) ^ 1) + IFEQ;
    }

    // ---- small helpers ----------------------------------------------------------------------

    /** The instruction before x, skipping line numbers only; null at a label, frame or start. */
    static AbstractInsnNode realBefore(AbstractInsnNode x) {
        for (AbstractInsnNode p = x.getPrevious(); p != null; p = p.getPrevious()) {
            if (p instanceof LineNumberNode) continue;
            return p.getOpcode() < 0 ? null : p;
        }
        return null;
    }

    /** x or the next instruction that is one (not a label, frame or line number). */
    static AbstractInsnNode real(AbstractInsnNode x) {
        while (x != null && x.getOpcode() < 0) {
            if (x instanceof LabelNode) return null; // a branch target: nothing to fuse across
            x = x.getNext();
        }
        return x;
    }

    static List<AbstractInsnNode> real(InsnList l) {
        List<AbstractInsnNode> out = new ArrayList<>();
        for (AbstractInsnNode x = l.getFirst(); x != null; x = x.getNext()) {
            if (x.getOpcode() >= 0) out.add(x);
        }
        return out;
    }

    static LabelNode labelBefore(AbstractInsnNode x) {
        for (AbstractInsnNode p = x.getPrevious();
                p != null && p.getOpcode() < 0;
                p = p.getPrevious()) {
            if (p instanceof LabelNode l) return l;
        }
        return null;
    }

    static int var(AbstractInsnNode x) {
        return ((VarInsnNode) x).var;
    }

    static boolean isCall(AbstractInsnNode x, int op, String owner, String name, String desc) {
        return x instanceof MethodInsnNode mi
                && mi.getOpcode() == op
                && mi.owner.equals(owner)
                && mi.name.equals(name)
                && mi.desc.equals(desc);
    }

    static void add(Map<String, Long> c, String key) {
        c.merge(key, 1L, Long::sum);
    }

    void count(String key, long n) {
        counts.merge(key, n, Long::sum);
    }

    /** Code-attribute lengths of every method of a class file, by name+descriptor. */
    static Map<String, Integer> codeLengths(byte[] b) {
        ClassReader r = new ClassReader(b);
        char[] buf = new char[Math.max(r.getMaxStringLength(), 16)];
        int at = r.header + 6;
        at += 2 + 2 * r.readUnsignedShort(at); // interfaces
        int fields = r.readUnsignedShort(at);
        at += 2;
        for (int i = 0; i < fields; i++) {
            at += 6;
            at = skipAttributes(r, at + 2, r.readUnsignedShort(at));
        }
        Map<String, Integer> out = new HashMap<>();
        int methods = r.readUnsignedShort(at);
        at += 2;
        for (int i = 0; i < methods; i++) {
            String name = r.readUTF8(at + 2, buf);
            String desc = r.readUTF8(at + 4, buf);
            int attrs = r.readUnsignedShort(at + 6);
            at += 8;
            for (int a = 0; a < attrs; a++) {
                if (r.readUTF8(at, buf).equals("Code")) {
                    out.put(name + desc, r.readInt(at + 10));
                }
                at += 6 + r.readInt(at + 2);
            }
        }
        return out;
    }

    static int skipAttributes(ClassReader r, int at, int count) {
        for (int a = 0; a < count; a++) at += 6 + r.readInt(at + 2);
        return at;
    }

    void report(int classes) {
        System.out.println("Codegen: " + classes + " generated classes rewritten");
        counts.forEach((k, v) -> System.out.printf("  %-60s %,d%n", k, v));
        System.out.printf(
                "  methods above %,d bytes: %d before, %d after; methods whose rewrites were capped"
                        + " to stay within the limit: %d%n",
                HUGE_METHOD, hugeBefore, hugeAfter, methodsCapped);
    }

    /** Loads and links every rewritten class in a loader of its own, so HotSpot verifies it. */
    static void verify(File jar, List<String> classes) throws Exception {
        int failed = 0;
        try (URLClassLoader loader =
                new URLClassLoader(
                        new URL[] {jar.toURI().toURL()}, Codegen.class.getClassLoader())) {
            for (String entry : classes) {
                String name = entry.substring(0, entry.length() - 6).replace('/', '.');
                try {
                    Class<?> c = Class.forName(name, false, loader);
                    if (c.getClassLoader() != loader) {
                        throw new IllegalStateException(name + " came from another loader");
                    }
                    c.getDeclaredMethods(); // links the class: the verifier runs
                } catch (LinkageError e) {
                    failed++;
                    System.err.println("verify: " + name + ": " + e);
                }
            }
        }
        if (failed > 0) {
            System.err.println("verify: " + failed + " classes failed");
            System.exit(1);
        }
        System.out.println("verify: " + classes.size() + " classes loaded and linked");
    }
}
