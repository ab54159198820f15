import { openChain } from '../../electron/services/vhdx';
const chain = await openChain(process.argv[2] as string);
const buf = Buffer.allocUnsafe(8 << 20);
const t = performance.now();
for (let o = 0; o < chain.virtualSize; o += buf.length)
  await chain.readInto(buf.subarray(0, Math.min(buf.length, chain.virtualSize - o)), o);
console.log('read s', (performance.now() - t) / 1000);
await chain.close();
