// Raw shapes shared by several scripts (drives, VHD chains, reference points) and the disk-id rule.
import type { z } from 'zod';
import {
  arr,
  bool,
  dateOrNull,
  guidOrNull,
  obj,
  safeInt,
  safeIntOrNull,
  str,
  strOrNull,
} from '../normalize';
import { ControllerTypeEnum, VhdFormatEnum, VhdTypeEnum } from './enums';

export const RawVhd = obj({
  path: str,
  vhdFormat: VhdFormatEnum,
  vhdType: VhdTypeEnum,
  size: safeInt,
  fileSize: safeInt,
  parentPath: strOrNull,
  diskIdentifier: strOrNull.optional(),
});
export type RawVhd = z.infer<typeof RawVhd>;

export const RawSlot = {
  controllerType: ControllerTypeEnum,
  controllerNumber: safeInt,
  controllerLocation: safeInt,
};

export const RawDrive = obj({
  id: strOrNull.optional(),
  ...RawSlot,
  path: strOrNull,
  diskNumber: safeIntOrNull.optional(),
  supportPersistentReservations: bool.optional(),
  /** Leaf first, as Get-VHD walks ParentPath. */
  chain: arr(RawVhd),
  chainError: strOrNull.optional(),
});
export type RawDrive = z.infer<typeof RawDrive>;

export const RawReferencePoint = obj({
  instanceId: str,
  vmId: guidOrNull.optional(),
  referencePointType: safeIntOrNull.optional(),
  consistencyLevel: safeIntOrNull.optional(),
  created: dateOrNull.optional(),
  virtualDiskIdentifiers: arr(str),
  rctIds: arr(str),
});
export type RawReferencePoint = z.infer<typeof RawReferencePoint>;

/** Stable disk id: a shared disk by its base file (the same id in every VM), others by VM and controller slot. */
export function diskIdOf(
  vmId: string,
  slot: { controllerType: string; controllerNumber: number; controllerLocation: number },
  basePath: string | null,
  shared: boolean,
): string {
  if (shared && basePath) return `shared:${basePath.toLowerCase()}`;
  return `${vmId}:${slot.controllerType}${slot.controllerNumber}:${slot.controllerLocation}`;
}

/** Parse a disk id made by diskIdOf back into its controller slot (null for shared-disk ids). */
export function slotOfDiskId(id: string): {
  vmId: string;
  controllerType: 'IDE' | 'SCSI';
  controllerNumber: number;
  controllerLocation: number;
} | null {
  const m = /^([0-9a-f-]{36}):(IDE|SCSI)(\d+):(\d+)$/.exec(id);
  return m
    ? {
        vmId: m[1] as string,
        controllerType: m[2] as 'IDE' | 'SCSI',
        controllerNumber: Number(m[3]),
        controllerLocation: Number(m[4]),
      }
    : null;
}

export function isSharedDrive(d: RawDrive): boolean {
  return (
    d.supportPersistentReservations === true ||
    /\.vhds$/i.test(d.path ?? '') ||
    d.chain.some((f) => f.vhdFormat === 'vhds')
  );
}
