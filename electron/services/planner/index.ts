// The planner, pre-flight checks and checkpoint doctor: public functions and types.
export {
  analyzeGraph,
  backupCsvsOf,
  backupDisks,
  components,
  csvLoad,
  csvNeeds,
  diskFootprint,
  findConflicts,
  isOwnershipConflict,
  nodeLoad,
  redirectedCsvs,
} from './graph';
export {
  DEFAULT_PLAN_OPTIONS,
  fullBytesOf,
  planBackup,
  resolvePlanOptions,
  visibleDisks,
} from './plan';
export { applyRecommendation, applySteps, oneJobPerCsv, recommend } from './recommend';
export {
  applyRecommendationLive,
  type ApplyResult,
  type ApplyStepLog,
  type MoveCapabilities,
} from './recommend-live';
export { DEFAULT_PREFLIGHT_OPTIONS, resolvePreflightOptions, runPreflight } from './preflight';
export {
  dryRunCheckpoint,
  gatherFacts,
  runPreflightLive,
  type GatherOptions,
  type GuestClusterProbe,
  type LivePreflightOptions,
} from './preflight-live';
export { preflightRules, type Outcome, type PreflightRule, type RuleContext } from './rules';
export {
  csvOfPath,
  normPath,
  planRepair,
  QUARANTINE_DIR,
  quarantinePathOf,
  scanDoctor,
} from './doctor';
export {
  gatherDoctorFacts,
  labChainOpener,
  labDirOf,
  labLocalPath,
  listLabCsvFiles,
  repair,
  scanLive,
  type ChainOpener,
  type DoctorCapabilities,
  type DoctorLiveOptions,
  type DoctorProvider,
  type RepairOptions,
} from './doctor-live';
export {
  backupMethodOf,
  configAtLeast,
  functionalLevelVersion,
  osAtLeast,
  osLabel,
} from './versions';
export { selectVms } from './select';
export type * from '../../../shared/planner';
