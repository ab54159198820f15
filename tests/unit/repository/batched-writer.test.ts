import { describe, expect, it } from 'vitest';
import { BatchedWriter } from '../../../electron/services/repository/batched-writer';

function recorder(fail?: number) {
  const writes: Array<{ offset: number; data: Buffer }> = [];
  return {
    writes,
    async write(offset: number, data: Buffer) {
      await new Promise((r) => setTimeout(r, 1));
      if (fail !== undefined && offset === fail) throw new Error(`disk full at ${offset}`);
      writes.push({ offset, data: Buffer.from(data) });
    },
  };
}

describe('BatchedWriter', () => {
  it('coalesces consecutive chunks, splits at gaps and at the batch size, and keeps its own copy', async () => {
    const t = recorder();
    const w = new BatchedWriter(t, 4096);
    const chunk = Buffer.alloc(1024);
    for (const [off, v] of [
      [0, 1],
      [1024, 2],
      [2048, 3],
      [8192, 4],
      [9216, 5],
      [10240, 6],
      [11264, 7],
      [12288, 8],
    ] as const) {
      chunk.fill(v);
      await w.add(off, chunk); // the same buffer every time: the writer must have copied it
    }
    await w.finish();
    expect(t.writes.map((x) => [x.offset, x.data.length])).toEqual([
      [0, 3072],
      [8192, 4096],
      [12288, 1024],
    ]);
    expect([...t.writes[0]!.data.subarray(1024, 1026)]).toEqual([2, 2]);
    expect(t.writes[1]!.data[4095]).toBe(7);
    expect(t.writes[2]!.data[0]).toBe(8);
  });

  it('reports the first write error', async () => {
    const t = recorder(4096);
    const w = new BatchedWriter(t, 4096);
    await w.add(0, Buffer.alloc(4096));
    await w.add(4096, Buffer.alloc(4096));
    await w.add(8192, Buffer.alloc(4096)).catch(() => undefined);
    await expect(w.finish()).rejects.toThrow('disk full at 4096');
  });
});
