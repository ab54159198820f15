// Console I/O handed to every CLI command, so tests can capture output.
export interface CliIO {
  log(line: string): void;
  error(line: string): void;
  /** True when stdout is a terminal (progress bars); false in scripts and tests. */
  isTTY: boolean;
}

export type CliCommand = (argv: string[], io: CliIO) => Promise<number>;

export const processIO: CliIO = {
  log: (l) => process.stdout.write(`${l}\n`),
  error: (l) => process.stderr.write(`${l}\n`),
  isTTY: process.stdout.isTTY === true,
};
