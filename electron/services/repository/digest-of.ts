// The content digest (digest.ts) of a disk image: read here in large pieces, each chunk hashed on a worker thread.
import { HvbcError } from '../../../shared/errors';
import type { ChunkProcessor } from './chunk-pool';
import { chunkCount } from './chunking';
import { isZero, tableDigest } from './digest';

export interface DigestSource {
  virtualSize: number;
  readInto(buf: Buffer, offset: number): Promise<void>;
}

export interface DigestOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Read eight chunks at a time into two alternating buffers and hand each chunk to a worker to hash. */
export async function digestOf(
  pool: ChunkProcessor,
  cs: number,
  source: DigestSource,
  opts: DigestOptions = {},
): Promise<string> {
  const vs = source.virtualSize;
  const table = Buffer.alloc(chunkCount(vs, cs) * 32);
  const step = cs * 8;
  const bufs = [
    Buffer.allocUnsafe(Math.min(step, Math.max(vs, 1))),
    Buffer.allocUnsafe(Math.min(step, Math.max(vs, 1))),
  ];
  const read = (k: number): Promise<Buffer> | null => {
    const off = k * step;
    if (off >= vs) return null;
    const b = (bufs[k & 1] as Buffer).subarray(0, Math.min(step, vs - off));
    return source.readInto(b, off).then(() => b);
  };
  let next = read(0);
  const pending: Array<Promise<void>> = [];
  for (let k = 0; next; k++) {
    if (opts.signal?.aborted) throw new HvbcError('CANCELED', 'Verification was canceled.');
    const buf = await next;
    next = read(k + 1);
    for (let o = 0; o < buf.length; o += cs) {
      const chunk = buf.subarray(o, Math.min(buf.length, o + cs));
      if (isZero(chunk)) continue;
      const v = pool.verify(chunk);
      const at = (k * step + o) / cs;
      pending.push(
        v.id
          .then((id) => {
            table.write(id, at * 32, 32, 'hex');
          })
          .finally(() => v.release()),
      );
    }
    // The next read reuses this buffer two turns from now; verify() copied what it needs.
    await Promise.all(pending.splice(0));
    opts.onProgress?.(Math.min(vs, (k + 1) * step), vs);
  }
  return tableDigest(table, cs, vs);
}
