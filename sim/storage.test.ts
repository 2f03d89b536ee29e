import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimStorage } from './storage.ts';
import { SeededRandom } from './random.ts';
import { StorageFullError, StorageUnavailableError } from '../hal/errors.ts';

const make = (seed = 1, capacityBytes = 1 << 20) => new SimStorage({ name: 'sim', capacityBytes, random: new SeededRandom(seed) });

describe('SimStorage power-loss model', () => {
  it('never changes synced bytes; any unsynced tail is a prefix of what was written, possibly followed by garbage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ data: fc.uint8Array({ minLength: 1, maxLength: 40 }), sync: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (writes, seed) => {
          const s = make(seed);
          const f = await s.openAppend('j.log');
          const all: number[] = [];
          let synced = 0;
          for (const w of writes) {
            await f.append(w.data);
            all.push(...w.data);
            if (w.sync) {
              await f.sync();
              synced = all.length;
            }
          }
          s.powerCut();
          const after = await s.read('j.log');
          expect(after.length).toBeGreaterThanOrEqual(synced);
          expect(after.length).toBeLessThanOrEqual(all.length);
          expect([...after.subarray(0, synced)]).toEqual(all.slice(0, synced));
        },
      ),
    );
  });

  it('a tear policy gives exact control: keep k unsynced bytes, then g garbage bytes', async () => {
    const s = make();
    const f = await s.openAppend('a');
    await f.append(new Uint8Array([1, 2, 3]));
    await f.sync();
    await f.append(new Uint8Array([4, 5, 6, 7, 8]));
    s.powerCut(() => ({ keep: 2, garbage: 1 }));
    const got = await s.read('a');
    expect([...got.subarray(0, 5)]).toEqual([1, 2, 3, 4, 5]);
    expect(got.length).toBe(6);
    // The open handle is dead after the cut, like a process killed by power loss.
    await expect(f.append(new Uint8Array([9]))).rejects.toThrow(/no longer valid/);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number) => {
      const s = make(seed);
      const f = await s.openAppend('a');
      for (let i = 0; i < 20; i++) await f.append(new Uint8Array([i, i, i]));
      s.powerCut();
      return [...(await s.read('a'))];
    };
    expect(await run(42)).toEqual(await run(42));
  });

  it('refuses an append that does not fit, writing nothing', async () => {
    const s = make(1, 10);
    const f = await s.openAppend('a');
    await f.append(new Uint8Array(8));
    await expect(f.append(new Uint8Array(3))).rejects.toBeInstanceOf(StorageFullError);
    expect(f.size).toBe(8);
    expect((await s.space()).freeBytes).toBe(2);
  });

  it('a pulled medium fails every call with StorageUnavailableError and keeps its files', async () => {
    const s = make();
    await s.writeAtomic('v/1', new Uint8Array([7]));
    const f = await s.openAppend('v/2');
    s.setAvailable(false);
    await expect(s.read('v/1')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(f.append(new Uint8Array([1]))).rejects.toBeInstanceOf(StorageUnavailableError);
    s.setAvailable(true);
    expect([...(await s.read('v/1'))]).toEqual([7]);
  });
});
