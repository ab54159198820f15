// Differencing chains: resolve parents (relative, absolute, volume path), verify linkage, and read the merged view.
import { realpath, stat } from 'node:fs/promises';
import nodePath from 'node:path';
import { HvbcError, invalid, withPath } from './errors';
import { RUN_DATA, RUN_PARENT, VhdxImage } from './file';
import { guidEquals, isZeroGuid } from './guid';
import type { Chain, Extent, OpenOptions, Piece, VhdxInfo } from './types';

export interface ChainOptions {
  replayLog?: 'refuse' | 'in-memory';
  /** Called first for every differencing file; return a path to try before the locator's hints. */
  resolveParent?: (child: VhdxInfo) => string | undefined;
}

const MAX_DEPTH = 256;

/** Turn a Windows path from a locator into path segments. */
function winSegments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s.length > 0);
}

function winBasename(p: string): string {
  const segs = winSegments(p);
  return segs[segs.length - 1] ?? '';
}

/**
 * Candidate parent paths in the order openChain tries them: the caller's resolver, relative_path
 * (against the child's folder), absolute_win32_path (as-is on Windows, then its file name beside the
 * child), volume_path (as-is on Windows, then its file name beside the child).
 */
export function parentCandidates(
  child: VhdxInfo,
  resolveParent?: (child: VhdxInfo) => string | undefined,
): string[] {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    if (p && !out.includes(p)) out.push(p);
  };
  const dir = nodePath.dirname(nodePath.resolve(child.path));
  const parent = child.parent;
  add(resolveParent?.(child));
  if (!parent) return out;
  if (parent.relativePath) {
    const segs = winSegments(parent.relativePath).filter((s) => s !== '.');
    if (/^[A-Za-z]:/.test(parent.relativePath) || parent.relativePath.startsWith('\\\\'))
      add(process.platform === 'win32' ? parent.relativePath : undefined);
    else if (segs.length > 0) add(nodePath.resolve(dir, ...segs));
  }
  if (parent.absoluteWin32Path) {
    if (process.platform === 'win32') add(parent.absoluteWin32Path);
    const base = winBasename(parent.absoluteWin32Path);
    if (base) add(nodePath.join(dir, base));
  }
  if (parent.volumePath) {
    if (process.platform === 'win32') add(parent.volumePath);
    const base = winBasename(parent.volumePath);
    if (base) add(nodePath.join(dir, base));
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export function linkageMatches(child: VhdxInfo, parentDataWriteGuid: string): boolean {
  const p = child.parent;
  if (!p) return false;
  if (guidEquals(p.linkage, parentDataWriteGuid)) return true;
  return (
    p.linkage2 !== undefined &&
    !isZeroGuid(p.linkage2) &&
    guidEquals(p.linkage2, parentDataWriteGuid)
  );
}

/** Open `path` and every parent up to the base, child first. Closes what it opened on failure. */
export async function openImages(path: string, opts: ChainOptions = {}): Promise<VhdxImage[]> {
  const openOpts: OpenOptions = { replayLog: opts.replayLog ?? 'refuse' };
  const imgs: VhdxImage[] = [];
  try {
    const leaf = await VhdxImage.open(path, openOpts);
    imgs.push(leaf);
    const seen = new Set<string>([await realpath(path)]);
    let child = leaf;
    while (child.meta.hasParent) {
      if (imgs.length >= MAX_DEPTH) {
        throw new HvbcError(
          'CHAIN_BROKEN',
          `The chain starting at ${path} is deeper than ${MAX_DEPTH} files; it is probably damaged. Check the parent locators with \`hvbc vhdx chain\`.`,
          { path },
        );
      }
      const info = child.info;
      const candidates = parentCandidates(info, opts.resolveParent);
      const present: string[] = [];
      for (const c of candidates) if (await exists(c)) present.push(c);
      if (present.length === 0) {
        const wanted =
          candidates[0] ??
          info.parent?.relativePath ??
          info.parent?.absoluteWin32Path ??
          '(no path in the locator)';
        throw new HvbcError(
          'PARENT_MISSING',
          `The parent of ${child.path} was not found. It wants ${JSON.stringify(info.parent?.absoluteWin32Path ?? info.parent?.relativePath ?? wanted)} ` +
            `(looked for: ${candidates.map((c) => JSON.stringify(c)).join(', ') || 'nothing to look for'}). ` +
            `Put the parent file there (it must be the exact file whose DataWriteGuid is ${info.parent?.linkage}), or pass resolveParent to point at it.`,
          {
            path: child.path,
            wanted,
            candidates,
            parentLinkage: info.parent?.linkage,
            relativePath: info.parent?.relativePath,
            absoluteWin32Path: info.parent?.absoluteWin32Path,
            volumePath: info.parent?.volumePath,
          },
        );
      }
      let chosen: VhdxImage | undefined;
      const mismatches: Array<{ path: string; dataWriteGuid: string }> = [];
      for (const c of present) {
        const real = await realpath(c);
        if (seen.has(real)) {
          throw new HvbcError(
            'CHAIN_CYCLE',
            `The chain loops: ${child.path} names ${c} as its parent, which is already in the chain (${[...seen].join(' -> ')}). The parent locators are damaged; fix them or restore the files.`,
            {
              path: child.path,
              parent: c,
              chain: [...seen],
            },
          );
        }
        const p = await VhdxImage.open(c, openOpts);
        if (linkageMatches(info, p.header.dataWriteGuid)) {
          chosen = p;
          seen.add(real);
          break;
        }
        mismatches.push({ path: c, dataWriteGuid: p.header.dataWriteGuid });
        await p.close();
      }
      if (!chosen) {
        const m = mismatches[0] as { path: string; dataWriteGuid: string };
        throw new HvbcError(
          'CHAIN_BROKEN',
          `The chain is broken: ${child.path} was made from a parent whose DataWriteGuid was ${info.parent?.linkage}, but ${m.path} now has ${m.dataWriteGuid}. ` +
            `The parent was modified (written to, or merged into) after the child was created, so the child's data no longer fits it. ` +
            `Restore the original parent, or, if a merge of this child was interrupted, run \`hvbc vhdx merge "${child.path}"\` again to finish it.`,
          {
            path: child.path,
            parent: m.path,
            expected: info.parent?.linkage,
            found: m.dataWriteGuid,
            mismatches,
          },
        );
      }
      if (
        chosen.meta.virtualSize !== child.meta.virtualSize ||
        chosen.meta.logicalSectorSize !== child.meta.logicalSectorSize
      ) {
        await chosen.close();
        throw new HvbcError(
          'CHAIN_BROKEN',
          `${child.path} (${child.meta.virtualSize} bytes, ${child.meta.logicalSectorSize}-byte sectors) does not match its parent ${chosen.path} (${chosen.meta.virtualSize} bytes, ${chosen.meta.logicalSectorSize}-byte sectors). Every disk in a chain must have the same size and sector size.`,
          { path: child.path, parent: chosen.path },
        );
      }
      imgs.push(chosen);
      child = chosen;
    }
    return imgs;
  } catch (e) {
    await Promise.all(imgs.map((i) => i.close().catch(() => undefined)));
    throw withPath(e, path);
  }
}

export class VhdxChain implements Chain {
  readonly files: VhdxInfo[];
  readonly virtualSize: number;
  readonly logicalSectorSize: number;

  /** Absolute paths of the images, filled on first use (locate). */
  private readonly absolute: string[] = [];

  constructor(readonly images: VhdxImage[]) {
    this.files = images.map((i) => i.info);
    const base = images[0] as VhdxImage;
    this.virtualSize = base.meta.virtualSize;
    this.logicalSectorSize = base.meta.logicalSectorSize;
  }

  private async readLevel(
    level: number,
    buf: Buffer,
    off: number,
    voff: number,
    len: number,
  ): Promise<void> {
    const img = this.images[level] as VhdxImage;
    const runs = await img.mapRange(voff, len);
    const next =
      level + 1 < this.images.length
        ? (b: Buffer, o: number, v: number, l: number) => this.readLevel(level + 1, b, o, v, l)
        : undefined;
    await img.readRuns(runs, buf, off, voff, next);
  }

  async readInto(buf: Buffer, offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + buf.length > this.virtualSize) {
      throw invalid(
        `range ${offset}+${buf.length} is outside the virtual disk (${this.virtualSize} bytes) of ${this.images[0]?.path}.`,
      );
    }
    if (buf.length === 0) return;
    await this.readLevel(0, buf, 0, offset, buf.length);
  }

  async locate(offset: number, length: number): Promise<Piece[] | null> {
    if (!this.images.every((i) => i.plainReads)) return null;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.virtualSize
    )
      throw invalid(
        `range ${offset}+${length} is outside the virtual disk (${this.virtualSize} bytes) of ${this.images[0]?.path}.`,
      );
    const out: Piece[] = [];
    await this.locateIn(0, offset, length, out);
    return out;
  }

  private async locateIn(level: number, voff: number, len: number, out: Piece[]): Promise<void> {
    const img = this.images[level] as VhdxImage;
    for (const r of await img.mapRange(voff, len)) {
      if (r.kind === RUN_DATA) {
        out.push({
          file: (this.absolute[level] ??= nodePath.resolve(img.path)),
          fileOffset: r.foff,
          length: r.len,
        });
      } else if (r.kind === RUN_PARENT && level + 1 < this.images.length) {
        await this.locateIn(level + 1, r.voff, r.len, out);
      } else {
        const last = out[out.length - 1];
        if (last && 'zero' in last) last.length += r.len;
        else out.push({ zero: true, length: r.len });
      }
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(length) || length < 0) throw invalid(`bad read length ${length}.`);
    const b = Buffer.allocUnsafe(length);
    await this.readInto(b, offset);
    return b;
  }

  private async mergedIn(level: number, start: number, end: number, out: Extent[]): Promise<void> {
    const add = (kind: 'data' | 'zero', offset: number, length: number): void => {
      const last = out[out.length - 1];
      if (last && last.kind === kind && last.offset + last.length === offset) last.length += length;
      else out.push({ offset, length, kind });
    };
    for (const e of await (this.images[level] as VhdxImage).extentsIn(start, end)) {
      if (e.kind !== 'parent') add(e.kind, e.offset, e.length);
      else if (level + 1 < this.images.length)
        await this.mergedIn(level + 1, e.offset, e.offset + e.length, out);
      else add('zero', e.offset, e.length);
    }
  }

  async extents(): Promise<Extent[]> {
    const out: Extent[] = [];
    await this.mergedIn(0, 0, this.virtualSize, out);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.images.map((i) => i.close()));
  }
}

export async function openChain(path: string, opts: ChainOptions = {}): Promise<Chain> {
  return new VhdxChain(await openImages(path, opts));
}
