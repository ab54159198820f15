// Runs a restore drill: restore each VM's point into a sandbox, verify it step by step, time it, keep the evidence.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type {
  DrillRecord,
  DrillRequest,
  DrillStep,
  DrillStepId,
  DrillVmResult,
} from '../../../shared/drills';
import { HvbcError, toErrorData } from '../../../shared/errors';
import type { Vm } from '../../../shared/model';
import { restorePoint } from '../engine/restore';
import type { EstateProvider } from '../providers/types';
import type { Repository } from '../repository/repository';
import type { TaskContext } from '../tasks/task-manager';
import { checkVhdx } from '../vhdx';
import type { Sandbox } from './sandbox';

export interface DrillDeps {
  provider: EstateProvider;
  repo: Repository;
  dataDir: string;
  makeSandbox: (folder: string, drillId: string) => Sandbox;
  /** Seconds a custom check may run. */
  customCheckTimeout?: number;
}

const STEP_TITLES: Record<DrillStepId, string> = {
  'data-integrity': 'Restore-point data integrity (every chunk re-hashed)',
  restore: 'Restore into the sandbox as a new VM',
  'vhdx-structure': 'VHDX structural check of the restored disks',
  'content-match': 'Content matches the source at the restore point',
  'config-import': 'VM configuration imports in the sandbox',
  'boot-heartbeat': 'VM starts and reports a heartbeat',
  'custom-check': 'Custom check',
};

/** Run a command against the restored VM (lab: its sandbox folder); exit code 0 passes. No shell. */
function runCustomCheck(
  command: string,
  env: Record<string, string>,
  timeoutSec: number,
): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const [cmd, ...args] =
      command.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)?.map((a) => a.replace(/^["']|["']$/g, '')) ??
      [];
    if (!cmd) return resolve({ code: null, output: 'empty command', timedOut: false });
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (b: Buffer) => (output = (output + b.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: e.message, timedOut: false });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut: signal === 'SIGKILL' });
    });
  });
}

export async function runDrill(
  deps: DrillDeps,
  req: DrillRequest,
  ctx: TaskContext,
): Promise<Omit<DrillRecord, 'prevHash' | 'hash'>> {
  const { provider, repo } = deps;
  const t0 = Date.now();
  const drillId = randomUUID();
  const folder = path.join(deps.dataDir, 'sandbox', drillId);
  const sandbox = deps.makeSandbox(folder, drillId);
  const inv = await provider.inventory();
  const vms: Vm[] = req.vmIds.map((id) => {
    const vm = inv.vms.find((v) => v.id === id || v.name.toLowerCase() === id.toLowerCase());
    if (!vm) throw new HvbcError('NOT_FOUND', `No VM "${id}" in ${inv.cluster.name}.`);
    return vm;
  });
  const steps: DrillStep[] = [];
  const results: DrillVmResult[] = [];
  let failure: string | undefined;

  const step = async (
    id: DrillStepId,
    vm: Vm,
    fn: () => Promise<{ ok: boolean; reason?: string; evidence: Record<string, unknown> }>,
  ) => {
    const started = Date.now();
    ctx.progress({ phase: id, message: `${vm.name}: ${STEP_TITLES[id]}` });
    const rec: DrillStep = {
      id,
      vmId: vm.id,
      title: STEP_TITLES[id],
      status: 'skipped',
      evidence: {},
      startedAt: new Date(started).toISOString(),
      durationSeconds: 0,
    };
    if (failure) {
      rec.reason = 'Not run: an earlier step failed.';
    } else {
      try {
        ctx.throwIfCanceled();
        const r = await fn();
        rec.status = r.ok ? 'passed' : 'failed';
        rec.evidence = r.evidence;
        if (r.reason) rec.reason = r.reason;
      } catch (e) {
        const err = toErrorData(e);
        if (err.code === 'CANCELED') throw e;
        rec.status = 'failed';
        rec.reason = `${err.code}: ${err.message}`;
      }
      if (rec.status === 'failed')
        failure = `${vm.name}: ${rec.title} failed — ${rec.reason ?? 'no reason given'}`;
    }
    rec.durationSeconds = (Date.now() - started) / 1000;
    steps.push(rec);
    return rec.status === 'passed';
  };

  try {
    for (const vm of vms) {
      const points = (await repo.listPoints({ vmId: vm.id })).sort((a, b) =>
        a.time.localeCompare(b.time),
      );
      const pointId = req.pointIds[vm.id] ?? points[points.length - 1]?.id;
      if (!pointId)
        throw new HvbcError(
          'NOT_FOUND',
          `${vm.name} has no restore point to drill. Back it up first.`,
        );
      const manifest = await repo.getPoint(pointId);
      let restored: Awaited<ReturnType<typeof restorePoint>> | null = null;
      let sandboxVm: { vmId: string; configPath: string } | null = null;

      await step('data-integrity', vm, async () => {
        const disks = [];
        for (const key of Object.keys(manifest.disks)) {
          let bytes = 0;
          let chunks = 0;
          const r = await repo.readDisk(
            pointId,
            key,
            async (_o, data, length) => {
              bytes += length;
              if (data) chunks++;
            },
            { signal: ctx.signal },
          );
          disks.push({ disk: key, dataChunksRehashed: chunks, bytes, digest: r.digest });
        }
        return { ok: true, evidence: { pointId, disks } };
      });
      await step('restore', vm, async () => {
        restored = await restorePoint(
          repo,
          {
            pointId,
            targetDir: path.join(folder, vm.name.replace(/[^A-Za-z0-9._-]/g, '_')),
            newId: true,
            inPlace: false,
          },
          { dataDir: deps.dataDir, ctx },
        );
        return {
          ok: true,
          evidence: {
            newVmId: restored.newVmId,
            targetDir: restored.targetDir,
            disks: restored.disks.map((d) => ({
              path: path.relative(folder, d.path),
              digest: d.digest,
            })),
          },
        };
      });
      await step('vhdx-structure', vm, async () => {
        const reports = [];
        for (const d of restored?.disks ?? []) reports.push(await checkVhdx(d.path));
        const bad = reports.filter((r) => !r.ok);
        return {
          ok: bad.length === 0,
          ...(bad.length
            ? {
                reason: bad
                  .map(
                    (r) =>
                      `${path.basename(r.path)}: ${r.issues
                        .filter((i) => i.severity === 'error')
                        .map((i) => i.message)
                        .join('; ')}`,
                  )
                  .join(' | '),
              }
            : {}),
          evidence: {
            checked: reports.map((r) => ({
              file: path.basename(r.path),
              ok: r.ok,
              issues: r.issues.length,
            })),
          },
        };
      });
      await step('content-match', vm, async () => {
        const out = [];
        for (const d of restored?.disks ?? []) {
          if (provider.verifyRestoredDisk) {
            const at = {
              ...(typeof manifest.meta.checkpointId === 'string'
                ? { checkpointId: manifest.meta.checkpointId }
                : {}),
              ...(typeof manifest.meta.referencePointId === 'string'
                ? { referencePointId: manifest.meta.referencePointId }
                : {}),
            };
            const r = await provider.verifyRestoredDisk(vm.id, d.diskKey, at, d.path);
            out.push({
              disk: d.diskKey,
              match: r.match,
              detail: r.detail,
              against: 'the provider model of the source at the restore point',
              ...r.evidence,
            });
          } else {
            const expected = manifest.disks[d.diskKey]?.digest;
            out.push({
              disk: d.diskKey,
              match: expected !== undefined && expected === d.digest,
              detail: expected
                ? 'compared with the content digest of the source when the point was written'
                : 'the point recorded no content digest',
              against: 'backup-time digest',
              digest: d.digest,
              expected,
            });
          }
        }
        const bad = out.filter((o) => !o.match);
        return {
          ok: bad.length === 0,
          ...(bad.length ? { reason: bad.map((b) => `${b.disk}: ${b.detail}`).join('; ') } : {}),
          evidence: { disks: out },
        };
      });
      await step('config-import', vm, async () => {
        if (!restored) throw new HvbcError('DRILL_FAILED', 'Nothing was restored.');
        const r = await sandbox.importVm(restored.configPath, vm.id);
        sandboxVm = r.vm;
        return { ok: true, evidence: r.evidence };
      });
      await step('boot-heartbeat', vm, async () => {
        if (!sandboxVm) throw new HvbcError('DRILL_FAILED', 'No sandbox VM to start.');
        const r = await sandbox.boot(sandboxVm, vm.id);
        return {
          ok: r.heartbeat,
          ...(r.heartbeat ? {} : { reason: r.detail }),
          evidence: { detail: r.detail, ...r.evidence },
        };
      });
      if (req.customCheck) {
        await step('custom-check', vm, async () => {
          const r = await runCustomCheck(
            req.customCheck ?? '',
            {
              HVBC_SANDBOX_DIR: restored?.targetDir ?? '',
              HVBC_VM_CONFIG: restored?.configPath ?? '',
              HVBC_VM_NAME: vm.name,
            },
            deps.customCheckTimeout ?? 120,
          );
          const ok = r.code === 0;
          return {
            ok,
            ...(ok
              ? {}
              : {
                  reason: r.timedOut
                    ? 'timed out'
                    : `exit code ${r.code ?? 'none'}: ${r.output.trim().slice(-300)}`,
                }),
            evidence: { command: req.customCheck, exitCode: r.code, output: r.output.slice(-2000) },
          };
        });
      }
      const verified = !failure;
      const recoverySeconds = verified ? (Date.now() - t0) / 1000 : null;
      const rto = vm.rtoSeconds ?? null;
      results.push({
        vmId: vm.id,
        vmName: vm.name,
        pointId,
        pointTime: manifest.createdAt,
        sandboxVmId: restored ? (restored as { newVmId: string }).newVmId : '',
        recoverySeconds,
        rtoSeconds: rto,
        rtoMet: rto === null || recoverySeconds === null ? null : recoverySeconds <= rto,
        rtoMarginSeconds: rto === null || recoverySeconds === null ? null : rto - recoverySeconds,
      });
    }
  } finally {
    if (!req.keepSandbox) await sandbox.teardown().catch(() => undefined);
  }
  return {
    id: drillId,
    taskId: ctx.id,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date().toISOString(),
    status: failure ? 'failed' : 'passed',
    ...(failure ? { failure } : {}),
    trigger: req.trigger,
    vms: results,
    steps,
    sandbox: { folder, network: sandbox.network, tornDown: !req.keepSandbox },
  };
}
