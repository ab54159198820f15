// Pure: pre-flight results and doctor findings indexed by VM and CSV, for badges that open their explanation.
import type { DoctorReport, PreflightReport, Severity } from '../../../../shared/planner';

export interface FindingRef {
  source: 'preflight' | 'doctor';
  id: string;
  severity: Severity | 'unknown';
  title: string;
  message: string;
  evidence: string[];
  /** What to do about it (pre-flight fix or doctor proposal). */
  fix: string;
  /** Pre-flight rule id (for overrides) or doctor finding kind. */
  rule: string;
  repairable: boolean;
}

export interface FindingIndex {
  byVm: Map<string, FindingRef[]>;
  byCsv: Map<string, FindingRef[]>;
  /** Findings that name neither a VM nor a CSV (e.g. an orphaned file). */
  other: FindingRef[];
}

export interface FindingCount {
  errors: number;
  warnings: number;
  infos: number;
  unknown: number;
  total: number;
  /** Errors, warnings and unknown checks: what earns a badge (infos are listed, not flagged). */
  notable: number;
  /** The worst severity present, for the badge colour. */
  worst: Severity | 'unknown' | null;
}

const ORDER: Array<Severity | 'unknown'> = ['error', 'warning', 'unknown', 'info'];

function push(map: Map<string, FindingRef[]>, key: string, f: FindingRef): void {
  const list = map.get(key);
  if (list) list.push(f);
  else map.set(key, [f]);
}

/** Index failing and unknown pre-flight results and every doctor finding; passes are left out. */
export function indexFindings(
  pre: PreflightReport | undefined,
  doc: DoctorReport | undefined,
  csvIdOfPath?: (path: string) => string | null,
): FindingIndex {
  const idx: FindingIndex = { byVm: new Map(), byCsv: new Map(), other: [] };
  for (const r of pre?.results ?? []) {
    if (r.status !== 'fail' && r.status !== 'unknown') continue;
    const f: FindingRef = {
      source: 'preflight',
      id: r.id,
      severity: r.status === 'unknown' ? 'unknown' : (r.severity ?? 'warning'),
      title: r.ruleTitle,
      message: r.message,
      evidence: r.evidence,
      fix: r.fix,
      rule: r.ruleId,
      repairable: false,
    };
    if (r.target.kind === 'vm') push(idx.byVm, r.target.id, f);
    else if (r.target.kind === 'csv') push(idx.byCsv, r.target.id, f);
    else idx.other.push(f);
  }
  for (const d of doc?.findings ?? []) {
    const f: FindingRef = {
      source: 'doctor',
      id: d.id,
      severity: d.severity,
      title: d.kind.replace(/-/g, ' '),
      message: d.message,
      evidence: d.evidence,
      fix: d.proposal,
      rule: d.kind,
      repairable: d.repairable,
    };
    if (d.vmId) push(idx.byVm, d.vmId, f);
    else {
      const csv = d.path && csvIdOfPath ? csvIdOfPath(d.path) : null;
      if (csv) push(idx.byCsv, csv, f);
      else idx.other.push(f);
    }
  }
  for (const list of [...idx.byVm.values(), ...idx.byCsv.values()])
    list.sort((a, b) => ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity));
  return idx;
}

export function countFindings(list: readonly FindingRef[] | undefined): FindingCount {
  const c: FindingCount = {
    errors: 0,
    warnings: 0,
    infos: 0,
    unknown: 0,
    total: 0,
    notable: 0,
    worst: null,
  };
  for (const f of list ?? []) {
    c.total++;
    if (f.severity === 'error') c.errors++;
    else if (f.severity === 'warning') c.warnings++;
    else if (f.severity === 'info') c.infos++;
    else c.unknown++;
  }
  c.notable = c.errors + c.warnings + c.unknown;
  c.worst =
    ORDER.find(
      (s) =>
        (s === 'error'
          ? c.errors
          : s === 'warning'
            ? c.warnings
            : s === 'info'
              ? c.infos
              : c.unknown) > 0,
    ) ?? null;
  return c;
}

/** Map a Windows path to the CSV whose mount path contains it (longest match), or null. */
export function csvOfPath(
  csvs: ReadonlyArray<{ id: string; path: string }>,
): (p: string) => string | null {
  const sorted = [...csvs].sort((a, b) => b.path.length - a.path.length);
  return (p) => {
    const lower = p.toLowerCase();
    return sorted.find((c) => lower.startsWith(`${c.path.toLowerCase()}\\`))?.id ?? null;
  };
}
