// What the repository is: path, encryption, and its headline figures (points, sizes, dedupe and compression).
import type { RepoInfo } from '../../../shared/contract/backup';
import { bytes, ratio } from '../format';
import { Stat } from './Stat';

export function RepoFacts({ info }: { info: RepoInfo }) {
  const s = info.stats;
  return (
    <div data-testid="repo-facts">
      <dl className="facts">
        <dt>Path</dt>
        <dd className="mono">{info.path}</dd>
        <dt>Encryption</dt>
        <dd>{s ? (s.encrypted ? 'encrypted (passphrase)' : 'not encrypted') : '–'}</dd>
        <dt>Chunk size</dt>
        <dd>{s ? bytes(s.chunkSize) : '–'}</dd>
      </dl>
      {s && (
        <div className="stats">
          <Stat label="Restore points" value={s.points.toLocaleString()} />
          <Stat label="VMs" value={s.vms.length.toLocaleString()} />
          <Stat
            label="Logical (full copies)"
            value={bytes(s.logicalBytes)}
            hint="Sum of the disks' virtual sizes over every point"
          />
          <Stat label="Data" value={bytes(s.dataBytes)} hint="Non-empty data over every point" />
          <Stat label="Stored" value={bytes(s.storedBytes)} hint="After dedupe and compression" />
          <Stat label="On disk" value={bytes(s.repoBytes)} />
          {s.volume && (
            <Stat
              label="Free on its volume"
              value={`${bytes(s.volume.freeBytes)} of ${bytes(s.volume.sizeBytes)}`}
              hint="Free space where the repository is; backups warn when less is left than they stored"
              {...(s.volume.freeBytes < s.volume.sizeBytes / 10 ? { tone: 'warn' as const } : {})}
            />
          )}
          <Stat label="Dedupe" value={ratio(s.dedupeRatio)} hint="data / unique data" />
          <Stat label="Compression" value={ratio(s.compressionRatio)} hint="unique data / stored" />
          <Stat label="Packs" value={s.packs.toLocaleString()} />
        </div>
      )}
    </div>
  );
}
