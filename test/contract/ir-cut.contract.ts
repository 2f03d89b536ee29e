/**
 * The IrCutFilter contract (hal/ir.ts) for pulsed bistable actuators: one polarity for the
 * pulse length, then both coil inputs low; never both driven; `position` unknown until the
 * first completed pulse. The fixture reports the coil drive as the H-bridge inputs see it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IrCutFilter } from '../../hal/ir.ts';
import { DeviceClosedError, InvalidOptionsError } from '../../hal/errors.ts';

export interface CoilSample {
  /** The bridge input that pulls the filter in (day) is driven. */
  day: boolean;
  /** The bridge input that pulls the filter out (night) is driven. */
  night: boolean;
  at: number;
}

export interface IrCutFixture {
  filter: IrCutFilter;
  /** The pulse length the driver was configured with (ms). */
  pulseMs: number;
  /** Coil drive now. */
  coil(): Omit<CoilSample, 'at'>;
  /** Every change of the coil drive since the fixture was made, in order. */
  coilLog(): CoilSample[];
  now(): number;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function describeIrCutContract(implementation: string, makeFixture: () => Promise<IrCutFixture>): void {
  describe(`IrCutFilter contract: ${implementation}`, () => {
    let fx: IrCutFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.filter.close();
      await fx.cleanup();
    });

    /** Pulses in the log: which input, start, length. */
    const pulses = () => {
      const out: Array<{ input: 'day' | 'night'; at: number; ms: number }> = [];
      let open: { input: 'day' | 'night'; at: number } | null = null;
      for (const s of fx.coilLog()) {
        expect(s.day && s.night, `both coil inputs driven at ${s.at}`).toBe(false);
        if (open && !s[open.input]) {
          out.push({ ...open, ms: s.at - open.at });
          open = null;
        }
        if (!open && (s.day || s.night)) open = { input: s.day ? 'day' : 'night', at: s.at };
      }
      return out;
    };

    it('R-REC-5: position is unknown at power-on and the coil is not driven', async () => {
      expect(fx.filter.position).toBe('unknown');
      expect(fx.coil()).toEqual({ day: false, night: false });
    });

    it('R-REC-5: night pulses the night polarity for exactly the pulse length, then releases both', async () => {
      const start = fx.now();
      let done = false;
      const p = fx.filter.set('night').then(() => (done = true));
      await fx.advance(1);
      expect(fx.coil()).toEqual({ day: false, night: true });
      expect(done).toBe(false);
      await fx.advance(fx.pulseMs);
      await p;
      expect(fx.coil()).toEqual({ day: false, night: false });
      expect(fx.filter.position).toBe('night');
      expect(pulses()).toEqual([{ input: 'night', at: start, ms: fx.pulseMs }]);
      const toDay = fx.filter.set('day');
      await fx.advance(1);
      // Still on its way: the position is the last one reached.
      expect(fx.filter.position).toBe('night');
      await fx.advance(fx.pulseMs);
      await toDay;
      expect(fx.filter.position).toBe('day');
      expect(pulses().map((x) => [x.input, x.ms])).toEqual([
        ['night', fx.pulseMs],
        ['day', fx.pulseMs],
      ]);
    });

    it('R-REC-5: rapid requests run one pulse at a time and never drive both inputs', async () => {
      const order: string[] = [];
      const all = Promise.all(
        (['day', 'night', 'day', 'night'] as const).map((m) => fx.filter.set(m).then(() => order.push(`${m}:${fx.filter.position}`))),
      );
      await fx.advance(fx.pulseMs * 5);
      await all;
      expect(order).toEqual(['day:day', 'night:night', 'day:day', 'night:night']);
      const ps = pulses();
      expect(ps.map((p) => p.input)).toEqual(['day', 'night', 'day', 'night']);
      expect(ps.every((p) => p.ms === fx.pulseMs)).toBe(true);
      expect(fx.coil()).toEqual({ day: false, night: false });
    });

    it('rejects an unknown mode without moving the filter', async () => {
      await expect(fx.filter.set('dusk' as never)).rejects.toBeInstanceOf(InvalidOptionsError);
      await fx.advance(fx.pulseMs * 2);
      expect(fx.coilLog().filter((s) => s.day || s.night)).toEqual([]);
    });

    it('closing mid-pulse releases the coil; after close set is refused; close is idempotent', async () => {
      const pending = fx.filter.set('night').catch((e: unknown) => e);
      await fx.advance(1);
      expect(fx.coil().night).toBe(true);
      await fx.filter.close();
      await fx.filter.close();
      expect(fx.coil()).toEqual({ day: false, night: false });
      await fx.advance(fx.pulseMs * 2);
      expect(await pending).toBeInstanceOf(DeviceClosedError);
      await expect(fx.filter.set('day')).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
