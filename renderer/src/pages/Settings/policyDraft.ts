// Pure: the policy editor's form state, to and from a BackupPolicy, validated with the shared schema.
import { BackupPolicy, selectPolicyVms } from '../../../../shared/drills';
import type { Inventory } from '../../../../shared/model';

export interface PolicyDraft {
  id: string;
  name: string;
  enabled: boolean;
  kind: 'backup' | 'drill';
  consistency: 'application' | 'file-system' | 'crash';
  requireConsistency: boolean;
  names: string[];
  tags: string[];
  csvIds: string[];
  nodes: string[];
  keepLast: string;
  daily: string;
  weekly: string;
  monthly: string;
  yearly: string;
  cron: string;
  windowMinutes: string;
  drillAfter: boolean;
  webhook: string;
}

export const EMPTY_DRAFT: PolicyDraft = {
  id: '',
  name: '',
  enabled: true,
  kind: 'backup',
  consistency: 'application',
  requireConsistency: false,
  names: [],
  tags: [],
  csvIds: [],
  nodes: [],
  keepLast: '14',
  daily: '',
  weekly: '',
  monthly: '',
  yearly: '',
  cron: '0 22 * * 1-5',
  windowMinutes: '240',
  drillAfter: false,
  webhook: '',
};

export function slug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
}

export function draftOf(p: BackupPolicy): PolicyDraft {
  const n = (x: number | undefined) => (x === undefined ? '' : String(x));
  return {
    id: p.id,
    name: p.name,
    enabled: p.enabled,
    kind: p.kind,
    consistency: p.consistency,
    requireConsistency: p.requireConsistency,
    names: p.select.names,
    tags: p.select.tags,
    csvIds: p.select.csvIds,
    nodes: p.select.nodes,
    keepLast: n(p.retention.keepLast),
    daily: n(p.retention.daily),
    weekly: n(p.retention.weekly),
    monthly: n(p.retention.monthly),
    yearly: n(p.retention.yearly),
    cron: p.schedule.cron,
    windowMinutes: String(p.schedule.windowMinutes),
    drillAfter: p.drillAfter,
    webhook: p.webhook ?? '',
  };
}

const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/** Build the policy and validate it with the shared schema; problems come back per field path. */
export function policyOf(
  d: PolicyDraft,
):
  | { ok: true; policy: BackupPolicy }
  | { ok: false; problems: Array<{ path: string; message: string }> } {
  const retention = Object.fromEntries(
    (['keepLast', 'daily', 'weekly', 'monthly', 'yearly'] as const)
      .map((k) => [k, num(d[k])])
      .filter(([, v]) => v !== undefined),
  );
  const raw = {
    id: d.id || slug(d.name),
    name: d.name.trim(),
    enabled: d.enabled,
    kind: d.kind,
    select: { names: d.names, tags: d.tags, csvIds: d.csvIds, nodes: d.nodes },
    consistency: d.consistency,
    requireConsistency: d.requireConsistency,
    retention,
    schedule: { cron: d.cron.trim(), windowMinutes: num(d.windowMinutes) ?? 240 },
    drillAfter: d.drillAfter,
    ...(d.webhook.trim() ? { webhook: d.webhook.trim() } : {}),
  };
  const problems: Array<{ path: string; message: string }> = [];
  if (d.names.length + d.tags.length + d.csvIds.length + d.nodes.length === 0)
    problems.push({ path: 'select', message: 'Choose at least one VM name, tag, CSV or node.' });
  if (d.cron.trim().split(/\s+/).length !== 5)
    problems.push({
      path: 'schedule.cron',
      message: 'Use five fields: minute hour day-of-month month day-of-week.',
    });
  const parsed = BackupPolicy.safeParse(raw);
  if (!parsed.success)
    for (const i of parsed.error.issues)
      problems.push({ path: i.path.join('.'), message: i.message });
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, policy: parsed.data };
}

/** Names of the VMs the policy would select now: the scheduler's own rule from shared/. */
export function matchingVms(
  inv: Inventory,
  d: Pick<PolicyDraft, 'names' | 'tags' | 'csvIds' | 'nodes'>,
): string[] {
  return selectPolicyVms(inv, d).map((vm) => vm.name);
}
