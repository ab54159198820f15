// The CLI's input/output captured for tests: what a command printed to stdout (`out`) and stderr (`err`).
import type { CliIO } from '../../electron/cli/io';

export function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { log: (l: string) => out.push(l), error: (l: string) => err.push(l), isTTY: false },
    out,
    err,
  };
}
