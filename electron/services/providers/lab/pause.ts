// Test hook shared by the lab's multi-step operations: stop at a named point so a test can kill the process there.

/**
 * With HVBC_LAB_PAUSE=<point> the process announces "HVBC_LAB_PAUSED <point>" on stdout and stops there, so a test can
 * SIGKILL it at a known place. Points: checkpoint:after-files, intent:after-files, replace:after-quarantine.
 */
export async function pausePoint(point: string): Promise<void> {
  if (process.env.HVBC_LAB_PAUSE !== point) return;
  process.stdout.write(`HVBC_LAB_PAUSED ${point}\n`);
  await new Promise(() => undefined);
}
