// The lab's public surface: the provider, lab files, scenarios, the content model and the journals tests read.
export { LabProvider, LAB_FAULTS } from './provider';
export type {
  IoOptions,
  IoResult,
  IoRun,
  LabCheckpointOptions,
  LabProviderOptions,
  ReconcileReport,
} from './provider';
export {
  createLabFile,
  labExists,
  readLabFile,
  removeLabContent,
  writeFileAtomic,
  LAB_FILE,
} from './store';
export { parseLabDefinition, parseLabDefinitionText } from './definition';
export type { LabDefinition, LabFaults, LabVm } from './definition';
export { scenarios, scenarioNames } from './scenarios';
export { buildInventory, windowsPath } from './inventory';
export {
  diskModel,
  expectedDiskContent,
  verifyAgainstModel,
  verifyChain,
  verifyDiskNow,
} from './model';
export type { DiskModel, VerifyResult } from './model';
export { readWriteLog, writtenSince } from './journal';
export { REPLACED_DIR } from './restore-in-place';
export type {
  InPlaceDiskRequest,
  InPlacePlan,
  InPlacePlanDisk,
  InPlaceProblem,
  ReplaceRequest,
  ReplaceResult,
} from './restore-in-place';
export { diskId, vmId } from './state';
