/**
 * The Charger contract (hal/battery.ts): dock presence, external power and per-pack charging,
 * read on demand and emitted on every change. The fixture is the world: the dock, the supply,
 * and the charger's status as the battery model decides it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Charger, DockState, SlotIndex } from '../../hal/battery.ts';
import { DeviceClosedError } from '../../hal/errors.ts';

export interface ChargerWorld {
  dock(docked: boolean): Promise<void> | void;
  power(present: boolean): Promise<void> | void;
  charging(slot: SlotIndex, charging: boolean): Promise<void> | void;
}

export interface ChargerFixture {
  charger: Charger;
  world: ChargerWorld;
  /** Longest time a change may take to be reported (debounce, polling), ms. */
  settleMs: number;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ChargerFixtureOptions {
  /** World state before the driver opens. */
  initial?: { docked?: boolean; power?: boolean; charging?: readonly [boolean, boolean] };
}

const UNDOCKED: DockState = { docked: false, externalPower: false, charging: [false, false] };

export function describeChargerContract(implementation: string, makeFixture: (options?: ChargerFixtureOptions) => Promise<ChargerFixture>): void {
  describe(`Charger contract: ${implementation}`, () => {
    let fx: ChargerFixture | undefined;
    const open = async (options?: ChargerFixtureOptions) => {
      fx = await makeFixture(options);
      const seen: DockState[] = [];
      fx.charger.changes$.subscribe((s) => seen.push(s));
      return { fx, seen };
    };
    afterEach(async () => {
      await fx?.charger.close();
      await fx?.cleanup();
      fx = undefined;
    });

    it('reads the state the world is in when it opens', async () => {
      const { fx } = await open();
      expect(await fx.charger.read()).toEqual(UNDOCKED);
      await fx.charger.close();
      await fx.cleanup();
      const docked = await open({ initial: { docked: true, power: true, charging: [false, true] } });
      expect(await docked.fx.charger.read()).toEqual({ docked: true, externalPower: true, charging: [false, true] });
    });

    it('R-PWR-4: docking, power, charging and lifting out each emit the new state once', async () => {
      const { fx, seen } = await open();
      await fx.world.dock(true);
      await fx.advance(fx.settleMs);
      await fx.world.power(true);
      await fx.advance(fx.settleMs);
      await fx.world.charging(0, true);
      await fx.world.charging(1, true);
      await fx.advance(fx.settleMs);
      expect(await fx.charger.read()).toEqual({ docked: true, externalPower: true, charging: [true, true] });
      await fx.world.charging(0, false);
      await fx.advance(fx.settleMs);
      await fx.world.charging(1, false);
      await fx.world.power(false);
      await fx.world.dock(false);
      await fx.advance(fx.settleMs);
      expect(seen[0]).toEqual({ docked: true, externalPower: false, charging: [false, false] });
      expect(seen[1]).toEqual({ docked: true, externalPower: true, charging: [false, false] });
      expect(seen.slice(2, 4).map((s) => s.charging)).toEqual([
        [true, false],
        [true, true],
      ]);
      expect(seen[4]).toEqual({ docked: true, externalPower: true, charging: [false, true] });
      expect(seen.at(-1)).toEqual(UNDOCKED);
      expect(seen).toHaveLength(8);
      // No change, no emission.
      await fx.advance(fx.settleMs * 10);
      expect(seen).toHaveLength(8);
    });

    it('close is idempotent, completes the stream and refuses reads', async () => {
      const { fx } = await open();
      let completed = false;
      fx.charger.changes$.subscribe({ complete: () => (completed = true) });
      await fx.charger.close();
      await fx.charger.close();
      expect(completed).toBe(true);
      await expect(fx.charger.read()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
