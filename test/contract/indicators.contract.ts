/**
 * The Indicators contract (hal/indicators.ts): steady on/off, patterns timed on the clock that
 * end with the output off, cancellation by `set` or a new `play`, and bad input refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndicatorOutput, Indicators } from '../../hal/indicators.ts';
import { DeviceClosedError, InvalidOptionsError, UnsupportedError } from '../../hal/errors.ts';

export interface IndicatorsFixture {
  indicators: Indicators;
  /** Outputs this board has (at least led-red and buzzer). */
  wired: readonly IndicatorOutput[];
  /** An output this board lacks, if there is one. */
  missing?: IndicatorOutput;
  /** The output is physically on now (LED lit, buzzer sounding, motor running). */
  lit(output: IndicatorOutput): boolean;
  now(): number;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function describeIndicatorsContract(implementation: string, makeFixture: () => Promise<IndicatorsFixture>): void {
  describe(`Indicators contract: ${implementation}`, () => {
    let fx: IndicatorsFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.indicators.close();
      await fx.cleanup();
    });

    /** Samples an output every `step` ms for `ms`: the on/off trace as the world sees it. */
    const trace = async (output: IndicatorOutput, ms: number, step = 10) => {
      const out: number[] = [];
      // Writes to the line are asynchronous: let the ones already decided land first.
      await fx.advance(0);
      for (let t = 0; t < ms; t += step) {
        out.push(fx.lit(output) ? 1 : 0);
        await fx.advance(step);
      }
      return out.join('');
    };

    it('starts with everything off; set switches steadily on and off', async () => {
      for (const o of fx.wired) {
        expect(fx.lit(o)).toBe(false);
        expect(fx.indicators.isOn(o)).toBe(false);
      }
      await fx.indicators.set('led-red', true);
      expect(fx.lit('led-red')).toBe(true);
      expect(fx.indicators.isOn('led-red')).toBe(true);
      await fx.advance(60_000);
      expect(fx.lit('led-red')).toBe(true);
      await fx.indicators.set('led-red', false);
      expect(fx.lit('led-red')).toBe(false);
    });

    it('R-PWR-2: plays a beep pattern on the clock and resolves when it ends, output off', async () => {
      let resolvedAt = -1;
      const start = fx.now();
      void fx.indicators.play('buzzer', [100, 50, 100, 50, 200]).then(() => (resolvedAt = fx.now()));
      // One sample every 10 ms for 600 ms.
      expect(await trace('buzzer', 600)).toBe('1'.repeat(10) + '0'.repeat(5) + '1'.repeat(10) + '0'.repeat(5) + '1'.repeat(20) + '0'.repeat(10));
      expect(resolvedAt).toBe(start + 500);
      expect(fx.indicators.isOn('buzzer')).toBe(false);
    });

    it('set cancels a pattern on that output (the pattern resolves); other outputs play on', async () => {
      let cancelled = false;
      let other = false;
      void fx.indicators.play('led-red', [1000, 1000, 1000]).then(() => (cancelled = true));
      void fx.indicators.play('buzzer', [300]).then(() => (other = true));
      await fx.advance(100);
      await fx.indicators.set('led-red', false);
      await fx.advance(0);
      expect(cancelled).toBe(true);
      expect(await trace('led-red', 3000, 100)).toBe('0'.repeat(30));
      expect(other).toBe(true);
    });

    it('a new play replaces the one playing on that output', async () => {
      let first = false;
      void fx.indicators.play('led-red', [1000, 1000, 1000]).then(() => (first = true));
      await fx.advance(500);
      const second = fx.indicators.play('led-red', [0, 200, 300]);
      await fx.advance(0);
      expect(first).toBe(true);
      expect(await trace('led-red', 700, 100)).toBe('0011100');
      await second;
    });

    it('refuses bad patterns and unknown outputs; an output the board lacks is UnsupportedError', async () => {
      for (const bad of [[], [-5], [Number.NaN], [100, Infinity], 'beep', [1e9]]) {
        await expect(fx.indicators.play('buzzer', bad as never), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidOptionsError);
      }
      await expect(fx.indicators.set('led-blue' as never, true)).rejects.toBeInstanceOf(InvalidOptionsError);
      await expect(fx.indicators.set('led-red', 'on' as never)).rejects.toBeInstanceOf(InvalidOptionsError);
      if (fx.missing) {
        await expect(fx.indicators.set(fx.missing, true)).rejects.toBeInstanceOf(UnsupportedError);
        await expect(fx.indicators.play(fx.missing, [10])).rejects.toBeInstanceOf(UnsupportedError);
      }
      expect(fx.wired.some((o) => fx.lit(o))).toBe(false);
    });

    it('close switches everything off, is idempotent, and refuses further use', async () => {
      await fx.indicators.set('led-red', true);
      void fx.indicators.play('buzzer', [5000]);
      await fx.advance(10);
      await fx.indicators.close();
      await fx.indicators.close();
      for (const o of fx.wired) expect(fx.lit(o)).toBe(false);
      await expect(fx.indicators.set('led-red', true)).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.indicators.play('buzzer', [10])).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
