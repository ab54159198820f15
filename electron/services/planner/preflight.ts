// Pure: run the pre-flight rules over an inventory snapshot and gathered facts; returns every check with evidence and fix.
import type { Inventory } from '../../../shared/model';
import type {
  PreflightFacts,
  PreflightOptions,
  PreflightReport,
  PreflightResult,
  PreflightRuleInfo,
  PreflightTarget,
} from '../../../shared/planner';
import { csvIndex } from './graph';
import {
  preflightRules,
  type Outcome,
  type PreflightRule,
  type ResolvedPreflightOptions,
  type RuleContext,
} from './rules';
import { selectVms } from './select';
import { backupMethodOf, hostOsOf } from './versions';

export const DEFAULT_PREFLIGHT_OPTIONS: ResolvedPreflightOptions = {
  changeRatePercent: 10,
  windowHours: 2,
  minFreeBytes: 2 * 1024 ** 3,
  maxChainDepth: 3,
  nonProductionTags: ['dev', 'test', 'lab'],
};

export function resolvePreflightOptions(o: PreflightOptions = {}): ResolvedPreflightOptions {
  return {
    changeRatePercent: Math.max(
      0,
      o.changeRatePercent ?? DEFAULT_PREFLIGHT_OPTIONS.changeRatePercent,
    ),
    windowHours: Math.max(0, o.windowHours ?? DEFAULT_PREFLIGHT_OPTIONS.windowHours),
    minFreeBytes: Math.max(0, o.minFreeBytes ?? DEFAULT_PREFLIGHT_OPTIONS.minFreeBytes),
    maxChainDepth: Math.max(0, o.maxChainDepth ?? DEFAULT_PREFLIGHT_OPTIONS.maxChainDepth),
    nonProductionTags: o.nonProductionTags ?? DEFAULT_PREFLIGHT_OPTIONS.nonProductionTags,
  };
}

export function ruleInfo(r: PreflightRule): PreflightRuleInfo {
  return {
    id: r.id,
    title: r.title,
    scope: r.scope,
    severity: r.severity,
    description: r.description,
  };
}

function toResult(rule: PreflightRule, target: PreflightTarget, o: Outcome): PreflightResult {
  const base = {
    id: `${rule.id}:${target.id}`,
    ruleId: rule.id,
    ruleTitle: rule.title,
    target,
    message: o.message,
  };
  switch (o.status) {
    case 'fail':
      return {
        ...base,
        status: 'fail',
        severity: o.severity ?? rule.severity,
        evidence: o.evidence,
        fix: o.fix,
      };
    case 'unknown':
      return { ...base, status: 'unknown', evidence: o.evidence ?? [], fix: o.fix ?? '' };
    case 'pass':
      return { ...base, status: 'pass', evidence: o.evidence ?? [], fix: '' };
    default:
      return { ...base, status: 'not-applicable', evidence: [], fix: '' };
  }
}

/**
 * Check the VMs (all when opts.vmIds is empty) with every rule: VM rules per VM, CSV rules per CSV that holds
 * one of their disks, group rules per guest-cluster group with a member among them. Never throws for a rule:
 * a rule that crashes reports "unknown" with the error.
 */
export function runPreflight(
  inv: Inventory,
  facts: PreflightFacts,
  options: PreflightOptions = {},
  rules: readonly PreflightRule[] = preflightRules,
): PreflightReport {
  const vms = selectVms(inv, options.vmIds);
  const opts = resolvePreflightOptions(options);
  const { method } = backupMethodOf(inv);
  const ctx: RuleContext = {
    inv,
    facts,
    opts,
    method,
    vms,
    csvById: csvIndex(inv),
    hostOs: (vm) => hostOsOf(inv, vm),
  };
  const csvIds = new Set(
    vms.flatMap((v) => v.disks.map((d) => d.csvId).filter((x): x is string => x !== null)),
  );
  const csvs = inv.cluster.csvs.filter((c) => csvIds.has(c.id));
  const groups = inv.groups.filter((g) => g.members.some((m) => vms.some((v) => v.id === m)));
  const results: PreflightResult[] = [];
  const safely = (rule: PreflightRule, target: PreflightTarget, run: () => Outcome) => {
    let o: Outcome;
    try {
      o = run();
    } catch (e) {
      o = { status: 'unknown', message: `The check itself failed: ${(e as Error).message}` };
    }
    results.push(toResult(rule, target, o));
  };
  for (const rule of rules) {
    if (rule.scope === 'vm')
      for (const vm of vms)
        safely(rule, { kind: 'vm', id: vm.id, name: vm.name }, () => rule.check(vm, ctx));
    else if (rule.scope === 'csv')
      for (const c of csvs)
        safely(rule, { kind: 'csv', id: c.id, name: c.name }, () => rule.check(c, ctx));
    else
      for (const g of groups)
        safely(rule, { kind: 'group', id: g.id, name: g.name }, () => rule.check(g, ctx));
  }
  const fails = results.filter((r) => r.status === 'fail');
  const summary = {
    errors: fails.filter((r) => r.severity === 'error').length,
    warnings: fails.filter((r) => r.severity === 'warning').length,
    infos: fails.filter((r) => r.severity === 'info').length,
    passed: results.filter((r) => r.status === 'pass').length,
    unknown: results.filter((r) => r.status === 'unknown').length,
    notApplicable: results.filter((r) => r.status === 'not-applicable').length,
  };
  return {
    generatedAt: inv.collectedAt,
    clusterName: inv.cluster.name,
    method,
    vmIds: vms.map((v) => v.id),
    options: opts,
    rules: rules.map(ruleInfo),
    results,
    summary,
    blocked: summary.errors > 0,
    dryRunRequested: facts.dryRuns !== undefined,
  };
}
