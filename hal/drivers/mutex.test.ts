import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Mutex } from './mutex.ts';

describe('Mutex', () => {
  it('runs tasks one at a time in call order, even when some fail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ hops: fc.integer({ min: 0, max: 5 }), fail: fc.boolean() }), { maxLength: 20 }), async (tasks) => {
        const lock = new Mutex();
        const log: string[] = [];
        let inside = 0;
        const runs = tasks.map((t, i) =>
          lock.run(async () => {
            inside += 1;
            expect(inside).toBe(1);
            log.push(`start ${i}`);
            for (let h = 0; h < t.hops; h++) await null;
            log.push(`end ${i}`);
            inside -= 1;
            if (t.fail) throw new Error(`task ${i}`);
            return i;
          }),
        );
        const results = await Promise.allSettled(runs);
        expect(log).toEqual(tasks.flatMap((_, i) => [`start ${i}`, `end ${i}`]));
        results.forEach((r, i) => expect(r.status).toBe(tasks[i].fail ? 'rejected' : 'fulfilled'));
      }),
    );
  });
});
