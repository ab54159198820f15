// The chunk worker's program (plain CommonJS, run with `new Worker(source, { eval: true })`): hashing, sealing,
// reading pieces from the disk's files and decoding stored chunks, with the protocol chunk-pool.ts speaks.

// It duplicates encodeBlob/compressChunk (blob.ts) in plain JS so that it needs no TypeScript
// loader; a unit test checks that both produce blobs the main thread decodes.
export const CHUNK_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const idKey = workerData.idKey ? Buffer.from(workerData.idKey) : null;
const dataKey = workerData.dataKey ? Buffer.from(workerData.dataKey) : null;
const { level, sab, slotSize } = workerData;
const fs = require('node:fs');
const held = new Map();
// zstd: the native binding (zstd-napi, an optional dependency built from source at install) when it loaded,
// with one compression and one decompression context per worker; else the WASM build with one reused context
// and buffers (its simple compress() creates a context and allocates per call: ~20% slower at 256 KiB). The
// WASM module is only loaded and compiled when the native binding is missing (compiling it made the pool start
// ~25 ms later). The native contexts write into buffers we own (a scratch buffer for compression, the slot for
// decompression), so no chunk allocates on the way through.
let native = null;
if (workerData.napiPath) {
  try {
    const z = require(workerData.napiPath);
    const c = new z.Compressor(), d = new z.Decompressor();
    c.setParameters({ compressionLevel: level });
    const bound = (n) => n + (n >> 8) + 1024;
    native = { cctx: c.cctx, dctx: d.dctx, bound, dest: Buffer.allocUnsafe(bound(slotSize)) };
    if (typeof native.cctx.compress2 !== 'function' || typeof native.dctx.decompress !== 'function') native = null;
  } catch (e) { native = null; }
}
const zstd = native ? null : require(workerData.zstdPath);
const ready = native ? null : zstd.init();
let wasm = null, cctx = 0, src = 0, dst = 0, cap = 0;
if (!native) {
  try {
    const M = require(workerData.zstdModulePath).Module;
    if (typeof M._ZSTD_compress_usingDict === 'function' && typeof M._ZSTD_createCCtx === 'function') wasm = M;
  } catch (e) {}
}
// Pack and disk files kept open between chunks (closed on 'closeFiles'), one read buffer reused.
// Files with asynchronous reads in flight (hashFrom) are never closed under them: busy counts per file.
const fds = new Map();
const busy = new Map();
let rbuf = Buffer.alloc(0);
function fdOf(file) {
  let fd = fds.get(file);
  if (fd === undefined) {
    if (fds.size >= 16) {
      for (const [k, v] of fds) if (!busy.get(k)) { fds.delete(k); fs.closeSync(v); break; }
    }
    fd = fs.openSync(file, 'r');
    fds.set(file, fd);
  }
  return fd;
}
function closeIdleFiles() {
  for (const [k, v] of fds) if (!busy.get(k)) { fds.delete(k); fs.closeSync(v); }
}
// Read a chunk's pieces (file ranges or zeros) into \`out\` with asynchronous reads: the next chunk's reads run
// while this worker hashes and compresses the one before.
function readPieces(pieces, out) {
  let at = 0;
  const reads = [];
  for (const p of pieces) {
    if (p.zero) out.fill(0, at, at + p.length);
    else reads.push(readRange(p.file, out, at, p.length, p.fileOffset));
    at += p.length;
  }
  // Settle every read before failing, so no read still lands in the slot after it is handed to another chunk.
  return Promise.allSettled(reads).then((rs) => {
    const bad = rs.find((r) => r.status === 'rejected');
    if (bad) throw bad.reason;
  });
}
function readRange(file, out, at, len, pos) {
  let fd;
  try { fd = fdOf(file); } catch (e) { return Promise.reject(Object.assign(e, { file })); }
  busy.set(file, (busy.get(file) || 0) + 1);
  return new Promise((resolve, reject) => {
    const step = (done) => {
      if (done === len) return resolve();
      fs.read(fd, out, at + done, len - done, pos + done, (err, n) => {
        if (err) return reject(Object.assign(err, { file }));
        if (n === 0) return reject(Object.assign(new Error('it ends before byte ' + (pos + done) + ': it was truncated while being read.'), { file }));
        step(done + n);
      });
    };
    step(0);
  }).finally(() => busy.set(file, busy.get(file) - 1));
}
const ZERO = Buffer.alloc(slotSize);
// Same rule as zstdFrameContentSize (blob.ts): the size a frame header declares, -1 when absent.
function frameSize(b) {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return -1;
  const fhd = b[4], fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, dict = [0, 1, 2, 4][fhd & 3];
  let pos = 5 + (single ? 0 : 1) + dict;
  const n = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  if (n === 0 || pos + n > b.length) return -1;
  let v = 0, mul = 1;
  for (let i = 0; i < n; i++, pos++) { v += b[pos] * mul; mul *= 256; }
  return n === 2 ? v + 256 : v;
}
// Decode stored chunk m into \`out\` (exactly m.rawLength bytes) and check it hashes to m.id. A raw blob of a
// plain repository is read straight into place.
function decodeTo(m, out) {
  const inPlace = !dataKey && m.codec === 0 && m.length === m.rawLength;
  let blob;
  try {
    if (!inPlace && rbuf.length < m.length) rbuf = Buffer.allocUnsafe(Math.max(m.length, slotSize + 64));
    const into = inPlace ? out : rbuf;
    const fd = fdOf(m.file);
    let got = 0;
    while (got < m.length) {
      const n = fs.readSync(fd, into, got, m.length - got, m.offset + got);
      if (n === 0) break;
      got += n;
    }
    if (got !== m.length) return 'unreadable';
    blob = into.subarray(0, m.length);
  } catch (e) {
    return 'unreadable';
  }
  if (!inPlace && !decodeBlobTo(m, blob, out)) return 'damaged';
  const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
  return h.update(out).digest('hex') === m.id ? 'ok' : 'damaged';
}
function decodeBlobTo(m, blob, out) {
  let payload = blob;
  if (dataKey) {
    if (blob.length < 28) return false;
    try {
      const d = crypto.createDecipheriv('aes-256-gcm', dataKey, blob.subarray(0, 12));
      d.setAAD(Buffer.from(m.id, 'hex'));
      d.setAuthTag(blob.subarray(blob.length - 16));
      payload = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
    } catch (e) {
      return false;
    }
  }
  if (m.codec === 0) {
    if (payload.length !== m.rawLength) return false;
    out.set(payload);
    return true;
  }
  if (m.codec !== 1 || frameSize(payload) !== m.rawLength) return false;
  try { return zd(payload, Buffer.from(out.buffer, out.byteOffset, out.length)); } catch (e) { return false; }
}
// Decompress into \`out\` (exactly rawLength bytes); false when the frame does not fill it exactly.
function zd(payload, out) {
  if (native) return native.dctx.decompress(out, payload) === out.length;
  const raw = zstd.decompress(payload);
  if (raw.length !== out.length) return false;
  out.set(raw);
  return true;
}
// The compressed bytes; the result may be a view of a scratch buffer: use it before the next zc() call.
function zc(raw) {
  if (native) {
    if (native.dest.length < native.bound(raw.length)) native.dest = Buffer.allocUnsafe(native.bound(raw.length));
    const n = native.cctx.compress2(native.dest, raw);
    return native.dest.subarray(0, n);
  }
  if (!wasm) return zstd.compress(raw, level);
  if (!cctx) cctx = wasm._ZSTD_createCCtx();
  if (raw.length > cap) {
    if (src) { wasm._free(src); wasm._free(dst); }
    cap = raw.length;
    src = wasm._malloc(cap);
    dst = wasm._malloc(wasm._ZSTD_compressBound(cap));
  }
  wasm.HEAPU8.set(raw, src);
  const n = wasm._ZSTD_compress_usingDict(cctx, dst, wasm._ZSTD_compressBound(cap), src, raw.length, 0, 0, level);
  if (wasm._ZSTD_isError(n)) return zstd.compress(raw, level);
  return wasm.HEAPU8.slice(dst, dst + n);
}
const post = (msg, transfer) => parentPort.postMessage(msg, transfer);
let lastRaw = false;
function compressChunk(raw) {
  if (lastRaw && raw.length >= 64 * 1024) {
    const probe = 16 * 1024, mid = (raw.length >> 1) - (probe >> 1);
    const a = zc(raw.subarray(0, probe)).length;
    const b = zc(raw.subarray(mid, mid + probe)).length;
    if (a > probe * 0.97 && b > probe * 0.97) return { data: raw, codec: 0 };
  }
  const c = zc(raw);
  lastRaw = c.length >= raw.length - (raw.length >> 5);
  if (lastRaw) return { data: raw, codec: 0 };
  return { data: c, codec: 1 };
}
// Compress (and encrypt) the raw chunk in its slot and reply with the blob: back in the same slot when it fits
// (no allocation, no transfer), else transferred. \`extra\` is merged into the reply.
function sealChunk(seq, raw, id, extra, send = post) {
  const { data, codec } = compressChunk(raw);
  if (!dataKey && data === raw) {
    send({ seq, codec, inSlot: true, ...extra });
    return;
  }
  let blob;
  if (dataKey) {
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', dataKey, nonce);
    c.setAAD(Buffer.from(id, 'hex'));
    const a = c.update(data), b = c.final();
    blob = new Uint8Array(Buffer.concat([nonce, a, b, c.getAuthTag()]));
  } else {
    blob = data;
  }
  if (blob.length <= slotSize) {
    new Uint8Array(sab, raw.byteOffset, blob.length).set(blob);
    send({ seq, codec, inSlot: true, length: blob.length, ...extra });
    return;
  }
  // Transfer exactly the blob's bytes (a Buffer's slice() is a view, so copy the range of its ArrayBuffer).
  const ab = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength
    ? blob.buffer
    : blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength);
  send({ seq, blob: ab, codec, ...extra }, [ab]);
}
function hashFrom(m, send) {
  const out = new Uint8Array(sab, m.slot * slotSize, m.len);
  readPieces(m.pieces, out).then(() => {
    try {
      if (Buffer.from(sab, m.slot * slotSize, m.len).equals(ZERO.subarray(0, m.len))) {
        send({ seq: m.seq, zero: true });
        return;
      }
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      const id = h.update(out).digest('hex');
      if (m.seal) sealChunk(m.seq, out, id, { id }, send);
      else {
        held.set(m.seq, out);
        send({ seq: m.seq, id });
      }
    } catch (e) {
      send({ seq: m.seq, error: String((e && e.stack) || e) });
    }
  }, (e) => send({ seq: m.seq, readError: String((e && e.message) || e), readCode: e && e.code, readFile: e && e.file }));
}
parentPort.on('message', async (m) => {
  if (ready) await ready;
  try {
    if (m.t === 'hash') {
      const data = new Uint8Array(sab, m.slot * slotSize, m.len);
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      held.set(m.seq, data);
      parentPort.postMessage({ seq: m.seq, id: h.update(data).digest('hex') });
    } else if (m.t === 'seal') {
      const raw = held.get(m.seq);
      held.delete(m.seq);
      sealChunk(m.seq, raw, m.id, {});
    } else if (m.t === 'verify') {
      const data = new Uint8Array(sab, m.slot * slotSize, m.len);
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      parentPort.postMessage({ seq: m.seq, id: h.update(data).digest('hex') });
    } else if (m.t === 'drop') {
      held.delete(m.seq);
    } else if (m.t === 'loadInto') {
      const statuses = m.items.map((it) => decodeTo(it, new Uint8Array(m.dest, it.at, it.rawLength)));
      parentPort.postMessage({ seq: m.seq, statuses });
    } else if (m.t === 'hashFrom') {
      hashFrom(m, post);
    } else if (m.t === 'hashFromMany') {
      // One reply for the whole group, once every chunk of it is done (each with its own result or error).
      const replies = [], transfer = [];
      let left = m.items.length;
      const collect = (r, t) => {
        replies.push(r);
        if (t) transfer.push(...t);
        if (--left === 0) parentPort.postMessage({ seq: -1, replies }, transfer);
      };
      for (const it of m.items) {
        try {
          hashFrom(it, collect);
        } catch (e) {
          collect({ seq: it.seq, error: String((e && e.stack) || e) });
        }
      }
    } else if (m.t === 'closeFiles') {
      closeIdleFiles();
      parentPort.postMessage({ seq: m.seq });
    } else if (m.t === 'zstd') {
      parentPort.postMessage({ seq: m.seq, zstd: native ? 'native' : 'wasm' });
    }
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String((e && e.stack) || e) });
  }
});
`;
