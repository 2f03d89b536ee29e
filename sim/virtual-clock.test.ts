import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { debounceTime, interval, Subject, take, timer, toArray } from 'rxjs';
import { VirtualClock } from './virtual-clock.ts';

const newClock = () => new VirtualClock({ startEpochMs: Date.UTC(2026, 0, 15, 6, 0, 0) });

describe('VirtualClock', () => {
  it('fires events in due order, ties in scheduling order, with monotonic() equal to the due time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (delays) => {
        const clock = newClock();
        const fired: Array<{ i: number; at: number }> = [];
        delays.forEach((d, i) => clock.setTimeout(() => fired.push({ i, at: clock.monotonic() }), d));
        clock.advance(1000);
        const expected = delays.map((d, i) => ({ i, at: d })).sort((a, b) => a.at - b.at || a.i - b.i);
        expect(fired).toEqual(expected);
        expect(clock.pending).toBe(0);
      }),
    );
  });

  it('never fires a cancelled timer and fires every other one exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 100 }), cancel: fc.boolean() }), { maxLength: 300 }),
        (specs) => {
          const clock = newClock();
          const count = new Array(specs.length).fill(0);
          const handles = specs.map((s, i) => clock.setTimeout(() => (count[i] += 1), s.delay));
          specs.forEach((s, i) => s.cancel && handles[i].cancel());
          clock.advance(200);
          specs.forEach((s, i) => expect(count[i]).toBe(s.cancel ? 0 : 1));
          handles.forEach((h) => expect(h.active).toBe(false));
        },
      ),
    );
  });

  it('cancels from inside a callback, including a timer due at the same instant', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 60 }), fc.nat(), (delays, pick) => {
        const clock = newClock();
        const fired: number[] = [];
        const victim = pick % delays.length;
        const handles = delays.map((d, i) =>
          clock.setTimeout(() => {
            fired.push(i);
            if (i !== victim) handles[victim].cancel();
          }, d),
        );
        clock.advance(10);
        // The victim fires only if it was strictly the first event in (due, seq) order.
        const order = delays.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const victimFirst = order[0][1] === victim;
        expect(fired.includes(victim)).toBe(victimFirst);
        expect(fired.length).toBe(victimFirst ? delays.length : delays.length - 1);
      }),
    );
  });

  it('keeps time non-decreasing and FIFO among equal times when callbacks schedule more work', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 100 }), (delays) => {
        const clock = newClock();
        const log: Array<{ at: number; seq: number }> = [];
        let scheduled = 0;
        const schedule = (d: number) => {
          const seq = scheduled++;
          const due = clock.monotonic() + d;
          clock.setTimeout(() => {
            log.push({ at: clock.monotonic(), seq });
            expect(clock.monotonic()).toBe(due);
            if (scheduled < delays.length) schedule(delays[scheduled]);
          }, d);
        };
        schedule(delays[0]);
        if (delays.length > 1) schedule(delays[1]);
        clock.advance(10_000);
        for (let k = 1; k < log.length; k++) {
          expect(log[k].at).toBeGreaterThanOrEqual(log[k - 1].at);
          if (log[k].at === log[k - 1].at) expect(log[k].seq).toBeGreaterThan(log[k - 1].seq);
        }
        expect(log.length).toBe(delays.length);
      }),
    );
  });

  it('gives the same firing sequence whether advanced in one jump or in random steps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 100 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 30 }),
        (delays, steps) => {
          const runWith = (advanceAll: (c: VirtualClock) => void) => {
            const clock = newClock();
            const seen: Array<[number, number]> = [];
            delays.forEach((d, i) => clock.setTimeout(() => seen.push([i, clock.monotonic()]), d));
            clock.setInterval(() => seen.push([-1, clock.monotonic()]), 37);
            advanceAll(clock);
            return seen.filter(([, at]) => at <= 600);
          };
          const oneJump = runWith((c) => c.advance(600));
          const stepped = runWith((c) => {
            let total = 0;
            for (const s of steps) {
              if (total + s > 600) break;
              c.advance(s);
              total += s;
            }
            c.advance(600 - total);
          });
          expect(stepped).toEqual(oneJump);
        },
      ),
    );
  });

  it('runs intervals without drift and stops them when cancelled from their own callback', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 50_000 }), (period, span) => {
        const clock = newClock();
        const at: number[] = [];
        clock.setInterval(() => at.push(clock.monotonic()), period);
        clock.advance(span);
        expect(at.length).toBe(Math.floor(span / period));
        at.forEach((t, k) => expect(t).toBe((k + 1) * period));
      }),
    );
    const clock = newClock();
    let n = 0;
    const h = clock.setInterval(() => {
      n += 1;
      if (n === 3) h.cancel();
    }, 10);
    clock.advance(1000);
    expect(n).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('lets async chains settle between instants when run()', async () => {
    const clock = newClock();
    const log: string[] = [];
    const read = async (v: string) => {
      await Promise.resolve();
      await new Promise<void>((r) => queueMicrotask(r));
      return v;
    };
    clock.setInterval(() => {
      void (async () => {
        const a = await read('a');
        const b = await read('b');
        log.push(`${clock.monotonic()}:${a}${b}`);
        clock.setTimeout(() => log.push(`${clock.monotonic()}:follow`), 0);
      })();
    }, 100);
    await clock.runUntil(300);
    expect(log).toEqual(['100:ab', '100:follow', '200:ab', '200:follow', '300:ab', '300:follow']);
    expect(clock.monotonic()).toBe(300);
  });

  it('stops a run on request after the current instant', async () => {
    const clock = newClock();
    let n = 0;
    clock.setInterval(() => {
      n += 1;
      if (n === 5) clock.stop();
    }, 1000);
    const reached = await clock.runUntil(60_000);
    expect(reached).toBe(5000);
    expect(n).toBe(5);
  });

  it('keeps device wall time separate from the true time and monotonic time', () => {
    const clock = new VirtualClock({ startEpochMs: 1_000_000, deviceWallMs: 5_000 });
    clock.advance(250);
    expect(clock.trueTime()).toBe(1_000_250);
    expect(clock.wallTime()).toBe(5_250);
    clock.setWallTime(2_000_000);
    clock.advance(10);
    expect(clock.wallTime()).toBe(2_000_010);
    expect(clock.monotonic()).toBe(260);
  });

  it('compacts cancelled timers so re-armed debounces do not grow the queue', () => {
    const clock = newClock();
    let h = clock.setTimeout(() => {}, 1000);
    for (let i = 0; i < 100_000; i++) {
      h.cancel();
      h = clock.setTimeout(() => {}, 1000);
    }
    expect(clock.pending).toBe(1);
    expect((clock as unknown as { heap: unknown[] }).heap.length).toBeLessThan(200);
  });
});

describe('ClockScheduler on virtual time', () => {
  it('drives rxjs interval, timer and debounceTime', async () => {
    const clock = newClock();
    const values: Array<[number, number]> = [];
    interval(250, clock.scheduler)
      .pipe(take(4))
      .subscribe((v) => values.push([v, clock.monotonic()]));
    let timerAt = -1;
    timer(1234, clock.scheduler).subscribe(() => (timerAt = clock.monotonic()));
    const input = new Subject<number>();
    const debounced: Array<[number, number]> = [];
    input.pipe(debounceTime(100, clock.scheduler)).subscribe((v) => debounced.push([v, clock.monotonic()]));
    clock.setTimeout(() => input.next(1), 10);
    clock.setTimeout(() => input.next(2), 50);
    clock.setTimeout(() => input.next(3), 400);
    await clock.runUntil(2000);
    expect(values).toEqual([
      [0, 250],
      [1, 500],
      [2, 750],
      [3, 1000],
    ]);
    expect(timerAt).toBe(1234);
    expect(debounced).toEqual([
      [2, 150],
      [3, 500],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('unsubscribing cancels scheduled work', () => {
    const clock = newClock();
    const got: number[] = [];
    const sub = interval(10, clock.scheduler).pipe(toArray()).subscribe((v) => got.push(...v));
    clock.advance(55);
    sub.unsubscribe();
    clock.advance(1000);
    expect(got).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
