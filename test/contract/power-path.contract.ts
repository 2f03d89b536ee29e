/**
 * The PowerPath contract (hal/battery.ts): the firmware prefers a pack, the hardware feeds the
 * device from it and fails over by itself; `active()` says which pack feeds the device now. The
 * fixture is the world: packs going in and out, a pack reaching cut-off, external power.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PowerPath, SlotIndex } from '../../hal/battery.ts';
import { DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../../hal/errors.ts';

export interface PowerPathWorld {
  insert(slot: SlotIndex): Promise<void> | void;
  remove(slot: SlotIndex): Promise<void> | void;
  /** The pack reached (false) or recovered from (true) its cut-off voltage. */
  usable(slot: SlotIndex, usable: boolean): Promise<void> | void;
  externalPower(on: boolean): Promise<void> | void;
}

export interface PowerPathFixture {
  path: PowerPath;
  world: PowerPathWorld;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function describePowerPathContract(implementation: string, makeFixture: () => Promise<PowerPathFixture>): void {
  describe(`PowerPath contract: ${implementation}`, () => {
    let fx: PowerPathFixture;
    const settle = () => fx.advance(50);
    beforeEach(async () => {
      fx = await makeFixture();
      await settle();
    });
    afterEach(async () => {
      await fx.path.close();
      await fx.cleanup();
    });

    it('R-PWR-1: feeds from the preferred pack and switches when asked', async () => {
      await fx.path.select(0);
      await settle();
      expect(await fx.path.active()).toBe(0);
      await fx.path.select(1);
      await settle();
      expect(await fx.path.active()).toBe(1);
    });

    it('R-PWR-1: pulling the feeding pack fails over to the other one; it can then be swapped', async () => {
      await fx.path.select(0);
      await fx.world.remove(0);
      await settle();
      expect(await fx.path.active()).toBe(1);
      await expect(fx.path.select(0)).rejects.toBeInstanceOf(DeviceNotFoundError);
      expect(await fx.path.active()).toBe(1);
      await fx.world.insert(0);
      await settle();
      await fx.path.select(0);
      await settle();
      expect(await fx.path.active()).toBe(0);
    });

    it('R-PWR-3: a flat pack (at cut-off) stops feeding; with none usable nothing feeds', async () => {
      await fx.path.select(1);
      await fx.world.usable(1, false);
      await settle();
      expect(await fx.path.active()).toBe(0);
      await fx.world.usable(0, false);
      await settle();
      expect(await fx.path.active()).toBe(null);
    });

    it('on external power no pack feeds the device', async () => {
      await fx.world.externalPower(true);
      await settle();
      expect(await fx.path.active()).toBe(null);
      await fx.world.externalPower(false);
      await settle();
      expect(await fx.path.active()).not.toBe(null);
    });

    it('refuses a slot that does not exist; close is idempotent and refuses use', async () => {
      await expect(fx.path.select(2 as never)).rejects.toBeInstanceOf(InvalidOptionsError);
      await fx.path.close();
      await fx.path.close();
      await expect(fx.path.active()).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.path.select(0)).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
