// The warm Node.js worker behind Omnix's JavaScript adapter. It reads framed requests on
// stdin, runs each node in a fresh vm context and writes framed replies on stdout:
//   frame = u32le header length, JSON header {type, ..., blobs: [byte lengths]}, the blobs.
// Node's permission model (set by the adapter's command line) denies file writes, child
// processes and workers; user code gets no `require` and no `process` of its own.

import { Buffer } from 'node:buffer';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import vm from 'node:vm';

import { isPlainObject } from './arrow_infer.mjs';
import { readTable } from './arrow_read.mjs';
import { TableError, parseTypeName } from './arrow_types.mjs';
import { writeTable } from './arrow_write.mjs';
import { JSONValueError, parseJSON, toJSONText } from './json.mjs';
import { rowBuilder } from './rows.mjs';

/** Send one frame; `blob` is bytes or a list of byte chunks making up one blob. */
function send(header, blob) {
  const chunks = blob === undefined ? [] : Array.isArray(blob) ? blob : [blob];
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  const head = Buffer.from(JSON.stringify({ ...header, blobs: blob === undefined ? [] : [length] }));
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32LE(head.length);
  // stdout is a pipe, written synchronously on Linux: log lines leave while user code runs.
  process.stdout.write(Buffer.concat([prefix, head]));
  for (const chunk of chunks) if (chunk.length) process.stdout.write(chunk);
}

/** A table with declared column types: `omnix.table(rows, {column: "type", ...})`. */
class DeclaredTable {
  constructor(rows, types) {
    if (!Array.isArray(rows)) throw new TypeError('omnix.table(rows, types): rows must be an array of plain objects');
    this.rows = rows;
    this.types = new Map(Object.entries(types ?? {}).map(([name, t]) => [name, parseTypeName(t, name)]));
  }
}

/** Splits a console stream into lines and sends each as a log frame. */
class LogStream extends Writable {
  constructor(stream) {
    super({ decodeStrings: false });
    this.stream = stream;
    this.pending = '';
    this.open = true;
  }

  _write(chunk, _encoding, done) {
    if (!this.open) return done(); // a promise of a finished node still logging: not the next node's log
    const lines = (this.pending + chunk.toString()).split('\n');
    this.pending = lines.pop();
    for (const text of lines) send({ type: 'log', stream: this.stream, text });
    done();
  }

  close() {
    if (this.pending) send({ type: 'log', stream: this.stream, text: this.pending });
    this.pending = '';
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
  const consoles = { stdout: new LogStream('stdout'), stderr: new LogStream('stderr') };
  const { context, clearAll } = makeContext(request, consoles);
  let reply;
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
      reply = { type: 'result', kind: 'table' };
    } else if (isTable(value)) {
      blob = writeTable(value, hints, new Map(), sources);
      reply = { type: 'result', kind: 'table' };
    } else {
      blob = Buffer.from(toJSONText(value), 'utf8');
      reply = { type: 'result', kind: 'json' };
    }
    // Where the worker's time went, in milliseconds: for benchmarks and slow-node diagnosis.
    reply.timings = { inputs: decoded - started, code: ran - decoded, output: performance.now() - ran };
  } catch (error) {
    reply = { type: 'error', ...describe(error, filename) };
    blob = undefined;
  } finally {
    clearAll();
    current = null;
    consoles.stdout.close();
    consoles.stderr.close();
  }
  send(reply, blob);
}

// An error thrown from a timer callback or an unhandled rejection fails the running node
// instead of killing the worker; with no node running there is nobody to tell.
process.on('uncaughtException', (error) => current?.fail(error));
process.on('unhandledRejection', (error) => current?.fail(error));

/** Accumulates stdin chunks and hands out complete frames, in order. */
class FrameReader {
  constructor(onFrame) {
    this.chunks = [];
    this.have = 0;
    this.header = null;
    this.need = 4;
    this.onFrame = onFrame;
  }

  push(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
    while (this.have >= this.need) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      if (this.header === null) {
        const headLength = all.readUInt32LE(0);
        if (all.length < 4 + headLength) {
          this.need = 4 + headLength;
          this.chunks = [all];
          return;
        }
        this.header = JSON.parse(all.subarray(4, 4 + headLength).toString('utf8'));
        this.headLength = headLength;
        this.need = 4 + headLength + this.header.blobs.reduce((a, b) => a + b, 0);
        this.chunks = [all];
        continue;
      }
      let at = 4 + this.headLength;
      const blobs = this.header.blobs.map((length) => all.subarray(at, (at += length)));
      const header = this.header;
      const rest = all.subarray(this.need);
      this.chunks = rest.length ? [rest] : [];
      this.have = rest.length;
      this.header = null;
      this.need = 4;
      this.onFrame(header, blobs);
    }
  }
}

let queue = Promise.resolve();
const reader = new FrameReader((header, blobs) => {
  if (header.type === 'run') queue = queue.then(() => run(header, blobs));
});
process.stdin.on('data', (chunk) => reader.push(chunk));
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(1)); // the adapter has gone: nobody to answer
send({ type: 'ready', node: process.versions.node });
