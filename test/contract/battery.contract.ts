/**
 * The BatteryGauge contract: one fuel gauge per slot, read through whatever path the board has
 * (a multiplexer channel, its own bus, a simulated gauge).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatteryGauge, SlotIndex } from '../../hal/battery.ts';
import type { Clock } from '../../hal/clock.ts';
import { DeviceClosedError, DozorError } from '../../hal/errors.ts';

export interface CellState {
  /** Cell voltage at the gauge (V). */
  voltage: number;
  /** State of charge as the gauge should report it (%). */
  socPercent: number;
  /** %/h, negative while discharging. */
  ratePercentPerHour: number;
}

export interface BatterySpec {
  voltageTolerance: number;
  socTolerancePercent: number;
  rateTolerancePercentPerHour: number;
}

export interface BatteryFixture {
  gauge: BatteryGauge;
  slot: SlotIndex;
  clock: Clock;
  spec: BatterySpec;
  /** Sets the cell in the slot (null: empty slot). A different pack is `swapPack`. */
  setCell(cell: CellState | null): void;
  /** Pulls the pack and inserts another one with this state (the gauge power-cycles). */
  swapPack(cell: CellState): void;
  run<T>(work: Promise<T>): Promise<T>;
  advance(ms: number): Promise<void>;
  /** Breaks the path to the gauge (e.g. the multiplexer stops answering), when the board has one. */
  breakPath?(): void;
  cleanup?(): Promise<void>;
}

const CELLS: CellState[] = [
  { voltage: 4.16, socPercent: 98.5, ratePercentPerHour: -6.9 },
  { voltage: 3.805, socPercent: 50.5, ratePercentPerHour: -9.98 },
  { voltage: 3.62, socPercent: 6.25, ratePercentPerHour: -12.5 },
  { voltage: 4.05, socPercent: 80, ratePercentPerHour: 25 },
];

export function describeBatteryContract(implementation: string, make: () => Promise<BatteryFixture> | BatteryFixture): void {
  describe(`BatteryGauge contract: ${implementation}`, () => {
    let fx: BatteryFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.gauge.close();
      await fx.cleanup?.();
    });

    const expectCell = async (cell: CellState) => {
      const r = await fx.run(fx.gauge.read());
      expect(r.present).toBe(true);
      expect(Math.abs(r.voltage - cell.voltage)).toBeLessThanOrEqual(fx.spec.voltageTolerance);
      expect(Math.abs(r.socPercent - cell.socPercent)).toBeLessThanOrEqual(fx.spec.socTolerancePercent);
      expect(Math.abs(r.ratePercentPerHour - cell.ratePercentPerHour)).toBeLessThanOrEqual(fx.spec.rateTolerancePercentPerHour);
      expect(r.at).toBe(fx.clock.monotonic());
    };

    it('R-PWR-2: reports voltage, state of charge and rate of the pack in its slot', async () => {
      expect([0, 1]).toContain(fx.gauge.slot);
      expect(fx.gauge.slot).toBe(fx.slot);
      for (const cell of CELLS) {
        fx.setCell(cell);
        await fx.advance(1_000);
        await expectCell(cell);
      }
    });

    it('an empty slot reads present:false with zero values, not an error', async () => {
      fx.setCell(null);
      const r = await fx.run(fx.gauge.read());
      expect(r).toEqual({ present: false, voltage: 0, socPercent: 0, ratePercentPerHour: 0, at: fx.clock.monotonic() });
    });

    it('R-PWR-1: follows a hot swap: pack, empty slot, another pack', async () => {
      fx.setCell(CELLS[2]);
      await fx.advance(1_000);
      await expectCell(CELLS[2]);
      fx.setCell(null);
      await fx.advance(1_000);
      expect((await fx.run(fx.gauge.read())).present).toBe(false);
      fx.swapPack(CELLS[0]);
      await fx.advance(1_000);
      await expectCell(CELLS[0]);
      fx.swapPack(CELLS[1]);
      await fx.advance(1_000);
      await expectCell(CELLS[1]);
    });

    it('a broken path to the gauge is an error, never mistaken for an empty slot', async () => {
      if (!fx.breakPath) return;
      fx.setCell(CELLS[0]);
      await fx.run(fx.gauge.read());
      fx.breakPath();
      await expect(fx.run(fx.gauge.read())).rejects.toBeInstanceOf(DozorError);
    });

    it('close() is idempotent and reads after it reject with DeviceClosedError', async () => {
      fx.setCell(CELLS[0]);
      await fx.run(fx.gauge.read());
      await fx.gauge.close();
      await fx.gauge.close();
      await expect(fx.gauge.read()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
