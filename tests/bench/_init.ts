import { Repository } from '../../electron/services/repository/repository';
const r = await Repository.init(
  process.argv[2] as string,
  process.argv[3] ? { chunkSize: Number(process.argv[3]) } : {},
);
await r.close();
