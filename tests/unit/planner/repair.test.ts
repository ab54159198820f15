// The doctor's repair edge against a fake provider: dry runs call nothing, every change is re-checked first, a failure stops that VM.
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import type { Inventory } from '../../../shared/model';
import type { RepairPlan } from '../../../shared/planner';
import { repair, type DoctorProvider } from '../../../electron/services/planner/doctor-live';
import { csv, def, inventoryOf, vm } from './helpers';

const V1 = 'C:\\ClusterStorage\\Volume1';

function fakeProvider(
  inv: Inventory,
  behaviour: { removeFails?: boolean; mergeNever?: boolean } = {},
) {
  const calls: string[] = [];
  const provider = {
    kind: 'powershell',
    readOnly: false,
    inventory: async () => structuredClone(inv),
    events: async () => [],
    subscribe: () => () => undefined,
    createCheckpoint: async () => {
      throw new Error('not used');
    },
    removeCheckpoint: async (vmId: string, cpId: string) => {
      calls.push(`remove ${cpId}`);
      if (behaviour.removeFails)
        throw new HvbcError('FILE_LOCKED', 'The .avhdx is in use by another process.');
      if (behaviour.mergeNever) return;
      const v = inv.vms.find((x) => x.id === vmId)!;
      v.checkpoints = v.checkpoints.filter((c) => c.id !== cpId);
      for (const d of v.disks) d.chain = d.chain.filter((f) => f.checkpointId !== cpId);
    },
    quarantineFile: async (from: string, to: string) => void calls.push(`move ${from} -> ${to}`),
  } as unknown as DoctorProvider;
  return { provider, calls };
}

function estate(): Inventory {
  return inventoryOf(
    def(
      '2019',
      ['N1'],
      [csv(1, 'N1')],
      [
        vm({ name: 'A', host: 'N1', disks: [{ csv: 'csv1', file: 'a.vhdx' }] }),
        vm({ name: 'B', host: 'N1', disks: [{ csv: 'csv1', file: 'b.vhdx' }] }),
      ],
    ),
    (i) => {
      for (const v of i.vms) {
        const d = v.disks[0]!;
        for (const n of [1, 2]) {
          const parent = d.chain[d.chain.length - 1]!;
          d.chain.push({
            path: parent.path.replace(/(_\d)?\.a?vhdx$/, `_${n}.avhdx`),
            kind: 'differencing',
            checkpointId: `${v.name}-cp${n}`,
            fileSize: 1,
            parentPath: parent.path,
          });
          v.checkpoints.push({
            id: `${v.name}-cp${n}`,
            name: `cp${n}`,
            type: 'recovery',
            parentId: null,
            created: `2024-01-0${n}T00:00:00Z`,
          });
        }
      }
    },
  );
}

function plan(inv: Inventory): RepairPlan {
  const step = (order: number, s: Record<string, unknown>) => ({
    id: `step-${order}`,
    order,
    findingId: 'f',
    description: 'd',
    safety: 's',
    ...s,
  });
  const a = inv.vms[0]!;
  const b = inv.vms[1]!;
  return {
    generatedAt: '2024-01-01T00:00:00Z',
    refused: [],
    notes: [],
    steps: [
      step(1, { kind: 'remove-checkpoint', vmId: a.id, vmName: 'A', checkpointId: 'A-cp2' }),
      step(2, { kind: 'verify-merge', vmId: a.id, vmName: 'A', checkpointId: 'A-cp2', paths: [] }),
      step(3, { kind: 'remove-checkpoint', vmId: a.id, vmName: 'A', checkpointId: 'A-cp1' }),
      step(4, { kind: 'verify-merge', vmId: a.id, vmName: 'A', checkpointId: 'A-cp1', paths: [] }),
      step(5, { kind: 'remove-checkpoint', vmId: b.id, vmName: 'B', checkpointId: 'B-cp2' }),
      step(6, { kind: 'verify-merge', vmId: b.id, vmName: 'B', checkpointId: 'B-cp2', paths: [] }),
      step(7, {
        kind: 'quarantine-file',
        path: `${V1}\\A\\old.avhdx`,
        quarantinePath: `${V1}\\.hvbc-quarantine\\x\\A\\old.avhdx`,
        sizeBytes: 1,
      }),
      step(8, {
        kind: 'quarantine-file',
        path: a.disks[0]!.chain[0]!.path,
        quarantinePath: `${V1}\\.hvbc-quarantine\\x\\a.vhdx`,
        sizeBytes: 1,
      }),
      step(9, { kind: 'manual', description: 'Restore the parent from a backup.' }),
    ] as RepairPlan['steps'],
  };
}

describe('repair (edge)', () => {
  it('dry run: every step planned, no provider call', async () => {
    const inv = estate();
    const { provider, calls } = fakeProvider(inv);
    const log = await repair(provider, plan(inv), { dryRun: true });
    expect(log.entries.map((e) => e.status)).toEqual(Array(9).fill('planned'));
    expect(log.entries[8]?.message).toMatch(/^Manual: /);
    expect(calls).toEqual([]);
  });

  it('removes newest first, verifies each merge, re-checks files before moving, never touches a referenced file, skips manual steps', async () => {
    const inv = estate();
    const { provider, calls } = fakeProvider(inv);
    const log = await repair(provider, plan(inv), { dryRun: false, mergeTimeoutMs: 50, pollMs: 5 });
    expect(log.entries.map((e) => e.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'skipped',
      'skipped',
    ]);
    expect(log.entries[7]?.message).toMatch(/is referenced by a chain now: left alone/);
    expect(calls).toEqual([
      'remove A-cp2',
      'remove A-cp1',
      'remove B-cp2',
      `move ${V1}\\A\\old.avhdx -> ${V1}\\.hvbc-quarantine\\x\\A\\old.avhdx`,
    ]);
  });

  it('a merge that does not finish stops further removals for that VM only', async () => {
    const inv = estate();
    const { provider, calls } = fakeProvider(inv, { mergeNever: true });
    const log = await repair(provider, plan(inv), { dryRun: false, mergeTimeoutMs: 30, pollMs: 5 });
    expect(log.entries.slice(0, 6).map((e) => e.status)).toEqual([
      'done',
      'failed',
      'skipped',
      'skipped',
      'done',
      'failed',
    ]);
    expect(log.entries[2]?.message).toMatch(
      /merge of the previous checkpoint of A has not finished/,
    );
    expect(calls.filter((c) => c.startsWith('remove'))).toEqual(['remove A-cp2', 'remove B-cp2']);
  });

  it('a failed removal is logged with its code and stops that VM; a checkpoint a running job now owns is left alone', async () => {
    const inv = estate();
    const { provider } = fakeProvider(inv, { removeFails: true });
    const log = await repair(provider, plan(inv), { dryRun: false, mergeTimeoutMs: 10, pollMs: 5 });
    expect(log.entries[0]).toMatchObject({
      status: 'failed',
      message: '[FILE_LOCKED] The .avhdx is in use by another process.',
    });
    expect(log.entries[1]?.status).toBe('skipped');

    const inv2 = estate();
    inv2.vms[1]!.checkpoints[1]!.createdBy = 'task-now';
    const { provider: p2, calls } = fakeProvider(inv2);
    const log2 = await repair(p2, plan(inv2), {
      dryRun: false,
      mergeTimeoutMs: 10,
      pollMs: 5,
      activeTaskIds: ['task-now'],
    });
    expect(log2.entries[4]?.message).toMatch(
      /A running backup owns checkpoint "cp2" now: left alone/,
    );
    expect(calls).not.toContain('remove B-cp2');
  });
});
