// Runs python.wasm under Node's WASI (preview1) as an independent check of a build.
// usage: node node-run.mjs python.wasm ROOTDIR [python args...]
// ROOTDIR is preopened as "/" (put the stdlib at ROOTDIR/usr/local/lib/python3.14 or python314.zip).
// Environment: ERYX_ENV="K=V,K=V" adds guest environment variables.
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [wasmPath, root, ...args] = process.argv.slice(2);
const env = { PYTHONHASHSEED: "0" };
for (const kv of (process.env.ERYX_ENV || "").split(",").filter(Boolean)) {
  const i = kv.indexOf("=");
  env[kv.slice(0, i)] = kv.slice(i + 1);
}
const wasi = new WASI({ version: "preview1", args: ["python", ...args], env, preopens: { "/": root },
                        returnOnExit: true });
const t0 = performance.now();
const module = await WebAssembly.compile(readFileSync(wasmPath));
const t1 = performance.now();
let instance;
// Test stub of the bridge: op 1 echoes its input; op 97 sets eryx_interrupt_flag (then answers
// UNKNOWN_OP); op 98 answers TIMEOUT; op 99 fails with the message "boom"; others: UNKNOWN_OP.
let pending = new Uint8Array(0);
const mem = () => new Uint8Array(instance.exports.memory.buffer);
const eryx = {
  invoke: (op, ptr, len) => {
    if (op === 1) { pending = mem().slice(ptr, ptr + len); return len; }
    if (op === 97) {
      new DataView(instance.exports.memory.buffer).setInt32(instance.exports.eryx_interrupt_flag.value, 1, true);
      return -2;
    }
    if (op === 98) return -3;
    if (op === 99) { pending = new TextEncoder().encode("boom"); return -1; }
    return -2;
  },
  take_response: (ptr, len) => {
    const n = Math.min(len, pending.length);
    mem().set(pending.subarray(0, n), ptr);
    pending = new Uint8Array(0);
    return n;
  },
};
instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, eryx });
const code = wasi.start(instance);
const t2 = performance.now();
if (process.env.ERYX_TIMING) {
  const mem = instance.exports.memory.buffer.byteLength;
  console.error(`compile ${(t1 - t0).toFixed(0)} ms, run ${(t2 - t1).toFixed(0)} ms, memory ${mem / 1048576} MiB, exit ${code}`);
}
process.exitCode = code;
