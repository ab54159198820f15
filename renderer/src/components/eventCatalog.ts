// Pure: what well-known Hyper-V event ids mean for a backup, in words (field survey §2.8).
const CATALOG: Record<number, string> = {
  10103: 'No SCSI controller: the VM cannot be backed up online on a 2012 R2 host.',
  19080: 'A background disk merge completed.',
  19100: 'A background disk merge failed: the next backup may fail with "file in use".',
  18012: 'A checkpoint was created.',
  18014: 'A checkpoint was removed.',
  32768: 'Guest cluster: the cluster service inside the guest could not be queried.',
  32770: 'Guest cluster: the VHD Set is used as a CSV inside the guest.',
  32775: 'Guest cluster: the shared disk does not have exactly one owner, or is offline.',
};

export function explainEvent(id: number): string | undefined {
  return CATALOG[id];
}
