// Reference points: map VirtualDiskIdentifiers[i] / ResilientChangeTrackingIdentifiers[i] to the console's disk ids.
import type { ReferencePoint } from '../../types';
import { diskIdOf, isSharedDrive, type RawDrive, type RawReferencePoint } from './raw';

/**
 * Which of the VM's drives an entry of VirtualDiskIdentifiers designates. Documented only as "WMI instance IDs of
 * the VM's virtual disks" (§7.4) [UNVERIFIED form], so three forms are tried: the drive's Id, the same id with a
 * different last segment (…\D drive vs …\L disk), or the VHDX DiskIdentifier GUID of a file in the drive's chain.
 */
export function resolveDiskIdentifier(
  identifier: string,
  vmId: string,
  drives: readonly RawDrive[],
): string | null {
  const id = identifier.toLowerCase();
  const stem = (s: string): string => s.toLowerCase().replace(/\\[a-z]$/, '');
  const g = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/.exec(id)?.[1];
  for (const d of drives) {
    const did = (d.id ?? '').toLowerCase();
    const hit =
      (did !== '' && (did === id || stem(did) === stem(id))) ||
      (g !== undefined &&
        !id.includes('\\') &&
        d.chain.some((f) => (f.diskIdentifier ?? '').toLowerCase().replace(/[{}]/g, '') === g));
    if (hit) {
      const base = d.chain[d.chain.length - 1]?.path ?? d.path;
      return diskIdOf(vmId, d, base, isSharedDrive(d));
    }
  }
  return null;
}

export function mapReferencePoint(
  rp: RawReferencePoint,
  vmId: string,
  drives: readonly RawDrive[],
  createdFallback = '',
): ReferencePoint {
  const rctIds: Record<string, string> = {};
  rp.virtualDiskIdentifiers.forEach((ident, i) => {
    const rct = rp.rctIds[i];
    if (rct === undefined || rct === '') return;
    // Unresolvable identifiers are kept under a "wmi:" key: changedRanges then answers full-required for that disk.
    rctIds[resolveDiskIdentifier(ident, vmId, drives) ?? `wmi:${ident}`] = rct;
  });
  return { id: rp.instanceId, vmId, created: rp.created ?? createdFallback, rctIds };
}
