// Runs the eryx python.wasm (a WASI reactor) under Node's WASI (V8), as an independent host.
//
// usage: node run.mjs --wasm python.wasm --root DIR [--warmup N] [--warmup-seconds S] [--reps N]
//                     [--startup-reps N] [--profile-dir DIR] workload.py...
// --profile-dir: V8's CPU profile of each workload's timed repetitions only (after its warm-up),
// written as DIR/NAME.cpuprofile (benchmarks/profile.sh reads them).
// DIR must hold the stdlib at usr/local/lib/python3.14 and the guest package at
// usr/local/lib/eryx; it is preopened as "/". Prints one JSON object on stdout.
//
// Implements just enough of the bridge (docs/bridge-abi.md): REQUEST (7) hands the guest
// {"code": ...}; COMPLETE (8) receives the outcome. Every other op answers UNKNOWN_OP (-2).
import { WASI } from 'node:wasi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import inspector from 'node:inspector';

const args = process.argv.slice(2);
const opts = { warmup: 3, reps: 10, files: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--wasm') opts.wasm = args[++i];
  else if (a === '--root') opts.root = args[++i];
  else if (a === '--warmup') opts.warmup = Number(args[++i]);
  else if (a === '--reps') opts.reps = Number(args[++i]);
  else if (a === '--warmup-seconds') opts.warmupSeconds = Number(args[++i]);
  else if (a === '--startup-reps') opts.startupReps = Number(args[++i]);
  else if (a === '--profile-dir') opts.profileDir = args[++i];
  else opts.files.push(a);
}
opts.startupReps ??= 5;
opts.startupReps = Math.max(2, opts.startupReps + 1);
opts.warmupSeconds ??= 0;
const log = (...m) => process.stderr.write(m.join(' ') + '\n');
const now = () => Number(process.hrtime.bigint()) / 1e6;

const OP_REQUEST = 7, OP_COMPLETE = 8, ERR_UNKNOWN_OP = -2;
const enc = new TextEncoder(), dec = new TextDecoder();

class Guest {
  constructor(module) {
    this.outPath = path.join(os.tmpdir(), `eryx-node-out-${process.pid}-${Math.random().toString(36).slice(2)}`);
    this.outFd = fs.openSync(this.outPath, 'w+');
    this.outPos = 0;
    this.wasi = new WASI({
      version: 'preview1', args: ['python'], env: {}, returnOnExit: true,
      preopens: { '/': opts.root }, stdout: this.outFd, stderr: this.outFd,
    });
    this.pending = new Uint8Array(0);
    this.code = null;
    this.outcome = null;
    const self = this;
    const bridge = {
      invoke(op, ptr, len) {
        const mem = new Uint8Array(self.instance.exports.memory.buffer);
        if (op === OP_REQUEST) {
          self.pending = enc.encode(JSON.stringify({ code: self.code }));
          return self.pending.length;
        }
        if (op === OP_COMPLETE) {
          self.outcome = JSON.parse(dec.decode(mem.slice(ptr, ptr + len)));
          self.pending = new Uint8Array(0);
          return 0;
        }
        self.pending = enc.encode(`op ${op} is not supported by the node runner`);
        return ERR_UNKNOWN_OP;
      },
      take_response(ptr, len) {
        const n = Math.min(len, self.pending.length);
        new Uint8Array(self.instance.exports.memory.buffer).set(self.pending.subarray(0, n), ptr);
        self.pending = new Uint8Array(0);
        return n;
      },
    };
    this.instance = new WebAssembly.Instance(module, {
      wasi_snapshot_preview1: this.wasi.wasiImport, eryx: bridge,
    });
  }

  boot() {
    this.wasi.initialize(this.instance); // runs _initialize
    const fuelAddr = this.instance.exports.eryx_fuel.value;
    new DataView(this.instance.exports.memory.buffer).setBigInt64(fuelAddr, 1n << 62n, true);
    const status = this.instance.exports.eryx_init();
    if (status !== 0) throw new Error(`eryx_init returned ${status}: ${this.takeOutput()}`);
  }

  exec(code) {
    this.code = code;
    this.outcome = null;
    const fuelAddr = this.instance.exports.eryx_fuel.value;
    new DataView(this.instance.exports.memory.buffer).setBigInt64(fuelAddr, 1n << 62n, true);
    const status = this.instance.exports.eryx_exec();
    if (status !== 0 || !this.outcome) throw new Error(`eryx_exec returned ${status}: ${this.takeOutput()}`);
    if (!this.outcome.ok) throw new Error(`${this.outcome.error.type}: ${this.outcome.error.message}`);
  }

  takeOutput() {
    const size = fs.fstatSync(this.outFd).size;
    const buf = Buffer.alloc(size - this.outPos);
    fs.readSync(this.outFd, buf, 0, buf.length, this.outPos);
    this.outPos = size;
    return buf.toString('utf8');
  }

  close() {
    // Only unlink: node:wasi keeps using the descriptor it was given until the WASI object is
    // collected, and closing it here was seen to crash node (fd reuse). Guests stay referenced.
    fs.rmSync(this.outPath, { force: true });
  }
}

// The main thread's inspector session answers synchronously, so the profile covers exactly the
// code between start and stop.
let session = null;
const post = (method, params) => {
  let result, error;
  session.post(method, params, (e, r) => { error = e; result = r; });
  if (error) throw error;
  return result;
};
if (opts.profileDir) {
  fs.mkdirSync(opts.profileDir, { recursive: true });
  session = new inspector.Session();
  session.connect();
  post('Profiler.enable');
  post('Profiler.setSamplingInterval', { interval: 500 });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

let t = now();
const module = new WebAssembly.Module(fs.readFileSync(opts.wasm));
const compileMs = now() - t;

const keepAlive = [];
// Start-up: a fresh instance (module already compiled) to its first output.
const startup = { compile_ms: compileMs, fresh_first_output_ms: [] };
for (let i = 0; i < opts.startupReps; i++) {
  t = now();
  const g = new Guest(module);
  g.boot();
  g.exec("print('ready')");
  const out = g.takeOutput();
  startup.fresh_first_output_ms.push(now() - t);
  if (out.trim() !== 'ready') throw new Error(`unexpected start-up output: ${out}`);
  g.close();
  keepAlive.push(g);
}
startup.first_fresh_first_output_ms = startup.fresh_first_output_ms.shift();
log(`  start-up: compile ${compileMs.toFixed(0)} ms, first fresh instance to first output ${startup.first_fresh_first_output_ms.toFixed(0)} ms, then ${median(startup.fresh_first_output_ms).toFixed(0)} ms`);

const guest = new Guest(module);
guest.boot();
for (let i = 0; i < 50; i++) guest.exec("print('ready')");
guest.takeOutput();
const trivial = [];
for (let i = 0; i < 30; i++) {
  const t0 = now();
  guest.exec("print('ready')");
  trivial.push(now() - t0);
}
guest.takeOutput();
startup.warm_trivial_ms = trivial;

const workloads = {};
for (const file of opts.files) {
  const name = path.basename(file, '.py');
  const source = fs.readFileSync(file, 'utf8');
  const entry = { times_ms: [], output: null, error: null };
  try {
    const warmStart = now();
    for (let i = 0; i < opts.warmup || now() - warmStart < opts.warmupSeconds * 1000; i++) {
      guest.exec(source); guest.takeOutput();
    }
    if (session) post('Profiler.start');
    for (let i = 0; i < opts.reps; i++) {
      t = now();
      guest.exec(source);
      entry.times_ms.push(now() - t);
      entry.output = guest.takeOutput().trim();
    }
    if (session) {
      const { profile } = post('Profiler.stop');
      fs.writeFileSync(path.join(opts.profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    }
  } catch (e) {
    entry.error = String(e.message || e);
    guest.takeOutput();
  }
  workloads[name] = entry;
  log(`  ${name.padEnd(16)} ${entry.error ?? median(entry.times_ms).toFixed(1) + ' ms'}`);
}
guest.close();
process.stdout.write(JSON.stringify({ version: process.version, startup, workloads }));
