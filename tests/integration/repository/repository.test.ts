import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { Repository, chunkRangesFor, selectRetention } from '../../../electron/services/repository';
import { LocalFolderBackend, type Backend } from '../../../electron/services/repository/backend';
import { dataDigest } from '../../../electron/services/repository/digest';
import { useRepos } from './fixtures';
import { KiB, MiB, damageChunk, makeDisk, mutate, readBack, writeFull } from './helpers';

const FAST_KDF = { N: 1 << 10, r: 8, p: 1 };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const { dir, init, open } = useRepos({
  chunkSize: 256 * KiB,
  packTargetSize: 512 * KiB,
  threads: 2,
});

describe('repository: init and open', () => {
  it('creates a repository, opens it again, and explains what is wrong otherwise', async () => {
    const d = dir('init');
    const r = await init(d, { chunkSize: 512 * KiB });
    expect(r.chunkSize).toBe(512 * KiB);
    expect(JSON.parse(readFileSync(path.join(d, 'config'), 'utf8')).format).toBe('hvbc-repository');
    const again = await open(d);
    expect(again.chunkSize).toBe(512 * KiB);
    expect(await again.listPoints()).toEqual([]);
    await expect(Repository.init(d)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: /already a backup repository/,
    });
    await expect(Repository.open(path.join(d, 'nope'))).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
    });
    await expect(Repository.init(dir('bad'), { chunkSize: 3 * MiB })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    const def = await init(dir('default'), { chunkSize: undefined });
    expect(def.chunkSize).toBe(256 * KiB);
    await expect(r.getPoint('20250101T000000Z-00000000')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('repository: replaced under a running writer', () => {
  it('a point is not recorded when the config changed or vanished since the repository was opened', async () => {
    const d = dir('replaced');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const cfg = path.join(d, 'config');
    const mine = readFileSync(cfg);
    const begin = async () => {
      const w = await repo.beginPoint({ vmId: 'vmR', vmName: 'R', kind: 'full' });
      const dw = await w.beginDisk('d', { virtualSize: 2 * cs });
      await dw.writeChunk(0, makeDisk(31, cs, cs));
      await dw.finish();
      return w;
    };
    // Another "repo init" put its own config in place (as a rename does on a share without hard links).
    const other = dir('other');
    await (await init(other)).close();
    const w1 = await begin();
    writeFileSync(cfg, readFileSync(path.join(other, 'config')));
    await expect(w1.commit()).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('was replaced while this ran'),
    });
    await w1.abort();
    // The share went away: its path is an empty folder now.
    writeFileSync(cfg, mine);
    const w2 = await begin();
    rmSync(cfg);
    await expect(w2.commit()).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
      message: expect.stringContaining('config is gone'),
    });
    await w2.abort();
    expect(existsSync(path.join(d, 'points')) ? readdirSync(path.join(d, 'points')) : []).toEqual(
      [],
    );
    // Back in place, the next backup is recorded.
    writeFileSync(cfg, mine);
    const ok = await writeFull(repo, 'vmR', { d: makeDisk(32, 2 * cs, cs) });
    expect((await repo.listPoints()).map((p) => p.id)).toEqual([ok.summary.id]);
  });

  it('of two inits at the same moment on a share without hard links, the one whose config lost says so', async () => {
    const d = dir('init-race');
    const other = dir('init-race-other');
    await (await init(other)).close();
    // putIfAbsent as such a share does it (a rename), with the other init renaming its config over right after.
    const b = new LocalFolderBackend(d);
    const racing: Backend = {
      list: (prefix) => b.list(prefix),
      get: (key) => b.get(key),
      getRange: (key, offset, length) => b.getRange(key, offset, length),
      stat: (key) => b.stat(key),
      put: (key, data) => b.put(key, data),
      delete: (key) => b.delete(key),
      putIfAbsent: async (key, data) => {
        if (await b.stat(key)) return false;
        await b.put(key, data);
        if (key === 'config') await b.put(key, readFileSync(path.join(other, 'config')));
        return true;
      },
    };
    await expect(init(d, { backend: racing })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('Another "repo init" created a backup repository'),
    });
  });
});

describe('repository: write and read back', () => {
  it('a full point from a random buffer with zero regions and repeated chunks reads back identically', async () => {
    const d = dir('rt');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const data = makeDisk(1, 40 * cs + 12_345, cs);
    // Force a long zero run and an exact repeat.
    data.fill(0, 5 * cs, 9 * cs);
    data.copy(data, 20 * cs, 2 * cs, 3 * cs);
    const { summary, results } = await writeFull(
      repo,
      'vm1',
      { 'disk0.vhdx': data },
      { checkpointId: 'cp1', tags: ['nightly'] },
    );
    const r = results['disk0.vhdx'];
    expect(r?.digest).toBe(dataDigest(data, cs));
    const nonZero = Array.from({ length: 41 }, (_, i) =>
      data.subarray(i * cs, Math.min(data.length, (i + 1) * cs)),
    ).filter((c) => c.some((b) => b !== 0));
    const distinct = new Set(nonZero.map(sha));
    expect(r?.chunksNew).toBe(distinct.size);
    expect(r?.chunksReused).toBe(nonZero.length - distinct.size);
    expect(r?.bytesRead).toBe(data.length);
    const back = await readBack(repo, summary.id, 'disk0.vhdx', data.length);
    expect(back.data.equals(data)).toBe(true);
    expect(back.digest).toBe(dataDigest(data, cs));
    // Zero chunks are not stored; the manifest says zero.
    const ids = await repo.diskChunks(summary.id, 'disk0.vhdx');
    expect(ids.slice(5, 9)).toEqual(['zero', 'zero', 'zero', 'zero']);
    expect(ids[20]).toBe(ids[2]);
    const m = await repo.getPoint(summary.id);
    expect(m.meta).toMatchObject({ checkpointId: 'cp1', tags: ['nightly'] });
    expect(summary.tags).toEqual(['nightly']);
    expect((await repo.check({ readData: true })).ok).toBe(true);
    // Reopened from disk (another process would see the same).
    const again = await open(d);
    expect((await readBack(again, summary.id, 'disk0.vhdx', data.length)).data.equals(data)).toBe(
      true,
    );
  });

  it('markZero, sparse writes, several disks, metadata at commit, and validation of bad writes', async () => {
    const repo = await init(dir('sparse'), { threads: 0 });
    const cs = repo.chunkSize;
    const a = makeDisk(2, 10 * cs, cs);
    a.fill(0, 0, 4 * cs);
    const w = await repo.beginPoint({ vmId: 'vm2', vmName: 'Two', kind: 'full' });
    const d = await w.beginDisk('a', { virtualSize: a.length, meta: { controller: 'SCSI 0:0' } });
    await d.markZero(0, 4 * cs);
    for (let o = 4 * cs; o < a.length; o += cs) await d.writeChunk(o, a.subarray(o, o + cs));
    await expect(d.writeChunk(3, Buffer.alloc(cs))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(d.writeChunk(cs, Buffer.alloc(cs - 1))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(d.markZero(cs, 100)).rejects.toMatchObject({ code: 'VALIDATION' });
    const fa = await d.finish();
    expect(fa.digest).toBe(dataDigest(a, cs));
    // Disk b: only some chunks written, rest never mentioned = zeros.
    const b = Buffer.alloc(6 * cs + 7);
    b.fill(9, 2 * cs, 3 * cs);
    const db = await w.beginDisk('b', { virtualSize: b.length });
    await db.writeChunk(2 * cs, b.subarray(2 * cs, 3 * cs));
    expect((await db.finish()).digest).toBe(dataDigest(b, cs));
    await expect(w.beginDisk('a', { virtualSize: 1 })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    const s = await w.commit({ consistency: 'crash-consistent', events: [{ id: 1 }] });
    expect(s.disks.map((x) => x.key)).toEqual(['a', 'b']);
    expect((await repo.getPoint(s.id)).meta).toEqual({
      consistency: 'crash-consistent',
      events: [{ id: 1 }],
    });
    expect((await repo.getPoint(s.id)).disks.a?.meta).toEqual({ controller: 'SCSI 0:0' });
    expect((await readBack(repo, s.id, 'a', a.length)).data.equals(a)).toBe(true);
    expect((await readBack(repo, s.id, 'b', b.length)).data.equals(b)).toBe(true);
    await expect(w.commit()).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(repo.readDisk(s.id, 'zzz', async () => undefined)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const ac = new AbortController();
    ac.abort();
    await expect(
      repo.readDisk(s.id, 'a', async () => undefined, { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'CANCELED' });
  });

  it('an incremental with a base copies unchanged chunks by reference and reads back right', async () => {
    const repo = await init(dir('incr'));
    const cs = repo.chunkSize;
    const v1 = makeDisk(3, 32 * cs + 999, cs);
    const full = await writeFull(repo, 'vm3', { d: v1 });
    const { data: v2, ranges } = mutate(v1, 77, 3, cs);
    const touched = chunkRangesFor(ranges, cs, v2.length);
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.length).toBeLessThanOrEqual(6);
    const w = await repo.beginPoint({
      vmId: 'vm3',
      vmName: 'VM vm3',
      kind: 'incremental',
      changeTrackingId: 'rct-2',
    });
    const d = await w.beginDisk('d', { virtualSize: v2.length, basePointId: full.summary.id });
    for (const i of touched)
      await d.writeChunk(i * cs, v2.subarray(i * cs, Math.min(v2.length, (i + 1) * cs)));
    const f = await d.finish();
    // Only the changed chunks were seen, yet the digest covers the whole new disk (base table + changes).
    expect(f.digest).toBe(dataDigest(v2, cs));
    expect(f.chunksNew + f.chunksReused).toBe(touched.length);
    const inc = await w.commit();
    const disk = (await repo.getPoint(inc.id)).disks.d;
    expect(disk?.basePointId).toBe(full.summary.id);
    expect(disk?.stats.chunksFromBase).toBeGreaterThan(10);
    expect((disk?.stats.chunksFromBase ?? 0) + (disk?.stats.chunksZero ?? 0) + touched.length).toBe(
      33,
    );
    const back = await readBack(repo, inc.id, 'd', v2.length);
    expect(back.data.equals(v2)).toBe(true);
    expect(back.digest).toBe(dataDigest(v2, cs));
    // The increment is a synthetic full: deleting the base does not break it.
    await repo.deletePoint(full.summary.id);
    await repo.gc({ graceMs: 0 });
    expect((await readBack(repo, inc.id, 'd', v2.length)).data.equals(v2)).toBe(true);
    expect((await repo.check({ readData: true })).ok).toBe(true);
    await expect(
      repo
        .beginPoint({ vmId: 'x', vmName: 'x', kind: 'incremental' })
        .then((p) => p.beginDisk('d', { virtualSize: 1, basePointId: full.summary.id })),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an incremental on a grown disk re-reads the old tail chunk', async () => {
    const repo = await init(dir('grow'));
    const cs = repo.chunkSize;
    const v1 = makeDisk(4, 4 * cs + 100, cs);
    const full = await writeFull(repo, 'vm4', { d: v1 });
    const v2 = Buffer.concat([v1, Buffer.alloc(2 * cs, 5)]);
    const w = await repo.beginPoint({ vmId: 'vm4', vmName: 'VM vm4', kind: 'incremental' });
    const d = await w.beginDisk('d', { virtualSize: v2.length, basePointId: full.summary.id });
    for (const i of chunkRangesFor(
      [{ offset: v1.length, length: v2.length - v1.length }],
      cs,
      v2.length,
    )) {
      await d.writeChunk(i * cs, v2.subarray(i * cs, Math.min(v2.length, (i + 1) * cs)));
    }
    const inc = await w.commit();
    expect((await readBack(repo, inc.id, 'd', v2.length)).data.equals(v2)).toBe(true);
  });

  it('dedupe counters and stats: a second full of the same data stores nothing new', async () => {
    const where = dir('dedupe');
    const repo = await init(where);
    const cs = repo.chunkSize;
    const data = makeDisk(5, 24 * cs, cs);
    const first = await writeFull(repo, 'vmA', { d: data });
    const second = await writeFull(repo, 'vmB', { d: data });
    const f1 = first.results.d;
    const f2 = second.results.d;
    expect(f2?.chunksNew).toBe(0);
    expect(f2?.chunksReused).toBe((f1?.chunksNew ?? 0) + (f1?.chunksReused ?? 0));
    expect(f2?.bytesStored).toBe(0);
    expect(second.summary.bytesStored).toBe(0);
    const st = await repo.stats();
    expect(st.points).toBe(2);
    expect(st.vms.map((v) => [v.vmId, v.points])).toEqual([
      ['vmA', 1],
      ['vmB', 1],
    ]);
    expect(st.logicalBytes).toBe(2 * data.length);
    expect(st.dedupeRatio).toBeGreaterThanOrEqual(2);
    expect(st.compressionRatio).toBeGreaterThan(1);
    expect(st.storedBytes).toBeLessThan(st.uniqueRawBytes);
    // The volume that holds the folder, as statfs reports it.
    const vfs = statfsSync(where);
    expect(st.volume?.sizeBytes).toBe(vfs.blocks * vfs.bsize);
    expect(st.volume?.freeBytes).toBeGreaterThan(0);
    expect(st.volume?.freeBytes).toBeLessThanOrEqual(st.volume?.sizeBytes ?? 0);
  });

  it('encrypted repository: round trip, wrong or missing passphrase, nothing readable on disk', async () => {
    const d = dir('enc');
    const repo = await init(d, { passphrase: 'p4ss phrase', kdf: FAST_KDF });
    const cs = repo.chunkSize;
    const data = makeDisk(6, 12 * cs + 5, cs);
    const { summary } = await writeFull(
      repo,
      'vmE',
      { d: data },
      { vmConfig: { secret: 'config-secret-marker' } },
    );
    await repo.close();
    await expect(Repository.open(d, { passphrase: 'wrong' })).rejects.toMatchObject({
      code: 'WRONG_PASSPHRASE',
      message: /passphrase is wrong/,
    });
    await expect(Repository.open(d)).rejects.toMatchObject({
      code: 'WRONG_PASSPHRASE',
      message: /encrypted/,
    });
    const again = await open(d, { passphrase: 'p4ss phrase' });
    const back = await readBack(again, summary.id, 'd', data.length);
    expect(back.data.equals(data)).toBe(true);
    // Keyed chunk ids make a keyed digest: it matches the point's, never the plain one.
    expect(back.digest).toBe((await again.getPoint(summary.id)).disks.d?.digest);
    expect(back.digest).not.toBe(dataDigest(data, cs));
    const source = {
      virtualSize: data.length,
      readInto: async (buf: Buffer, offset: number) => {
        data.copy(buf, 0, offset, offset + buf.length);
      },
    };
    expect(await again.digestOf(source)).toBe(back.digest);
    // Chunk ids are keyed: the plain SHA-256 of a chunk appears nowhere.
    const ids = await again.diskChunks(summary.id, 'd');
    const firstData = ids.findIndex((x) => x !== 'zero');
    expect(ids[firstData]).not.toBe(sha(data.subarray(firstData * cs, (firstData + 1) * cs)));
    // No plaintext (text chunks contain "seed 6 chunk") in any file.
    const files: string[] = [];
    const walk = (p: string): void => {
      for (const e of readdirSync(p)) {
        if (statSync(path.join(p, e)).isDirectory()) walk(path.join(p, e));
        else files.push(path.join(p, e));
      }
    };
    walk(d);
    for (const f of files) {
      const content = readFileSync(f);
      expect(content.includes(Buffer.from('seed 6 chunk'))).toBe(false);
      expect(content.includes(Buffer.from('config-secret-marker'))).toBe(false);
    }
    expect((await again.check({ readData: true })).ok).toBe(true);
  });
});

describe('repository: check', () => {
  it('stats names the points whose manifest or chunk map cannot be read and leaves them out of its figures', async () => {
    const d = dir('stats-unreadable');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const lost = await writeFull(repo, 'vmA', { d: makeDisk(21, 6 * cs, cs) });
    const noMap = await writeFull(repo, 'vmB', { d: makeDisk(22, 6 * cs, cs) });
    const good = await writeFull(repo, 'vmC', { d: makeDisk(23, 6 * cs, cs) });
    writeFileSync(path.join(d, 'points', lost.summary.id), 'garbage');
    const mapId = (await repo.getPoint(noMap.summary.id)).disks.d?.maps[0];
    await damageChunk(repo, d, mapId as string, 0x10);

    const st = await (await open(d)).stats();
    expect(st.points).toBe(1);
    expect(st.vms.map((v) => v.vmId)).toEqual(['vmC']);
    expect(st.logicalBytes).toBe(good.summary.logicalBytes);
    expect(st.unreadablePoints.map((u) => u.id).sort()).toEqual(
      [lost.summary.id, noMap.summary.id].sort(),
    );
    const map = st.unreadablePoints.find((u) => u.id === noMap.summary.id);
    expect(map).toMatchObject({ vmName: noMap.summary.vmName, time: noMap.summary.time });
    expect(map?.why).toMatch(/chunk map/);
    expect(st.unreadablePoints.find((u) => u.id === lost.summary.id)?.vmName).toBeUndefined();
  });

  it('a damaged chunk found by check --read-data is stored anew by the next backup, which heals older points', async () => {
    const d = dir('heal');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const data = makeDisk(9, 12 * cs, cs);
    const p1 = await writeFull(repo, 'vm9', { d: data });
    const victim = (await repo.diskChunks(p1.summary.id, 'd')).find((id) => id !== 'zero');
    await damageChunk(repo, d, victim as string, 0x08);

    // A restore that meets the damage records it too; the check finds the same.
    await expect(readBack(repo, p1.summary.id, 'd', data.length)).rejects.toMatchObject({
      code: 'REPO_CORRUPT',
    });
    expect(readdirSync(path.join(d, 'damaged'))).toHaveLength(1);
    const found = await repo.check({ readData: true });
    expect(found.corruptChunks).toEqual([victim]);
    expect(found.errors.join(' ')).toMatch(/next backup of each affected VM stores them anew/);
    expect(readdirSync(path.join(d, 'damaged'))).toHaveLength(1);

    // Another process opens the repository and backs the same data up: the damaged copy is not reused.
    const other = await open(d);
    const p2 = await writeFull(other, 'vm9', { d: data });
    expect(p2.results.d?.chunksNew).toBe(1);
    expect((await readBack(other, p1.summary.id, 'd', data.length)).data.equals(data)).toBe(true);
    const again = await open(d);
    expect((await readBack(again, p1.summary.id, 'd', data.length)).data.equals(data)).toBe(true);
    const healed = await again.check({ readData: true });
    expect(healed.ok).toBe(true);
    expect(healed.corruptChunks).toEqual([]);
    // Garbage collection later keeps the good copy.
    await again.gc({ graceMs: 0 });
    expect((await readBack(again, p2.summary.id, 'd', data.length)).data.equals(data)).toBe(true);
    expect((await again.check({ readData: true })).ok).toBe(true);
  });

  it('check --read-data names a chunk with a flipped byte and every point that uses it', async () => {
    const d = dir('flip');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const data = makeDisk(7, 16 * cs, cs);
    const p1 = await writeFull(repo, 'vm7', { d: data });
    const p2 = await writeFull(repo, 'vm7', { d: mutate(data, 3, 2, cs).data });
    const p3 = await writeFull(repo, 'vm8', { d: makeDisk(8, 4 * cs, cs) });
    const ids = await repo.diskChunks(p1.summary.id, 'd');
    const ids2 = new Set(await repo.diskChunks(p2.summary.id, 'd'));
    const victim = ids.find((id) => id !== 'zero' && ids2.has(id));
    expect(victim).toBeDefined();
    await damageChunk(repo, d, victim as string, 0x40);

    const structure = await repo.check();
    expect(structure.ok).toBe(true); // structure is intact
    const progress: number[] = [];
    const r = await repo.check({ readData: true, onProgress: (done) => progress.push(done) });
    expect(r.ok).toBe(false);
    expect(r.corruptChunks).toEqual([victim]);
    expect(r.missingChunks).toEqual([]);
    expect(r.affectedPoints).toEqual([p1.summary.id, p2.summary.id].sort());
    expect(r.affectedPoints).not.toContain(p3.summary.id);
    expect(r.chunksChecked).toBeGreaterThan(10);
    // Every stored chunk is used once here, so both checks count the same chunks (data and chunk maps).
    expect(structure.chunksChecked).toBe(r.chunksChecked);
    expect(progress.at(-1)).toBe(r.chunksChecked);
    // The same verdict with the chunks re-hashed on this thread (no worker threads).
    const inline = await open(d, { threads: 0 });
    expect(await inline.threads()).toBe(0);
    expect(await inline.check({ readData: true })).toEqual(r);
    await expect(readBack(repo, p1.summary.id, 'd', data.length)).rejects.toMatchObject({
      code: 'REPO_CORRUPT',
      details: { chunk: victim },
    });
  });

  it('check --read-data stops between batches when canceled, and a later check still passes', async () => {
    const d = dir('cancel-check');
    const repo = await init(d);
    const cs = repo.chunkSize;
    await writeFull(repo, 'vm9', { d: makeDisk(11, 256 * cs, cs) }); // more than two 16 MiB batches
    const ctl = new AbortController();
    const seen: number[] = [];
    let total = 0;
    await expect(
      repo.check({
        readData: true,
        signal: ctl.signal,
        onProgress: (done, all) => {
          seen.push(done);
          total = all;
          if (done > 0) ctl.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELED' });
    // Stopped after the first batch, well before the end.
    expect(Math.max(...seen)).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThan(total);
    expect((await repo.check({ readData: true })).ok).toBe(true);
  });

  it('a point with a damaged manifest is moved aside (only that one), after which gc runs again', async () => {
    const d = dir('quarantine');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const lost = await writeFull(repo, 'vmQ', { d: makeDisk(41, 6 * cs, cs) });
    const kept = await writeFull(repo, 'vmK', { d: makeDisk(42, 6 * cs, cs) });
    writeFileSync(path.join(d, 'points', lost.summary.id), 'garbage');
    const again = await open(d);
    // While it is damaged gc refuses to sweep (it cannot tell what the point uses).
    await expect(again.gc({ graceMs: 0 })).rejects.toMatchObject({ code: 'REPO_CORRUPT' });
    await expect(again.quarantinePoint(kept.summary.id)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('reads fine'),
    });
    await expect(again.quarantinePoint('20250101T000000Z-00000000')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await again.quarantinePoint(lost.summary.id)).toEqual({
      pointId: lost.summary.id,
      movedTo: `quarantine/points/${lost.summary.id}`,
    });
    expect(readdirSync(path.join(d, 'points'))).toEqual([kept.summary.id]);
    expect(readFileSync(path.join(d, 'quarantine', 'points', lost.summary.id), 'utf8')).toBe(
      'garbage',
    );
    expect((await again.stats()).unreadablePoints).toEqual([]);
    const g = await again.gc({ graceMs: 0 });
    expect(g.bytesFreed).toBeGreaterThan(0);
    expect((await again.check({ readData: true })).ok).toBe(true);
  });

  it('check names every chunk of a deleted pack and the points that need them', async () => {
    const d = dir('delpack');
    const repo = await init(d);
    const cs = repo.chunkSize;
    const a = await writeFull(repo, 'vmA', { d: makeDisk(9, 12 * cs, cs) });
    const b = await writeFull(repo, 'vmB', { d: makeDisk(10, 12 * cs, cs) });
    const idsA = (await repo.diskChunks(a.summary.id, 'd')).filter((x) => x !== 'zero');
    const loc = await repo.locateChunk(idsA[idsA.length - 1] as string);
    if (!loc) throw new Error('not indexed');
    const inPack: string[] = [];
    for (const id of new Set([...idsA, ...(await repo.diskChunks(b.summary.id, 'd'))])) {
      if (id !== 'zero' && (await repo.locateChunk(id))?.pack === loc.pack) inPack.push(id);
    }
    rmSync(path.join(d, ...loc.packPath.split('/')));
    const r = await repo.check();
    expect(r.ok).toBe(false);
    expect(r.missingChunks).toEqual([...inPack].sort());
    expect(r.affectedPoints).toContain(a.summary.id);
    expect(r.errors.join('\n')).toMatch(new RegExp(`Pack ${loc.pack} is missing`));
    const rd = await repo.check({ readData: true });
    expect(rd.missingChunks).toEqual(r.missingChunks);
  });
});

describe('repository: delete, gc, retention', () => {
  it('deleting any point never breaks another (property: random writes, incrementals, deletes, gc)', async () => {
    type Cmd =
      | { op: 'full'; seed: number }
      | { op: 'incr'; seed: number; pick: number }
      | { op: 'delete'; pick: number }
      | { op: 'gc' };
    const cmd = fc.oneof(
      fc.record({ op: fc.constant('full' as const), seed: fc.integer({ min: 1, max: 6 }) }),
      fc.record({
        op: fc.constant('incr' as const),
        seed: fc.integer({ min: 1, max: 1000 }),
        pick: fc.nat(),
      }),
      fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
      fc.constant({ op: 'gc' as const }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 3, maxLength: 9 }), async (cmds: Cmd[]) => {
        const repo = await init(dir(`prop${run++}`), {
          packTargetSize: 300 * KiB,
          threads: run % 2 ? 2 : 0,
        });
        const cs = repo.chunkSize;
        const live = new Map<string, Buffer>();
        for (const c of cmds) {
          const ids = [...live.keys()];
          if (c.op === 'full') {
            // Few seeds: fulls share chunks with each other and with increments.
            const data = makeDisk(c.seed, 6 * cs + (c.seed % 3) * 1000, cs);
            live.set((await writeFull(repo, `vm${c.seed % 2}`, { d: data })).summary.id, data);
          } else if (c.op === 'incr' && ids.length) {
            const baseId = ids[c.pick % ids.length] as string;
            const base = live.get(baseId) as Buffer;
            const { data, ranges } = mutate(base, c.seed, 2, cs);
            const w = await repo.beginPoint({ vmId: 'vmI', vmName: 'I', kind: 'incremental' });
            const dw = await w.beginDisk('d', { virtualSize: data.length, basePointId: baseId });
            for (const i of chunkRangesFor(ranges, cs, data.length))
              await dw.writeChunk(
                i * cs,
                data.subarray(i * cs, Math.min(data.length, (i + 1) * cs)),
              );
            live.set((await w.commit()).id, data);
          } else if (c.op === 'delete' && ids.length) {
            const id = ids[c.pick % ids.length] as string;
            await repo.deletePoint(id);
            live.delete(id);
          } else if (c.op === 'gc') {
            await repo.gc({ graceMs: 0 });
          }
        }
        await repo.gc({ graceMs: 0 });
        for (const [id, data] of live) {
          const back = await readBack(repo, id, 'd', data.length);
          expect(back.data.equals(data)).toBe(true);
        }
        expect((await repo.listPoints()).map((p) => p.id).sort()).toEqual([...live.keys()].sort());
        const chk = await repo.check({ readData: true });
        expect(chk.errors).toEqual([]);
        expect(chk.ok).toBe(true);
        if (live.size === 0) {
          // Nothing left: gc removed every pack.
          const packs = path.join(repo.dir, 'packs');
          const left = existsSync(packs)
            ? readdirSync(packs).flatMap((s) => readdirSync(path.join(packs, s)))
            : [];
          expect(left).toEqual([]);
        }
        await repo.close();
      }),
      { numRuns: 14, seed: 20250101 },
    );
  });

  it('gc frees the space of deleted points and rewrites partly used packs', async () => {
    const repo = await init(dir('gc'), { packTargetSize: 2 * MiB });
    const cs = repo.chunkSize;
    const keep = makeDisk(11, 20 * cs, cs);
    const a = await writeFull(repo, 'vmK', { d: keep });
    const b = await writeFull(repo, 'vmD', { d: makeDisk(12, 20 * cs, cs) });
    const before = await repo.stats();
    await repo.deletePoint(b.summary.id);
    await expect(repo.deletePoint(b.summary.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const g = await repo.gc({ graceMs: 0 });
    expect(g.packsDeleted + g.packsRewritten).toBeGreaterThan(0);
    expect(g.bytesFreed).toBeGreaterThan(0);
    const after = await repo.stats();
    expect(after.repoBytes).toBeLessThan(before.repoBytes);
    expect((await readBack(repo, a.summary.id, 'd', keep.length)).data.equals(keep)).toBe(true);
    expect((await repo.check({ readData: true })).ok).toBe(true);
    // A default gc (10-minute grace) leaves fresh packs alone.
    await writeFull(repo, 'vmX', { d: makeDisk(13, 8 * cs, cs) }).then((p) =>
      repo.deletePoint(p.summary.id),
    );
    const fresh = await repo.gc();
    expect(fresh.packsDeleted).toBe(0);
    // …and says how much it left for a later run. With no grace at all, those chunks go.
    expect(fresh.youngChunks).toBeGreaterThan(0);
    expect(g.youngChunks).toBe(0);
    const late = await repo.gc({ graceMs: 0 });
    expect(late.youngChunks).toBe(0);
    expect(late.bytesFreed).toBeGreaterThan(0);
  });

  it('retention picks points and prune removes them', async () => {
    const repo = await init(dir('ret'));
    const cs = repo.chunkSize;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await writeFull(repo, 'vmR', { d: makeDisk(20 + i, 3 * cs, cs) })).summary.id);
    const points = await repo.listPoints({ vmId: 'vmR' });
    expect(points.map((p) => p.id)).toEqual(ids);
    const sel = selectRetention(points, { keepLast: 2 });
    expect(sel.keep).toEqual([ids[3], ids[2]]);
    for (const id of sel.remove) await repo.deletePoint(id);
    expect((await repo.listPoints()).map((p) => p.id)).toEqual([ids[2], ids[3]]);
    expect(await repo.listPoints({ vmId: 'other' })).toEqual([]);
  });
});
