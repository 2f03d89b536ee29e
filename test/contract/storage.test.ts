import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeStorageContract } from './storage.contract.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { FsStorage } from '../../hal/linux/fs-storage.ts';

describeStorageContract('simulated (in memory)', async () => ({
  storage: new SimStorage({ name: 'sim card', capacityBytes: 1 << 20, random: new SeededRandom(1) }),
  cleanup: async () => {},
}));

describeStorageContract('Linux filesystem (FsStorage over a temp folder)', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'dozor-storage-'));
  return { storage: new FsStorage({ name: 'fs', root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});
