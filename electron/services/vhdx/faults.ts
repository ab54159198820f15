// Test-only crash injection: named points in the write paths where a test can simulate power loss.

/** Thrown at an armed crash point; the engine then stops touching the file, as a dead process would. */
export class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

let armed: { point: string; skip: number } | undefined;

/** Arm a crash at the (skip+1)-th time `point` is reached. Tests only. */
export function armCrash(point: string, skip = 0): void {
  armed = { point, skip };
}

export function disarmCrash(): void {
  armed = undefined;
}

/** Called by the engine at each named point; throws SimulatedCrash when armed for it. */
export function crashPoint(point: string): void {
  if (!armed || armed.point !== point) return;
  if (armed.skip > 0) {
    armed.skip--;
    return;
  }
  armed = undefined;
  throw new SimulatedCrash(point);
}

export function isSimulatedCrash(e: unknown): e is SimulatedCrash {
  return e instanceof SimulatedCrash;
}
