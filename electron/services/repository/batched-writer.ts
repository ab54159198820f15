// Restores from backends without local pack files (readDiskTo's fallback): coalesces consecutive restored chunks
// into large writes and keeps up to four in flight, so decompression (ahead) overlaps disk writes (behind). Data is copied in, since the repository reuses its buffers once the sink returns;
// the batch buffers themselves are reused (a fresh 8 MiB buffer per write made the garbage collector the bottleneck)
// and page-aligned, so unbuffered writes (direct-io.ts) go straight from them.
import { alignedBuffer } from '../direct-io';

export interface RandomWriter {
  write(offset: number, data: Buffer): Promise<void>;
}

export class BatchedWriter {
  private buf: Buffer;
  private start = -1;
  private used = 0;
  private inflight: Promise<void>[] = [];
  private failed: unknown = null;
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly target: RandomWriter,
    private readonly batchBytes = 16 * 1024 * 1024,
    private readonly maxInflight = 4,
  ) {
    this.buf = alignedBuffer(batchBytes);
  }

  /** Queue `data` for `offset`; resolves once it is copied (and earlier batches have room to drain). */
  async add(offset: number, data: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (
      this.used > 0 &&
      (offset !== this.start + this.used || this.used + data.length > this.batchBytes)
    )
      await this.issue();
    if (data.length > this.batchBytes) {
      await this.push(offset, Buffer.from(data));
      return;
    }
    if (this.used === 0) this.start = offset;
    data.copy(this.buf, this.used);
    this.used += data.length;
  }

  /** Write what is buffered and wait for every write; throws the first write error. */
  async finish(): Promise<void> {
    if (this.used > 0) await this.issue();
    await Promise.all(this.inflight);
    if (this.failed) throw this.failed;
  }

  private async issue(): Promise<void> {
    const full = this.buf;
    const data = full.subarray(0, this.used);
    const at = this.start;
    this.buf = this.spare.pop() ?? alignedBuffer(this.batchBytes);
    this.used = 0;
    await this.push(at, data, full);
  }

  private async push(offset: number, data: Buffer, reuse?: Buffer): Promise<void> {
    while (this.inflight.length >= this.maxInflight) await this.inflight.shift();
    const p = this.target
      .write(offset, data)
      .then(() => {
        if (reuse) this.spare.push(reuse);
      })
      .catch((e: unknown) => {
        this.failed ??= e;
      });
    this.inflight.push(p);
  }
}
