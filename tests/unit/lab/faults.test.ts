// Switching a lab fault on a VM: values checked, faults that do not fit the VM refused, off removes it.
import { describe, expect, it } from 'vitest';
import { LAB_FAULTS, withVmFault } from '../../../electron/services/providers/lab/faults';

const fault = (name: string) => {
  const f = LAB_FAULTS.find((x) => x.name === name);
  if (!f) throw new Error(`no fault ${name}`);
  return f;
};
const vm = { name: 'SQL01', hasVhdSet: false };

describe('lab faults', () => {
  it('switches a flag on and off without touching the others', () => {
    const on = withVmFault({ heartbeatFails: true }, fault('no-scsi'), true, undefined, vm);
    expect(on).toEqual({ heartbeatFails: true, noScsiController: true });
    expect(withVmFault(on, fault('no-scsi'), false, undefined, vm)).toEqual({
      heartbeatFails: true,
    });
  });

  it('takes the value a fault carries, with its default', () => {
    expect(withVmFault({}, fault('failed-vss-writer'), true, undefined, vm)).toEqual({
      failedVssWriter: 'SqlServerWriter',
    });
    expect(withVmFault({}, fault('failed-vss-writer'), true, 'NTDS', vm).failedVssWriter).toBe(
      'NTDS',
    );
    expect(withVmFault({}, fault('slow-storage'), true, undefined, vm).slowStorageMBps).toBe(20);
    expect(() => withVmFault({}, fault('slow-storage'), true, 'fast', vm)).toThrow(
      /slow-storage takes a rate in MB\/s, not "fast"/,
    );
  });

  it('a VHD Set error only on a guest-cluster node, and only with a documented code', () => {
    expect(() => withVmFault({}, fault('vhd-set-error'), true, '32770', vm)).toThrow(
      /'SQL01' has no shared VHD Set/,
    );
    const node = { name: 'GC01', hasVhdSet: true };
    expect(withVmFault({}, fault('vhd-set-error'), true, '32770', node).vhdSetError).toBe(32770);
    expect(() => withVmFault({}, fault('vhd-set-error'), true, '1', node)).toThrow(
      /takes 32768, 32770 or 32775, not "1"/,
    );
  });
});
