// The lab the end-to-end tests run on: the default scenario plus faults that make each flow show its honest side.
import { createLabFile } from '../../electron/services/providers/lab/store';
import { defaultScenario } from '../../electron/services/providers/lab/scenarios';

/**
 * - APP01: integration services off → a pre-flight error that blocks the backup wizard.
 * - SQLCL-N1: the guest cluster's VHD Set has two owners (Hyper-V 32775) → its backup fails: a partial run.
 * - MON01: its recovery checkpoint never merges → a cleanup failure and a lingering checkpoint for the doctor.
 * - LEGACY01 (configuration 5.0, no change tracking) raises a pre-flight warning to override with a reason.
 */
export async function createE2eLab(dir: string): Promise<void> {
  const def = defaultScenario();
  const faults: Record<string, Record<string, unknown>> = {
    APP01: { integrationServicesOff: true },
    'SQLCL-N1': { vhdSetError: 32775 },
    MON01: { recoveryCheckpointNeverMerges: true },
  };
  def.vms = def.vms.map((v) =>
    faults[v.name] ? { ...v, faults: { ...v.faults, ...faults[v.name] } } : v,
  );
  await createLabFile(dir, def);
}
