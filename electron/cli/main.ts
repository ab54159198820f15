// The hvbc command line: one entry point, a table of commands over the same services as the console.
import { inventoryCommand } from './commands/inventory';
import { processIO, type CliCommand, type CliIO } from './io';

interface CommandEntry {
  summary: string;
  load: () => Promise<CliCommand>;
}

/** Commands are loaded lazily so `hvbc --help` stays fast. */
export const commands: Record<string, CommandEntry> = {
  inventory: {
    summary: 'Show the estate: cluster, nodes, CSVs, VMs and flags',
    load: async () => inventoryCommand,
  },
  lab: {
    summary: 'The embedded lab: init, reset, io, fault, checkpoint, csv, migrate, events',
    load: async () => (await import('./commands/lab')).labCommand,
  },
  vhdx: {
    summary: 'VHDX engine: info, map, chain, check, merge, flatten, create, diff',
    load: async () => (await import('./commands/vhdx')).vhdxCommand,
  },
  backup: {
    summary: 'Back up VMs into the repository (full or incremental)',
    load: async () => (await import('./commands/backup')).backupCommand,
  },
  restore: {
    summary: 'Restore a point as a new VM, verified by hash (or in place on the lab)',
    load: async () => (await import('./commands/backup')).restoreCommand,
  },
  points: {
    summary: 'List restore points',
    load: async () => (await import('./commands/backup')).pointsCommand,
  },
  repo: {
    summary: 'Repository: init, check, gc, stats, forget',
    load: async () => (await import('./commands/backup')).repoCommand,
  },
  drill: {
    summary: 'Restore drills: run, list, report, verify the hash chain',
    load: async () => (await import('./commands/drill')).drillCommand,
  },
  policy: {
    summary: 'Backup policies: list, add, remove, run, runs',
    load: async () => (await import('./commands/drill')).policyCommand,
  },
  'run-due': {
    summary: 'Run the policies that are due now (for Task Scheduler)',
    load: async () => (await import('./commands/drill')).runDueCommand,
  },
  plan: {
    summary: 'Backup job plan: CSV conflicts, waves, waits and recommendations',
    load: async () => (await import('./commands/plan')).planCommand,
  },
  preflight: {
    summary: 'Pre-flight checks per VM and cluster (with an optional dry-run checkpoint)',
    load: async () => (await import('./commands/plan')).preflightCommand,
  },
  doctor: {
    summary: 'Checkpoint doctor: orphaned, lingering and broken checkpoints, with safe repair',
    load: async () => (await import('./commands/plan')).doctorCommand,
  },
  service: {
    summary: 'Headless service host that runs policies on schedule',
    load: async () => (await import('./commands/drill')).serviceCommand,
  },
};

function usage(io: CliIO): void {
  io.log('hvbc: the Hyper-V Backup Console command line\n');
  io.log('Usage: hvbc <command> [options]   (every command takes --help and most take --json)\n');
  io.log('Commands:');
  for (const [name, c] of Object.entries(commands)) io.log(`  ${name.padEnd(12)} ${c.summary}`);
  io.log(
    '\nThe estate defaults to the embedded lab in the user data folder; --lab PATH or HVBC_LAB picks another.',
  );
}

export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    usage(io);
    return name === undefined ? 1 : 0;
  }
  const entry = commands[name];
  if (!entry) {
    io.error(`hvbc: unknown command "${name}". Run "hvbc --help" for the list.`);
    return 2;
  }
  try {
    return await (
      await entry.load()
    )(rest, io);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    // Option mistakes (node:util parseArgs) are usage errors: exit 2 in our words, pointing at --help.
    if (err.code?.startsWith('ERR_PARSE_ARGS_')) {
      const what = (err.message ?? '')
        .split('\n')[0]
        ?.replace(/\. To specify .*$|\.$/, '')
        .replace(
          /argument is ambiguous$/,
          "needs a value (one starting with '-' reads as another option)",
        );
      return fail(
        io,
        rest,
        name,
        'USAGE',
        `${what}. Run "hvbc ${name} --help" for its options.`,
        2,
      );
    }
    return fail(io, rest, name, err.code ?? 'INTERNAL', err.message ?? String(e), 1);
  }
}

/** Report a failed command on stderr, and as JSON on stdout when --json was given (scripts read stdout). */
function fail(
  io: CliIO,
  args: string[],
  name: string,
  code: string,
  message: string,
  exit: number,
): number {
  io.error(`hvbc ${name}: [${code}] ${message}`);
  if (args.includes('--json'))
    io.log(JSON.stringify({ state: 'failed', error: { code, message } }));
  return exit;
}

const isMain =
  process.argv[1] !== undefined && /electron[\\/]cli[\\/]main\.ts$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
