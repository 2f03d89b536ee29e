import { describe, expect, it } from 'vitest';
import { SimGpioController, type PinChange } from './gpio.ts';
import { VirtualClock } from './virtual-clock.ts';
import { SeededRandom } from './random.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import type { Level } from '../hal/bus/gpio.ts';

const setup = (seed = 1) => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock, random: new SeededRandom(seed), pulls: { 17: 'up' } });
  return { clock, gpio };
};

describe('simulated GPIO, world side', () => {
  it('a pull-up line rests high; a pressed button pulls it low; releasing returns to the pull', async () => {
    const { gpio } = setup();
    expect(gpio.level(17)).toBe(1);
    const button = await gpio.input({ line: 17, activeLow: true });
    expect(await button.read()).toBe(0);
    gpio.drive(17, 0);
    expect(await button.read()).toBe(1);
    gpio.release(17);
    expect(gpio.level(17)).toBe(1);
  });

  it('contact bounce chatters inside the window and settles; a 20 ms debounce reports one press', async () => {
    const { clock, gpio } = setup(7);
    const button = await gpio.input({ line: 17, edge: 'both', activeLow: true, debounceMs: 20 });
    const raw: PinChange[] = [];
    gpio.changes$.subscribe((c) => raw.push(c));
    const seen: Array<{ value: Level; at: number }> = [];
    button.changes$.subscribe((c) => seen.push(c));
    gpio.drive(17, 0, { bounceMs: 5 });
    await clock.runFor(100);
    expect(raw.length).toBeGreaterThanOrEqual(3);
    expect(raw.every((c) => c.at < 5)).toBe(true);
    expect(raw.at(-1)!.level).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0].value).toBe(1);
    expect(seen[0].at).toBeCloseTo(raw.at(-1)!.at + 20, 9);
    gpio.release(17, { bounceMs: 5 });
    await clock.runFor(100);
    expect(seen.map((s) => s.value)).toEqual([1, 0]);
  });

  it('the same seed bounces the same way', async () => {
    const runs = await Promise.all(
      [3, 3, 4].map(async (seed) => {
        const { clock, gpio } = setup(seed);
        const at: number[] = [];
        gpio.changes$.subscribe((c) => at.push(c.at));
        gpio.drive(17, 0, { bounceMs: 8 });
        await clock.runFor(20);
        return at;
      }),
    );
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).not.toEqual(runs[2]);
  });

  it('logs output edges in physical levels with monotonic times and streams them', async () => {
    const { clock, gpio } = setup();
    const streamed: PinChange[] = [];
    gpio.outputs$.subscribe((c) => streamed.push(c));
    const led = await gpio.output({ line: 20, activeLow: true });
    expect(gpio.level(20)).toBe(1);
    await clock.runFor(100);
    await led.write(1);
    await led.write(1);
    await clock.runFor(50);
    await led.write(0);
    expect(gpio.edgeLog(20)).toEqual([
      { line: 20, level: 1, at: 0, by: 'device' },
      { line: 20, level: 0, at: 100, by: 'device' },
      { line: 20, level: 1, at: 150, by: 'device' },
    ]);
    expect(streamed).toEqual(gpio.edgeLog());
    gpio.clearEdgeLog();
    expect(gpio.edgeLog()).toEqual([]);
  });

  it('watch gives the current level and then every change of one line', async () => {
    const { gpio } = setup();
    const out = await gpio.output({ line: 21 });
    const levels: Level[] = [];
    gpio.watch(21).subscribe((l) => levels.push(l));
    await out.write(1);
    await out.write(0);
    expect(levels).toEqual([0, 1, 0]);
  });

  it('the world cannot drive a device output; a released output keeps its level', async () => {
    const { gpio } = setup();
    const out = await gpio.output({ line: 22, initial: 1 });
    expect(() => gpio.drive(22, 0)).toThrow(InvalidOptionsError);
    expect(gpio.claimOf(22)).toBe('output');
    await out.close();
    expect(gpio.claimOf(22)).toBe(null);
    expect(gpio.level(22)).toBe(1);
    const input = await gpio.input({ line: 22 });
    expect(await input.read()).toBe(0);
  });

  it('bounds the edge log and counts what it dropped', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const gpio = new SimGpioController({ clock, edgeLogLimit: 8 });
    const out = await gpio.output({ line: 4 });
    for (let i = 0; i < 20; i++) await out.write((i % 2 ? 0 : 1) as Level);
    expect(gpio.edgeLog().length).toBeLessThanOrEqual(8);
    expect(gpio.droppedEdges + gpio.edgeLog().length).toBe(20);
  });

  it('validates its own options', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    expect(() => new SimGpioController({ clock, lines: [1, 1] })).toThrow(InvalidOptionsError);
    expect(() => new SimGpioController({ clock, lines: [] })).toThrow(InvalidOptionsError);
    expect(() => new SimGpioController({ clock, pulls: { 40: 'up' } })).toThrow(InvalidOptionsError);
    expect(() => new SimGpioController({ clock: undefined as never })).toThrow(InvalidOptionsError);
  });
});
