// End-to-end check of the reactor python.wasm under Node's WASI (preview1):
// _initialize, eryx_init, then one eryx_exec whose REQUEST answers {"code": CODE}; prints COMPLETE.
// usage: node node-reactor.mjs python.wasm ROOTDIR CODE
// ROOTDIR is preopened as "/": stdlib at usr/local/lib/python3.14, the eryx package at usr/local/lib/eryx.
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [wasmPath, root, code] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: ["python"], env: {}, preopens: { "/": root }, returnOnExit: true });
let instance, pending = new Uint8Array(0), outcome = null;
const mem = () => new Uint8Array(instance.exports.memory.buffer);
const respond = (s) => { pending = new TextEncoder().encode(s); return pending.length; };
const eryx = {
  invoke: (op, ptr, len) => {
    const input = new TextDecoder().decode(mem().slice(ptr, ptr + len));
    if (op === 7) return respond(JSON.stringify({ code }));          // REQUEST
    if (op === 8) { outcome = input; return respond(""); }           // COMPLETE
    if (op === 6) return respond("{}");                              // CONFIG
    if (op === 5) return respond("");                                // EMIT
    return -2;
  },
  take_response: (ptr, len) => {
    const n = Math.min(len, pending.length);
    mem().set(pending.subarray(0, n), ptr);
    pending = new Uint8Array(0);
    return n;
  },
};
const module = await WebAssembly.compile(readFileSync(wasmPath));
instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, eryx });
const t0 = performance.now();
wasi.initialize(instance);
const init = instance.exports.eryx_init();
const t1 = performance.now();
const rc = init === 0 ? instance.exports.eryx_exec() : -1;
const t2 = performance.now();
console.log(`eryx_init=${init} (${(t1 - t0).toFixed(0)} ms) eryx_exec=${rc} (${(t2 - t1).toFixed(0)} ms) memory ${instance.exports.memory.buffer.byteLength / 1048576} MiB COMPLETE ${outcome}`);
process.exitCode = init === 0 && rc === 0 && outcome !== null ? 0 : 1;
