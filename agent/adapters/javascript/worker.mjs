// The warm Node.js worker behind Omnix's JavaScript adapter. It speaks the worker protocol
// every Omnix worker speaks (omnix.agent.workers): framed requests arrive on a private pipe
// (--request-fd), framed replies leave on another (--reply-fd), and stdout/stderr are the
// node's log, closed after each request by the marker (--marker) on both streams:
//   frame = u32be header length, u32be payload length, JSON header {..., blobs: [lengths]},
//           the blobs back to back.
// Each node runs in a fresh vm context.
// Node's permission model (set by the adapter's command line) denies file writes, child
// processes and workers; user code gets no `require` and no `process` of its own.

import { Buffer } from 'node:buffer';
import { Console } from 'node:console';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import vm from 'node:vm';

import { isPlainObject } from './arrow_infer.mjs';
import { readTable } from './arrow_read.mjs';
import { TableError, parseTypeName } from './arrow_types.mjs';
import { writeTable } from './arrow_write.mjs';
import { JSONValueError, parseJSON, toJSONText } from './json.mjs';
import { rowBuilder } from './rows.mjs';

const options = parseArguments(process.argv.slice(2));
const marker = Buffer.from(`\x1e${options.marker}\x1e`);

function parseArguments(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) options[argv[i].replace(/^--/, '')] = argv[i + 1];
  return { requestFd: Number(options['request-fd']), replyFd: Number(options['reply-fd']), marker: options.marker };
}

/** Write all of `bytes` to `fd` (the pipes are blocking on this side). */
function writeAll(fd, bytes) {
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
}

/** Send one reply; `blob` is bytes or a list of byte chunks making up one blob. The node's
 * output is closed first, with the marker on stdout and stderr. */
function reply(header, blob) {
  writeAll(1, marker);
  writeAll(2, marker);
  const chunks = blob === undefined ? [] : Array.isArray(blob) ? blob : [blob];
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  const head = Buffer.from(JSON.stringify({ ...header, blobs: blob === undefined ? [] : [length] }));
  const prefix = Buffer.allocUnsafe(8);
  prefix.writeUInt32BE(head.length, 0);
  prefix.writeUInt32BE(head.length + length, 4);
  try {
    writeAll(options.replyFd, Buffer.concat([prefix, head]));
    for (const chunk of chunks) if (chunk.length) writeAll(options.replyFd, chunk);
  } catch {
    process.exit(1); // the agent has gone: nobody to answer
  }
}

/** A table with declared column types: `omnix.table(rows, {column: "type", ...})`. */
class DeclaredTable {
  constructor(rows, types) {
    if (!Array.isArray(rows)) throw new TypeError('omnix.table(rows, types): rows must be an array of plain objects');
    this.rows = rows;
    this.types = new Map(Object.entries(types ?? {}).map(([name, t]) => [name, parseTypeName(t, name)]));
  }
}

/** A console stream of one node: written straight to the worker's stdout or stderr (the
 * agent frames the lines), and shut when the node ends. */
class LogStream extends Writable {
  constructor(fd) {
    super({ decodeStrings: true });
    this.fd = fd;
    this.open = true;
  }

  _write(chunk, _encoding, done) {
    // A promise of a finished node still logging: not the next node's log.
    if (this.open) writeAll(this.fd, chunk);
    done();
  }

  close() {
    this.open = false;
  }
}

let current = null; // the running node: {logs, fail}

function isTable(value) {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isPlainObject(value[i])) return false;
  return true;
}

/** The user's error: message, and a traceback with only the frames of the node's code. */
function describe(error, filename) {
  if (error instanceof TableError || error instanceof JSONValueError) return { message: error.message, traceback: '' };
  if (error === null || typeof error !== 'object' || typeof error.stack !== 'string') {
    return { message: `Uncaught ${inspect(error)}`, traceback: '' };
  }
  const message = `${error.name ?? 'Error'}: ${error.message ?? ''}`;
  const lines = error.stack.split('\n');
  const traceback = [];
  if (lines[0].startsWith(`${filename}:`)) {
    // Node's decorated stack starts with "file:line", the source line and a caret.
    const blank = lines.indexOf('');
    traceback.push(...lines.slice(0, blank === -1 ? 1 : blank));
  }
  for (const line of lines) if (/^\s+at /.test(line) && line.includes(filename)) traceback.push(line);
  return { message, traceback: traceback.join('\n') };
}

function makeContext(request, consoles) {
  const timers = new Map(); // handle -> its clear function, all cleared when the node ends
  const track = (set, clear) => (...args) => {
    const handle = set(...args);
    timers.set(handle, clear);
    return handle;
  };
  const sandbox = {
    console: new Console({ stdout: consoles.stdout, stderr: consoles.stderr }),
    setTimeout: track(setTimeout, clearTimeout),
    setInterval: track(setInterval, clearInterval),
    setImmediate: track(setImmediate, clearImmediate),
    clearTimeout,
    clearInterval,
    clearImmediate,
    queueMicrotask,
    structuredClone,
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    atob,
    btoa,
    process: { env: { ...request.env } },
    omnix: Object.freeze({ table: (rows, types) => new DeclaredTable(rows, types) }),
  };
  const context = vm.createContext(sandbox, { name: `node ${request.node}` });
  const clearAll = () => {
    for (const [handle, clear] of timers) clear(handle);
    timers.clear();
  };
  return { context, clearAll };
}

function bindInputs(request, blobs, context) {
  const realm = vm.runInContext('({ Array, Object, Date, Uint8Array, JSON })', context);
  const hints = new Map();
  const sources = new Map(); // column name -> its decoded upstream column, for reuse
  request.inputs.forEach((input, i) => {
    let value;
    if (input.kind === 'table') {
      const bytes = blobs[i];
      const { fields, columns, rows, parts } = readTable(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), realm);
      value = rowBuilder(fields.map((f) => f.name), context)(columns, rows);
      fields.forEach((f, c) => {
        if (hints.has(f.name)) return;
        hints.set(f.name, f);
        if (parts[c]) sources.set(f.name, { field: f, column: columns[c], parts: parts[c] });
      });
    } else {
      value = parseJSON(blobs[i].toString('utf8'), realm.JSON);
    }
    context[input.name] = value;
  });
  context.params = parseJSON(blobs[request.inputs.length].toString('utf8'), realm.JSON);
  return { hints, sources };
}

async function run(request, blobs) {
  const filename = `<${request.node}>`;
  const consoles = { stdout: new LogStream(1), stderr: new LogStream(2) };
  const { context, clearAll } = makeContext(request, consoles);
  let header;
  let blob;
  try {
    const failed = new Promise((_, reject) => {
      current = { fail: reject };
    });
    failed.catch(() => {}); // only awaited when the result is a promise
    const started = performance.now();
    const { hints, sources } = bindInputs(request, blobs, context);
    const decoded = performance.now();
    const script = new vm.Script(request.code, { filename });
    let value = script.runInContext(context);
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function') {
      value = await Promise.race([value, failed]);
    }
    const ran = performance.now();
    if (value instanceof DeclaredTable) {
      blob = writeTable(value.rows, hints, value.types, sources);
      header = { ok: true, kind: 'table', rows: value.rows.length };
    } else if (isTable(value)) {
      blob = writeTable(value, hints, new Map(), sources);
      header = { ok: true, kind: 'table', rows: value.length };
    } else {
      blob = Buffer.from(toJSONText(value), 'utf8');
      header = { ok: true, kind: 'json' };
    }
    // Where the worker's time went, in milliseconds: for benchmarks and slow-node diagnosis.
    header.timings = { inputs: decoded - started, code: ran - decoded, output: performance.now() - ran };
  } catch (error) {
    header = { ok: false, ...describe(error, filename) };
    blob = undefined;
  } finally {
    clearAll();
    current = null;
    consoles.stdout.close();
    consoles.stderr.close();
  }
  reply(header, blob);
}

// An error thrown from a timer callback or an unhandled rejection fails the running node
// instead of killing the worker; with no node running there is nobody to tell.
process.on('uncaughtException', (error) => current?.fail(error));
process.on('unhandledRejection', (error) => current?.fail(error));

/** Accumulates request chunks and hands out complete frames, in order. */
class FrameReader {
  constructor(onFrame) {
    this.chunks = [];
    this.have = 0;
    this.need = 8;
    this.header = null;
    this.onFrame = onFrame;
  }

  push(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
    while (this.have >= this.need) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [all];
      if (this.header === null) {
        this.headLength = all.readUInt32BE(0);
        this.need = 8 + all.readUInt32BE(4);
        this.header = 'pending';
        continue;
      }
      const header = JSON.parse(all.subarray(8, 8 + this.headLength).toString('utf8'));
      // The agent pads the header so the first blob starts 8-byte aligned: Arrow's typed
      // arrays view it in place.
      let at = 8 + this.headLength;
      const blobs = (header.blobs ?? []).map((length) => all.subarray(at, (at += length)));
      const rest = all.subarray(this.need);
      this.chunks = rest.length ? [rest] : [];
      this.have = rest.length;
      this.header = null;
      this.need = 8;
      this.onFrame(header, blobs);
    }
  }
}

let queue = Promise.resolve();
const reader = new FrameReader((header, blobs) => {
  if (header.op === 'javascript') queue = queue.then(() => run(header, blobs));
  else if (header.op === 'ping') queue = queue.then(() => reply({ ok: true, pid: process.pid, version: process.versions.node }));
  else queue = queue.then(() => reply({ ok: false, internal: true, message: `unknown operation ${JSON.stringify(header.op)}` }));
});
const requests = fs.createReadStream(null, { fd: options.requestFd, highWaterMark: 1 << 20 });
requests.on('data', (chunk) => reader.push(chunk));
requests.on('end', () => process.exit(0));
requests.on('error', () => process.exit(1));
