// Positional file I/O for the engine: full reads/writes, fsync, and an optional in-memory overlay (log replay without writing).
import type { FileHandle } from 'node:fs/promises';
import { DirectWriter } from '../direct-io';
import type { LogOp } from './log';

/** Largest single read/write handed to the OS (fs limits one call to < 2 GiB). */
const MAX_IO = 1 << 30;

export class FileIo {
  /** Ops applied on top of what is read from disk (in-memory log replay); in order. */
  private overlay: LogOp[] = [];
  private overlayMin = Infinity;
  private overlayMax = -Infinity;

  constructor(
    readonly fh: FileHandle,
    readonly path: string,
    /** Physical size of the file on disk. */
    public diskSize: number,
  ) {}

  /** Size as the engine sees it: disk size, or larger after an in-memory replay extended it. */
  logicalSize = 0;

  setOverlay(ops: LogOp[], logicalSize: number): void {
    this.overlay = ops;
    this.logicalSize = Math.max(this.diskSize, logicalSize);
    for (const op of ops) {
      const len = op.data ? op.data.length : (op.zeroLength ?? 0);
      this.overlayMin = Math.min(this.overlayMin, op.fileOffset);
      this.overlayMax = Math.max(this.overlayMax, op.fileOffset + len);
    }
  }

  /** Reads come straight from the file: no log replayed in memory over it. */
  get plain(): boolean {
    return this.overlay.length === 0 && this.logicalSize <= this.diskSize;
  }

  get size(): number {
    return Math.max(this.diskSize, this.logicalSize);
  }

  /**
   * Read up to `len` bytes at `pos` into `buf[off..]`; stops at end of file. Returns bytes read.
   * Bytes past the physical end but inside the logical size (after an in-memory replay) read as zeros.
   */
  async readInto(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    if (this.issued.size) await this.drain();
    let done = 0;
    while (done < len) {
      const want = Math.min(len - done, MAX_IO);
      const { bytesRead } = await this.fh.read(buf, off + done, want, pos + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done < len && this.logicalSize > this.diskSize) {
      const until = Math.min(len, Math.max(0, this.logicalSize - pos));
      if (until > done) {
        buf.fill(0, off + done, off + until);
        done = until;
      }
    }
    if (this.overlay.length > 0 && pos < this.overlayMax && pos + len > this.overlayMin)
      this.applyOverlay(buf, off, len, pos);
    return done;
  }

  /** Read exactly `len` bytes; bytes past end of file are zero. */
  async readZeroPadded(pos: number, len: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(len);
    const n = await this.readInto(b, 0, len, pos);
    if (n < len) b.fill(0, n);
    return b;
  }

  private applyOverlay(buf: Buffer, off: number, len: number, pos: number): void {
    const end = pos + len;
    for (const op of this.overlay) {
      const opLen = op.data ? op.data.length : (op.zeroLength ?? 0);
      const s = Math.max(pos, op.fileOffset);
      const e = Math.min(end, op.fileOffset + opLen);
      if (s >= e) continue;
      if (op.data) op.data.copy(buf, off + (s - pos), s - op.fileOffset, e - op.fileOffset);
      else buf.fill(0, off + (s - pos), off + (e - pos));
    }
  }

  /** True when something was written (or the size changed) since the last fsync. */
  dirty = false;

  async writeAll(data: Buffer, pos: number): Promise<void> {
    if (this.issued.size) await this.drain();
    this.dirty = true;
    let done = 0;
    while (done < data.length) {
      const want = Math.min(data.length - done, MAX_IO);
      const { bytesWritten } = await this.fh.write(data, done, want, pos + done);
      if (bytesWritten <= 0) throw new Error(`short write to ${this.path} at ${pos + done}`);
      done += bytesWritten;
    }
    if (pos + data.length > this.diskSize) this.diskSize = pos + data.length;
  }

  private direct: DirectWriter | null = null;

  /** Route block payload writes (writePayload) through an unbuffered handle where possible. */
  async enableDirect(): Promise<void> {
    this.direct ??= await DirectWriter.open(this.path, this.fh);
  }

  /** Unbuffered payload writes issued and not yet finished; the first that failed. */
  private readonly issued = new Set<Promise<void>>();
  private issueError: unknown = null;
  /**
   * While set (by the image, around one write call), unbuffered payload writes are only issued here and the
   * image's caller awaits them after the image's lock is released, so several writes reach the device at once.
   */
  collect: Array<Promise<void>> | null = null;

  /** Write block payload: unbuffered when enabled and aligned, else like writeAll. */
  async writePayload(data: Buffer, pos: number): Promise<void> {
    if (!this.direct) return this.writeAll(data, pos);
    this.dirty = true;
    if (pos + data.length > this.diskSize) this.diskSize = pos + data.length;
    const p = this.direct.write(data, pos);
    const tracked: Promise<void> = p
      .catch((e: unknown) => {
        this.issueError ??= e;
      })
      .finally(() => this.issued.delete(tracked));
    this.issued.add(tracked);
    if (this.collect) this.collect.push(p);
    else await p;
  }

  /** Wait for issued payload writes; throws if one failed (nothing may then point at its data). */
  async drain(): Promise<void> {
    while (this.issued.size) await Promise.all(this.issued);
    if (this.issueError) throw this.issueError;
  }

  async close(): Promise<void> {
    await Promise.all(this.issued);
    await this.direct?.close();
    this.direct = null;
    await this.fh.close().catch(() => undefined);
  }

  async sync(): Promise<void> {
    await this.drain();
    this.dirty = false;
    await this.fh.sync();
  }

  /** fsync only when something changed since the last one. */
  async syncIfDirty(): Promise<void> {
    if (this.dirty) await this.sync();
  }

  async truncate(size: number): Promise<void> {
    await this.drain();
    this.dirty = true;
    await this.fh.truncate(size);
    this.diskSize = size;
  }
}
