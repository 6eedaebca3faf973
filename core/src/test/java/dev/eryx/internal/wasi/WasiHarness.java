package dev.eryx.internal.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Calls our WASI functions directly against a one-page memory, as a hostile guest could. */
final class WasiHarness {
    /** A module with nothing but one page of memory. */
    private static final byte[] ONE_PAGE_MODULE = {
        0x00,
        0x61,
        0x73,
        0x6d,
        0x01,
        0x00,
        0x00,
        0x00, // magic, version
        0x05,
        0x03,
        0x01,
        0x00,
        0x01 // memory section: one memory, min 1 page
    };

    static final int MEMORY_SIZE = 65536;

    final WasiPreview1 wasi;
    final Instance instance;
    final Memory memory;
    private final Map<String, HostFunction> functions = new HashMap<>();

    WasiHarness(WasiConfig config) {
        this(new WasiPreview1(config));
    }

    WasiHarness(WasiPreview1 wasi) {
        this.wasi = wasi;
        for (HostFunction f : wasi.hostFunctions()) {
            functions.put(f.name(), f);
        }
        instance = Instance.builder(Parser.parse(ONE_PAGE_MODULE)).build();
        memory = instance.memory();
    }

    HostFunction function(String name) {
        HostFunction f = functions.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no such function " + name);
        }
        return f;
    }

    /** Calls a function; i32 arguments may be given as any long (only the low 32 bits count). */
    int call(String name, long... args) {
        return (int) function(name).handle().apply(instance, args)[0];
    }

    /** Writes a string at {@code address}, returning its UTF-8 length. */
    int string(int address, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        memory.write(address, bytes);
        return bytes.length;
    }

    int i32(int address) {
        return memory.readInt(address);
    }

    long i64(int address) {
        return memory.readLong(address);
    }

    String read(int address, int length) {
        return new String(memory.readBytes(address, length), StandardCharsets.UTF_8);
    }

    /** Writes one iovec at {@code address}. */
    void iovec(int address, int buffer, int length) {
        memory.writeI32(address, buffer);
        memory.writeI32(address + 4, length);
    }

    /** Opens {@code path} relative to the root preopen and returns the fd (asserting success). */
    int open(String path, int oflags, long rights, int fdflags) {
        int len = string(1000, path);
        int errno =
                call(
                        "path_open",
                        3,
                        1,
                        1000,
                        len,
                        oflags,
                        rights,
                        Preview1.RIGHTS_ALL,
                        fdflags,
                        900);
        if (errno != 0) {
            throw new AssertionError("path_open(" + path + ") failed with errno " + errno);
        }
        return i32(900);
    }
}
