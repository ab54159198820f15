// Merge a differencing child into its parent (like Merge-VHD), and flatten a chain into a new standalone file.
import { randomBytes } from 'node:crypto';
import { open as fsOpen, readFile, rename, stat, unlink } from 'node:fs/promises';
import nodePath from 'node:path';
import { openChain, openImages } from './chain';
import { createVhdx } from './create';
import { HvbcError, invalid, ioError } from './errors';
import { isSimulatedCrash, crashPoint } from './faults';
import { VhdxImage } from './file';
import { newGuid } from './guid';
import { MiB } from './layout';
import type { VhdxInfo } from './types';

/** Sidecar that makes an interrupted merge resumable: `<child>.hvbc-merge.json`. */
interface MergeJournal {
  version: 1;
  parent: string;
  parentDataWriteGuidBefore: string;
  parentDataWriteGuidAfter: string;
  parentBatOffsetBefore: number;
}

export function mergeJournalPath(childPath: string): string {
  return `${childPath}.hvbc-merge.json`;
}

async function readJournal(p: string): Promise<MergeJournal | undefined> {
  try {
    const j = JSON.parse(await readFile(p, 'utf8')) as MergeJournal;
    if (j.version !== 1 || typeof j.parent !== 'string') return undefined;
    return j;
  } catch {
    return undefined;
  }
}

async function writeDurable(p: string, data: string): Promise<void> {
  const fh = await fsOpen(p, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDir(nodePath.dirname(p));
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const d = await fsOpen(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some filesystems do not allow fsync on directories; the rename/unlink is still ordered.
  }
}

async function copyChildInto(child: VhdxImage, parent: VhdxImage): Promise<number> {
  let bytes = 0;
  const chunk = 32 * MiB;
  const buf = Buffer.allocUnsafe(chunk);
  for (const e of await child.extents()) {
    if (e.kind === 'parent') continue;
    if (e.kind === 'zero') {
      await parent.writeZeroes(e.offset, e.length);
    } else {
      for (let o = 0; o < e.length; o += chunk) {
        const n = Math.min(chunk, e.length - o);
        const b = buf.subarray(0, n);
        await child.readInto(b, e.offset + o);
        await parent.write(e.offset + o, b);
      }
    }
    bytes += e.length;
  }
  return bytes;
}

/**
 * Merge `childPath` into its parent, then delete the child (Merge-VHD semantics). The parent gets
 * a new DataWriteGuid, so any other child of that parent no longer links to it (as with Hyper-V).
 *
 * Crash safety:
 * 1. A journal `<child>.hvbc-merge.json` is written and fsynced first (parent path, its
 *    DataWriteGuid before and the one it will get, its BAT offset before).
 * 2. The parent is changed in atomic mode (VhdxImage.beginAtomic): merged blocks are written to fresh
 *    space at the end of the parent, never over existing blocks; a complete new BAT is written to
 *    fresh space; nothing existing is touched and everything is fsynced.
 * 3. Commit: header update with the new DataWriteGuid, then a single log entry that switches both
 *    region tables to the new BAT (fsynced: the commit point), applied in place, LogGuid cleared.
 * 4. The child is deleted, then the journal.
 * A crash before 3 leaves the parent with its old content and old DataWriteGuid: the chain reads
 * as before. A crash inside 3 (after the header, before the log entry is durable) leaves the old
 * content with the new DataWriteGuid: openChain on the child reports CHAIN_BROKEN and says to rerun
 * the merge, which the journal makes possible. A crash after the log entry is durable leaves the
 * new content (log replay completes it). Rerunning after 3 or 4 finishes without merging twice.
 */
export async function mergeIntoParent(
  childPath: string,
): Promise<{ parentPath: string; bytesMerged: number }> {
  const jPath = mergeJournalPath(childPath);
  try {
    await stat(childPath);
  } catch (e) {
    throw ioError(e, childPath);
  }
  const journal = await readJournal(jPath);
  const child = await VhdxImage.open(childPath, { replayLog: 'in-memory' });
  let parent: VhdxImage | undefined;
  try {
    if (!child.meta.hasParent) {
      throw invalid(
        `${childPath} is not a differencing disk, so there is nothing to merge. Merge works on a .avhdx child and its parent.`,
        { path: childPath },
      );
    }
    let parentPath: string;
    let resume = false;
    try {
      const imgs = await openImages(childPath, { replayLog: 'in-memory' });
      parentPath = (imgs[1] as VhdxImage).path;
      await Promise.all(imgs.map((i) => i.close()));
    } catch (e) {
      if (!(e instanceof HvbcError) || e.code !== 'CHAIN_BROKEN' || !journal) throw e;
      const p = await VhdxImage.open(journal.parent, { replayLog: 'in-memory' });
      const dwg = p.header.dataWriteGuid;
      await p.close();
      if (dwg !== journal.parentDataWriteGuidAfter) throw e;
      parentPath = journal.parent;
      resume = true;
    }
    const plan: MergeJournal =
      journal && nodePath.resolve(journal.parent) === nodePath.resolve(parentPath)
        ? journal
        : {
            version: 1,
            parent: nodePath.resolve(parentPath),
            parentDataWriteGuidBefore: '',
            parentDataWriteGuidAfter: newGuid(),
            parentBatOffsetBefore: -1,
          };

    parent = await VhdxImage.open(parentPath, { writable: true });
    if (!resume) {
      plan.parentDataWriteGuidBefore = parent.header.dataWriteGuid;
      plan.parentBatOffsetBefore = parent.regions.bat.fileOffset;
      await writeDurable(jPath, JSON.stringify(plan, null, 2));
      crashPoint('merge:after-journal');
    }
    let bytesMerged = 0;
    const committedEarlier = resume && parent.regions.bat.fileOffset !== plan.parentBatOffsetBefore;
    if (!committedEarlier) {
      await parent.beginAtomic(plan.parentDataWriteGuidAfter);
      bytesMerged = await copyChildInto(child, parent);
      crashPoint('merge:before-commit');
      if (bytesMerged > 0 || resume) await parent.commitAtomic();
    }
    await parent.close();
    parent = undefined;
    await child.close();
    crashPoint('merge:before-delete');
    await unlink(childPath);
    await unlink(jPath).catch(() => undefined);
    await syncDir(nodePath.dirname(childPath));
    return { parentPath, bytesMerged };
  } catch (e) {
    if (isSimulatedCrash(e)) {
      await parent?.abandon();
      await child.abandon();
    } else {
      await parent?.close().catch(() => undefined);
      await child.close().catch(() => undefined);
    }
    throw e;
  }
}

function isAllZero(b: Buffer): boolean {
  return b.equals(zeroBlock(b.length));
}

let zeroCache: Buffer | undefined;
function zeroBlock(n: number): Buffer {
  if (!zeroCache || zeroCache.length < n) zeroCache = Buffer.alloc(Math.max(n, MiB));
  return zeroCache.subarray(0, n);
}

/**
 * Write the merged content of the chain ending at `path` into a new standalone file `outPath`.
 * The output is built under a temporary name beside `outPath`, fsynced, and renamed into place, so
 * a crash leaves either no `outPath` or a complete one (plus, at worst, a `.partial-*` file).
 */
export async function flattenChain(
  path: string,
  outPath: string,
  opts: { type?: 'fixed' | 'dynamic' } = {},
): Promise<VhdxInfo> {
  try {
    await stat(outPath);
    throw invalid(`${outPath} already exists. Delete it or choose another output path.`, {
      path: outPath,
    });
  } catch (e) {
    if (e instanceof HvbcError) throw e;
  }
  const chain = await openChain(path);
  const tmp = nodePath.join(
    nodePath.dirname(nodePath.resolve(outPath)),
    `.${nodePath.basename(outPath)}.partial-${randomBytes(4).toString('hex')}`,
  );
  let out: VhdxImage | undefined;
  try {
    const leaf = chain.files[0] as VhdxInfo;
    const base = chain.files[chain.files.length - 1] as VhdxInfo;
    out = await createVhdx(tmp, {
      virtualSize: chain.virtualSize,
      type: opts.type ?? 'dynamic',
      blockSize: base.blockSize,
      logicalSectorSize: leaf.logicalSectorSize as 512 | 4096,
      physicalSectorSize: leaf.physicalSectorSize as 512 | 4096,
      virtualDiskId: leaf.virtualDiskId,
    });
    const bs = out.meta.blockSize;
    const step = Math.max(bs, 32 * MiB);
    const buf = Buffer.allocUnsafe(step);
    for (const e of await chain.extents()) {
      if (e.kind !== 'data') continue;
      const end = e.offset + e.length;
      for (let o = e.offset; o < end;) {
        // read up to `step` bytes, cut at block boundaries so all-zero blocks can be skipped
        const n = Math.min(end - o, step - (o % bs));
        const b = buf.subarray(0, n);
        await chain.readInto(b, o);
        for (let p = 0; p < n;) {
          const q = Math.min(n, p + (bs - ((o + p) % bs)));
          const part = b.subarray(p, q);
          if (!isAllZero(part)) await out.write(o + p, part);
          p = q;
        }
        o += n;
      }
    }
    await out.close();
    out = undefined;
    crashPoint('flatten:before-rename');
    await rename(tmp, outPath);
    await syncDir(nodePath.dirname(nodePath.resolve(outPath)));
  } catch (e) {
    if (out) await out.abandon();
    if (!isSimulatedCrash(e)) await unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    await chain.close();
  }
  const done = await VhdxImage.open(outPath);
  try {
    return done.info;
  } finally {
    await done.close();
  }
}
