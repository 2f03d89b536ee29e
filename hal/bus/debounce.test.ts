import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Debouncer } from './debounce.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import type { Level } from './gpio.ts';

describe('Debouncer', () => {
  it('ignores contact bounce shorter than the debounce time and reports the settled level once', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const edges: Array<[Level, number]> = [];
    const d = new Debouncer(clock, 20, 0, (v, at) => edges.push([v, at]));
    // Press at t=100 with 5 ms of bounce, release at t=400 with bounce.
    const script: Array<[number, Level]> = [
      [100, 1], [101, 0], [103, 1], [105, 0], [106, 1],
      [400, 0], [402, 1], [404, 0],
    ];
    for (const [t, v] of script) clock.setTimeout(() => d.input(v), t);
    clock.advance(1000);
    expect(edges).toEqual([
      [1, 126],
      [0, 424],
    ]);
  });

  it('never reports a level that did not stay stable for the debounce time (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }), fc.integer({ min: 1, max: 30 }), (gaps, ms) => {
        const clock = new VirtualClock({ startEpochMs: 0 });
        const raw: Array<[number, Level]> = [];
        const edges: Array<[Level, number]> = [];
        const d = new Debouncer(clock, ms, 0, (v, at) => edges.push([v, at]));
        let t = 0;
        let v: Level = 0;
        for (const g of gaps) {
          t += g;
          v = v === 0 ? 1 : 0;
          const level = v;
          raw.push([t, level]);
          clock.setTimeout(() => d.input(level), t);
        }
        clock.advance(t + ms + 1);
        for (const [level, at] of edges) {
          // The raw level must have been `level` throughout [at - ms, at).
          const last = [...raw].reverse().find(([rt]) => rt <= at - ms);
          expect(last?.[1]).toBe(level);
          expect(raw.some(([rt]) => rt > at - ms && rt < at)).toBe(false);
        }
        // Consecutive reports alternate, and the final report matches the final raw level.
        for (let i = 1; i < edges.length; i++) expect(edges[i][0]).not.toBe(edges[i - 1][0]);
        expect(d.level).toBe(raw.length ? raw[raw.length - 1][1] : 0);
      }),
    );
  });
});
