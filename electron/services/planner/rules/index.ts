// The pre-flight rule table, in the order the report lists them.
import { automaticCheckpointsRule } from './automatic-checkpoints';
import { rctNextRunRule, rctSupportedRule } from './change-tracking';
import { lingeringCheckpointsRule } from './checkpoints';
import { csvAccessRule } from './csv-access';
import { dryRunRule } from './dry-run';
import { freeSpaceRule } from './free-space';
import { hostInvisibleDisksRule } from './host-invisible-disks';
import { integrationServicesRule } from './integration-services';
import { scsiControllerRule } from './scsi-controller';
import type { PreflightRule } from './types';
import { vhdSetRule } from './vhd-set';
import { vssWritersRule } from './vss-writers';

export const preflightRules: readonly PreflightRule[] = [
  scsiControllerRule,
  integrationServicesRule,
  vssWritersRule,
  rctSupportedRule,
  rctNextRunRule,
  lingeringCheckpointsRule,
  freeSpaceRule,
  csvAccessRule,
  vhdSetRule,
  hostInvisibleDisksRule,
  automaticCheckpointsRule,
  dryRunRule,
];

export type { Outcome, PreflightRule, RuleContext, ResolvedPreflightOptions } from './types';
