/**
 * The GpioController contract (hal/bus/gpio.ts), run against every backend: the simulated
 * controller now, the Linux sysfs/libgpiod backend over a fake of its kernel interface later.
 * A fixture supplies the controller, a harness that plays the wires (drives input pins, reads
 * output pins, in physical levels), and time (a virtual clock, so debounce is deterministic).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GpioController, Level } from '../../hal/bus/gpio.ts';
import { DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../../hal/errors.ts';

export interface GpioHarness {
  /** Drives the physical level of a pin that the device reads (as the wire outside would). */
  drive(line: number, level: Level): Promise<void> | void;
  /** The physical level the device drives on a pin. */
  level(line: number): Promise<Level> | Level;
}

export interface GpioFixture {
  gpio: GpioController;
  harness: GpioHarness;
  /** Three distinct lines the harness can drive and observe. */
  lines: readonly [number, number, number];
  /** A line number this controller does not have. */
  missingLine: number;
  /** Monotonic time of the clock the controller was given (ms). */
  now(): number;
  /** Lets `ms` of (virtual) time pass, running due timers and settling promises. */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function describeGpioContract(implementation: string, makeFixture: () => Promise<GpioFixture>): void {
  describe(`GpioController contract: ${implementation}`, () => {
    let fx: GpioFixture;
    let A: number;
    let B: number;
    let C: number;
    beforeEach(async () => {
      fx = await makeFixture();
      [A, B, C] = fx.lines;
    });
    afterEach(async () => {
      await fx.gpio.close();
      await fx.cleanup();
    });

    const drive = async (line: number, level: Level) => {
      await fx.harness.drive(line, level);
      await fx.advance(0);
    };

    it('writes outputs: logical value on the pin, inverted when activeLow, initial level honoured', async () => {
      const plain = await fx.gpio.output({ line: A });
      expect(plain.line).toBe(A);
      expect(plain.value).toBe(0);
      expect(await fx.harness.level(A)).toBe(0);
      await plain.write(1);
      expect(plain.value).toBe(1);
      expect(await fx.harness.level(A)).toBe(1);

      const inverted = await fx.gpio.output({ line: B, activeLow: true, initial: 1 });
      expect(inverted.value).toBe(1);
      expect(await fx.harness.level(B)).toBe(0);
      await inverted.write(0);
      expect(await fx.harness.level(B)).toBe(1);
    });

    it('reads inputs as logical levels, inverted when activeLow', async () => {
      await drive(A, 1);
      await drive(B, 1);
      const plain = await fx.gpio.input({ line: A });
      const inverted = await fx.gpio.input({ line: B, activeLow: true });
      expect(await plain.read()).toBe(1);
      expect(await inverted.read()).toBe(0);
      await drive(A, 0);
      await drive(B, 0);
      expect(await plain.read()).toBe(0);
      expect(await inverted.read()).toBe(1);
    });

    it('a line claimed twice is an InvalidOptionsError; closing a line frees it', async () => {
      const first = await fx.gpio.input({ line: A });
      await expect(fx.gpio.input({ line: A })).rejects.toBeInstanceOf(InvalidOptionsError);
      await expect(fx.gpio.output({ line: A })).rejects.toBeInstanceOf(InvalidOptionsError);
      const out = await fx.gpio.output({ line: B });
      await expect(fx.gpio.input({ line: B })).rejects.toBeInstanceOf(InvalidOptionsError);
      await first.close();
      await out.close();
      const again = await fx.gpio.output({ line: A });
      await again.close();
      await (await fx.gpio.input({ line: B })).close();
    });

    it('rejects bad options before claiming anything', async () => {
      for (const bad of [
        { line: -1 },
        { line: 1.5 },
        { line: A, edge: 'sideways' },
        { line: A, debounceMs: -1 },
        { line: A, debounceMs: Number.NaN },
        { line: A, activeLow: 'yes' },
      ]) {
        await expect(fx.gpio.input(bad as never), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidOptionsError);
      }
      for (const bad of [{ line: A, initial: 2 }, { line: A, activeLow: 1 }, { line: 'A' }]) {
        await expect(fx.gpio.output(bad as never), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidOptionsError);
      }
      const err = await fx.gpio.input({ line: fx.missingLine }).catch((e: unknown) => e);
      expect(err instanceof InvalidOptionsError || err instanceof DeviceNotFoundError).toBe(true);
      // Nothing above claimed line A.
      await (await fx.gpio.input({ line: A })).close();
    });

    it("edge 'both' reports every logical change with the time it happened", async () => {
      const input = await fx.gpio.input({ line: A, edge: 'both' });
      const seen: Array<{ value: Level; at: number }> = [];
      input.changes$.subscribe((c) => seen.push(c));
      await fx.advance(10);
      await drive(A, 1);
      const t1 = fx.now();
      await fx.advance(10);
      await drive(A, 0);
      const t2 = fx.now();
      await fx.advance(5);
      expect(seen).toEqual([
        { value: 1, at: t1 },
        { value: 0, at: t2 },
      ]);
    });

    it("edge 'rising'/'falling' filter logical edges; with activeLow a press to ground is rising", async () => {
      await drive(A, 0);
      await drive(B, 1);
      const rising = await fx.gpio.input({ line: A, edge: 'rising' });
      const button = await fx.gpio.input({ line: B, edge: 'rising', activeLow: true });
      const falling = await fx.gpio.input({ line: C, edge: 'falling' });
      const r: Level[] = [];
      const b: Level[] = [];
      const f: Level[] = [];
      rising.changes$.subscribe((c) => r.push(c.value));
      button.changes$.subscribe((c) => b.push(c.value));
      falling.changes$.subscribe((c) => f.push(c.value));
      for (const level of [1, 0, 1, 0] as Level[]) {
        await drive(A, level);
        await drive(B, (level ^ 1) as Level);
        await drive(C, level);
        await fx.advance(5);
      }
      expect(r).toEqual([1, 1]);
      expect(b).toEqual([1, 1]);
      expect(f).toEqual([0, 0]);
    });

    it("edge 'none' reports no changes", async () => {
      const input = await fx.gpio.input({ line: A });
      const seen: unknown[] = [];
      input.changes$.subscribe((c) => seen.push(c));
      await drive(A, 1);
      await fx.advance(5);
      await drive(A, 0);
      await fx.advance(5);
      expect(seen).toEqual([]);
      expect(await input.read()).toBe(0);
    });

    it('debounce: chatter shorter than debounceMs gives one change, debounceMs after the last transition', async () => {
      const input = await fx.gpio.input({ line: A, edge: 'both', debounceMs: 20 });
      const seen: Array<{ value: Level; at: number }> = [];
      input.changes$.subscribe((c) => seen.push(c));
      const start = fx.now();
      for (const level of [1, 0, 1, 0, 1] as Level[]) {
        await drive(A, level);
        await fx.advance(2);
      }
      const lastTransition = start + 8;
      await fx.advance(15);
      expect(seen).toEqual([]);
      await fx.advance(20);
      expect(seen).toEqual([{ value: 1, at: lastTransition + 20 }]);
      // A glitch back to 0 shorter than the debounce time is ignored entirely.
      await drive(A, 0);
      await fx.advance(5);
      await drive(A, 1);
      await fx.advance(50);
      expect(seen).toHaveLength(1);
    });

    it('close is idempotent; a closed line refuses use, completes its stream; closing the controller closes all', async () => {
      const input = await fx.gpio.input({ line: A, edge: 'both' });
      const output = await fx.gpio.output({ line: B });
      let completed = false;
      input.changes$.subscribe({ complete: () => (completed = true) });
      await input.close();
      await input.close();
      expect(completed).toBe(true);
      await expect(input.read()).rejects.toBeInstanceOf(DeviceClosedError);
      await output.close();
      await expect(output.write(1)).rejects.toBeInstanceOf(DeviceClosedError);

      const c = await fx.gpio.output({ line: C });
      await fx.gpio.close();
      await fx.gpio.close();
      await expect(c.write(1)).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.gpio.input({ line: A })).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
