// `hvbc vhdx …`: inspect, map, check/repair, merge, flatten, create and diff VHDX files from the command line.
// Standalone runner (until wired into hvbc): npx tsx electron/cli/commands/vhdx.ts info disk.vhdx
import { parseArgs } from 'node:util';
import { HvbcError } from '../../../shared/errors';
import {
  checkVhdx,
  createDifferencing,
  createVhdx,
  diffDisks,
  flattenChain,
  formatBytes,
  formatCheckReport,
  mergeIntoParent,
  openChain,
  openVhdx,
  type Extent,
  type VhdxInfo,
} from '../../services/vhdx/index';

export interface VhdxCommandIO {
  log: (s: string) => void;
  error: (s: string) => void;
}

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `Usage: hvbc vhdx <command> [options]

Commands:
  info <path>                         Type, sizes, GUIDs, parent locator, log state
  map <path> [--chain]                Extents: data / zero / parent (--chain: merged view, data / zero)
  chain <path>                        The file and its parents, child first
  check <path> [--repair]             Validate the structure; --repair fixes what is safe (log replay, bad header or region-table copy)
  merge <child>                       Merge a differencing disk into its parent, then delete it (like Merge-VHD)
  flatten <in> <out> [--fixed]        Write the merged content of a chain to a new standalone file
  create <path> --size 10G [--fixed] [--block-size 32M] [--sector-size 512|4096]
  create <path> --parent <parent>     Create a differencing disk (size comes from the parent)
  diff <a> <b>                        Byte ranges where the two disks (or chains) differ

Every command takes --json (machine-readable output) and --help.
Sizes accept K, M, G, T suffixes (powers of 1024), e.g. 10G, 512M.
Exit codes: 0 success; 1 failure, problems found (check) or differences found (diff); 2 bad usage.`,
  info: 'Usage: hvbc vhdx info <path> [--json] [--replay-in-memory]\n  Show what the file says about itself. --replay-in-memory reads a file with a pending log without modifying it.',
  map: 'Usage: hvbc vhdx map <path> [--chain] [--json]\n  List extents of the virtual disk: data (stored in this file), zero, parent (inherited). --chain shows the merged view of the whole chain.',
  chain:
    'Usage: hvbc vhdx chain <path> [--json]\n  Resolve parents (relative path, absolute path, volume path) and check each link.',
  check:
    'Usage: hvbc vhdx check <path> [--repair] [--json]\n  Validate headers, log, region tables, metadata and BAT. Exit 1 when errors remain.\n  --repair: replay a pending log, rewrite a bad header or region-table copy from the good one.',
  merge:
    'Usage: hvbc vhdx merge <child> [--json]\n  Merge a differencing disk into its parent and delete it. Other children of that parent stop linking to it (as with Hyper-V).\n  If interrupted, run the same command again to finish.',
  flatten:
    'Usage: hvbc vhdx flatten <in> <out> [--fixed] [--json]\n  Write the merged content of the chain ending at <in> to a new standalone VHDX (dynamic unless --fixed).',
  create:
    'Usage: hvbc vhdx create <path> --size <size> [--fixed] [--block-size <size>] [--sector-size 512|4096] [--json]\n       hvbc vhdx create <path> --parent <parent> [--block-size <size>] [--json]',
  diff: 'Usage: hvbc vhdx diff <a> <b> [--json]\n  Compare the merged content of two disks. Exit 0 when identical, 1 when they differ.',
};

/** Parse "10G", "512M", "1.5T", "4096" into bytes (binary units). */
export function parseSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(s);
  if (!m)
    throw new UsageError(
      `"${s}" is not a size. Use a number of bytes or a K/M/G/T suffix, e.g. 10G.`,
    );
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    (m[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'
  ];
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new UsageError(`"${s}" is not a whole, positive number of bytes.`);
  return v;
}

function infoLines(i: VhdxInfo): string[] {
  const l = [
    `Path:              ${i.path}`,
    `Type:              ${i.kind}`,
    `Virtual size:      ${formatBytes(i.virtualSize)} (${i.virtualSize} bytes)`,
    `Block size:        ${formatBytes(i.blockSize)}`,
    `Sector size:       ${i.logicalSectorSize} logical / ${i.physicalSectorSize} physical`,
    `File size:         ${formatBytes(i.fileSize)} (${formatBytes(i.allocatedBytes)} in allocated blocks)`,
    `Virtual disk ID:   ${i.virtualDiskId}`,
    `DataWriteGuid:     ${i.dataWriteGuid}`,
    `FileWriteGuid:     ${i.fileWriteGuid}`,
    `Log:               ${i.logPending ? `PENDING (LogGuid ${i.logGuid}) — run \`hvbc vhdx check --repair\`` : 'clean'}`,
    `Header sequence:   ${i.headerSequence}`,
  ];
  if (i.creator) l.push(`Creator:           ${i.creator}`);
  if (i.parent) {
    l.push(`Parent linkage:    ${i.parent.linkage}`);
    if (i.parent.relativePath) l.push(`  relative path:   ${i.parent.relativePath}`);
    if (i.parent.absoluteWin32Path) l.push(`  absolute path:   ${i.parent.absoluteWin32Path}`);
    if (i.parent.volumePath) l.push(`  volume path:     ${i.parent.volumePath}`);
  }
  return l;
}

function extentLines(ex: Extent[]): string[] {
  const w = Math.max(...ex.map((e) => String(e.offset + e.length).length), 6);
  const lines = [`${'offset'.padStart(w)}  ${'length'.padStart(w)}  kind`];
  for (const e of ex)
    lines.push(
      `${String(e.offset).padStart(w)}  ${String(e.length).padStart(w)}  ${e.kind}   (${formatBytes(e.length)})`,
    );
  const total = (k: string): number =>
    ex.filter((e) => e.kind === k).reduce((s, e) => s + e.length, 0);
  lines.push(
    `data ${formatBytes(total('data'))}, zero ${formatBytes(total('zero'))}${ex.some((e) => e.kind === 'parent') ? `, parent ${formatBytes(total('parent'))}` : ''}`,
  );
  return lines;
}

function need(pos: string[], n: number, sub: string): void {
  if (pos.length < n) throw new UsageError(`missing argument(s).\n${HELP[sub] ?? ''}`);
  if (pos.length > n) throw new UsageError(`unexpected argument "${pos[n]}".\n${HELP[sub] ?? ''}`);
}

async function run(sub: string, args: string[], io: VhdxCommandIO): Promise<number> {
  const { values: v, positionals: pos } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      repair: { type: 'boolean', default: false },
      fixed: { type: 'boolean', default: false },
      chain: { type: 'boolean', default: false },
      size: { type: 'string' },
      parent: { type: 'string' },
      'block-size': { type: 'string' },
      'sector-size': { type: 'string' },
      'replay-in-memory': { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    io.log(HELP[sub] ?? HELP.main ?? '');
    return 0;
  }
  const allowed: Record<string, string[]> = {
    info: ['json', 'help', 'replay-in-memory'],
    map: ['json', 'help', 'chain'],
    chain: ['json', 'help'],
    check: ['json', 'help', 'repair'],
    merge: ['json', 'help'],
    flatten: ['json', 'help', 'fixed'],
    create: ['json', 'help', 'fixed', 'size', 'parent', 'block-size', 'sector-size'],
    diff: ['json', 'help'],
  };
  const given = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0] ?? '');
  for (const g of given)
    if (!(allowed[sub] ?? []).includes(g))
      throw new UsageError(`option --${g} does not apply here.\n${HELP[sub] ?? ''}`);
  const json = v.json === true;
  const out = (obj: unknown, text: () => string[]): void => {
    if (json) io.log(JSON.stringify(obj, null, 2));
    else for (const l of text()) io.log(l);
  };

  switch (sub) {
    case 'info': {
      need(pos, 1, sub);
      const f = await openVhdx(pos[0] as string, {
        replayLog: v['replay-in-memory'] ? 'in-memory' : 'refuse',
      });
      try {
        const info = f.info;
        const blocks = f.blockSummary();
        out({ ...info, blocks }, () => [
          ...infoLines(info),
          `Blocks:            ${Object.entries(blocks)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}`,
        ]);
      } finally {
        await f.close();
      }
      return 0;
    }
    case 'map': {
      need(pos, 1, sub);
      if (v.chain) {
        const c = await openChain(pos[0] as string);
        try {
          const ex = await c.extents();
          out({ path: pos[0], merged: true, virtualSize: c.virtualSize, extents: ex }, () =>
            extentLines(ex),
          );
        } finally {
          await c.close();
        }
      } else {
        const f = await openVhdx(pos[0] as string);
        try {
          const ex = await f.extents();
          out({ path: pos[0], merged: false, virtualSize: f.info.virtualSize, extents: ex }, () =>
            extentLines(ex),
          );
        } finally {
          await f.close();
        }
      }
      return 0;
    }
    case 'chain': {
      need(pos, 1, sub);
      const c = await openChain(pos[0] as string);
      try {
        out({ files: c.files, virtualSize: c.virtualSize }, () =>
          c.files.map(
            (f, i) =>
              `${i === 0 ? '' : `${'  '.repeat(i - 1)}└─ `}${f.path}  [${f.kind}, ${formatBytes(f.fileSize)}, DataWriteGuid ${f.dataWriteGuid}${f.parent ? `, links to ${f.parent.linkage}` : ''}]`,
          ),
        );
      } finally {
        await c.close();
      }
      return 0;
    }
    case 'check': {
      need(pos, 1, sub);
      const r = await checkVhdx(pos[0] as string, { repair: v.repair === true });
      out(r, () => [formatCheckReport(r)]);
      return r.ok ? 0 : 1;
    }
    case 'merge': {
      need(pos, 1, sub);
      const r = await mergeIntoParent(pos[0] as string);
      out(r, () => [
        `Merged ${formatBytes(r.bytesMerged)} from ${pos[0]} into ${r.parentPath}; ${pos[0]} was deleted.`,
      ]);
      return 0;
    }
    case 'flatten': {
      need(pos, 2, sub);
      const info = await flattenChain(pos[0] as string, pos[1] as string, {
        type: v.fixed ? 'fixed' : 'dynamic',
      });
      out(info, () => [
        `Wrote ${info.path} (${info.kind}, ${formatBytes(info.virtualSize)} virtual, ${formatBytes(info.fileSize)} file).`,
      ]);
      return 0;
    }
    case 'create': {
      need(pos, 1, sub);
      const blockSize = v['block-size'] !== undefined ? parseSize(v['block-size']) : undefined;
      let sector: 512 | 4096 | undefined;
      if (v['sector-size'] !== undefined) {
        if (v['sector-size'] !== '512' && v['sector-size'] !== '4096')
          throw new UsageError('--sector-size must be 512 or 4096.');
        sector = Number(v['sector-size']) as 512 | 4096;
      }
      let f;
      if (v.parent !== undefined) {
        if (v.fixed || sector !== undefined)
          throw new UsageError(
            'create --parent makes a differencing disk: --fixed and --sector-size do not apply (they come from the parent).',
          );
        f = await createDifferencing(
          pos[0] as string,
          v.parent,
          blockSize !== undefined ? { blockSize } : {},
        );
        if (v.size !== undefined && parseSize(v.size) !== f.info.virtualSize) {
          const info = f.info;
          await f.close();
          io.error(
            `hvbc vhdx create: note: --size is ignored for a differencing disk; it has the parent's size ${info.virtualSize}.`,
          );
          f = await openVhdx(pos[0] as string);
        }
      } else {
        if (v.size === undefined)
          throw new UsageError(
            `--size is required (or --parent for a differencing disk).\n${HELP.create}`,
          );
        f = await createVhdx(pos[0] as string, {
          virtualSize: parseSize(v.size),
          type: v.fixed ? 'fixed' : 'dynamic',
          ...(blockSize !== undefined ? { blockSize } : {}),
          ...(sector !== undefined ? { logicalSectorSize: sector } : {}),
        });
      }
      const info = f.info;
      await f.close();
      out(info, () => [
        `Created ${info.path}: ${info.kind}, ${formatBytes(info.virtualSize)} virtual, ${formatBytes(info.blockSize)} blocks.`,
      ]);
      return 0;
    }
    case 'diff': {
      need(pos, 2, sub);
      const ranges = await diffDisks(pos[0] as string, pos[1] as string);
      const bytes = ranges.reduce((s, r) => s + r.length, 0);
      out(
        { a: pos[0], b: pos[1], identical: ranges.length === 0, differingBytes: bytes, ranges },
        () =>
          ranges.length === 0
            ? ['The disks are identical.']
            : [
                `${ranges.length} differing range(s), ${formatBytes(bytes)}:`,
                ...ranges.slice(0, 1000).map((r) => `  ${r.offset}+${r.length}`),
                ...(ranges.length > 1000
                  ? [`  ... ${ranges.length - 1000} more (use --json for all)`]
                  : []),
              ],
      );
      return ranges.length === 0 ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${sub}".\n${HELP.main}`);
  }
}

/** Entry point for `hvbc vhdx …`. Returns the exit code. */
export async function vhdxCommand(argv: string[], io: VhdxCommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? io.error : io.log)(HELP.main ?? '');
    return sub === undefined ? 2 : 0;
  }
  const json = rest.includes('--json');
  try {
    return await run(sub, rest, io);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof Error &&
        'code' in e &&
        typeof (e as { code: unknown }).code === 'string' &&
        (e as { code: string }).code.startsWith('ERR_PARSE_ARGS'))
    ) {
      io.error(`hvbc vhdx ${sub}: ${e.message}`);
      if (!(e instanceof UsageError))
        io.error(`Run "hvbc vhdx ${HELP[sub] ? `${sub} ` : ''}--help" for usage.`);
      return 2;
    }
    const err =
      e instanceof HvbcError
        ? e
        : new HvbcError('INTERNAL', e instanceof Error ? e.message : String(e));
    if (json) io.log(JSON.stringify({ ok: false, error: err.toData() }, null, 2));
    io.error(`hvbc vhdx ${sub}: [${err.code}] ${err.message}`);
    return 1;
  }
}

const isMain =
  process.argv[1] !== undefined &&
  /electron[\\/]cli[\\/]commands[\\/]vhdx\.ts$/.test(process.argv[1]);
if (isMain) {
  void vhdxCommand(process.argv.slice(2), {
    log: (s) => process.stdout.write(`${s}\n`),
    error: (s) => process.stderr.write(`${s}\n`),
  }).then((code) => process.exit(code));
}
