// Pure: the shape of a pre-flight rule and the context every rule reads (inventory, facts, options).
import type { Csv, HostOsVersion, Inventory, Vm, VmGroup } from '../../../../shared/model';
import type {
  BackupMethod,
  PreflightFacts,
  PreflightOptions,
  RuleScope,
  Severity,
} from '../../../../shared/planner';

export type ResolvedPreflightOptions = Required<Omit<PreflightOptions, 'vmIds'>>;

export interface RuleContext {
  inv: Inventory;
  facts: PreflightFacts;
  opts: ResolvedPreflightOptions;
  method: BackupMethod;
  /** VMs the run checks. */
  vms: Vm[];
  csvById: Map<string, Csv>;
  hostOs(vm: Vm): HostOsVersion;
}

/** What one rule says about one target. */
export type Outcome =
  | { status: 'pass'; message: string; evidence?: string[] }
  | { status: 'not-applicable'; message: string }
  | { status: 'unknown'; message: string; evidence?: string[]; fix?: string }
  | { status: 'fail'; severity?: Severity; message: string; evidence: string[]; fix: string };

interface RuleBase {
  id: string;
  title: string;
  /** The worst severity the rule raises. */
  severity: Severity;
  /** What it checks and why, for the docs and the UI. */
  description: string;
}

export type PreflightRule =
  | (RuleBase & { scope: 'vm'; check(vm: Vm, ctx: RuleContext): Outcome })
  | (RuleBase & { scope: 'csv'; check(csv: Csv, ctx: RuleContext): Outcome })
  | (RuleBase & { scope: 'group'; check(group: VmGroup, ctx: RuleContext): Outcome });

export type { RuleScope };
