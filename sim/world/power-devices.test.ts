import { describe, expect, it } from 'vitest';
import type { DockState } from '../../hal/battery.ts';
import { DeviceClosedError, DeviceNotFoundError } from '../../hal/errors.ts';
import { VirtualClock } from '../virtual-clock.ts';
import { SimWorld } from './index.ts';
import { SimCharger, SimPowerPath } from './power-devices.ts';

function rig() {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 0, 15, 6) });
  const world = new SimWorld({ clock, packs: [{ chargePercent: 50 }, { chargePercent: 90 }], environment: { kind: 'indoors' } });
  world.power.setLoad('device', 435);
  return { clock, world };
}

describe('simulated power path and charger', () => {
  it('R-PWR-1: reports the active pack and follows the select line; refuses an empty slot', async () => {
    const { world } = rig();
    const path = new SimPowerPath(world.power);
    expect(await path.active()).toBe(0);
    await path.select(1);
    expect(await path.active()).toBe(1);
    world.removePack(0);
    await expect(path.select(0)).rejects.toBeInstanceOf(DeviceNotFoundError);
    await path.close();
    await path.close();
    await expect(path.active()).rejects.toBeInstanceOf(DeviceClosedError);
  });

  it('R-PWR-4: reports docking, external power and charging, and emits each change', async () => {
    const { clock, world } = rig();
    const charger = new SimCharger(world.power);
    const seen: DockState[] = [];
    charger.changes$.subscribe((s) => seen.push(s));
    expect(await charger.read()).toEqual({ docked: false, externalPower: false, charging: [false, false] });
    world.power.setDocked(true);
    expect(await charger.read()).toEqual({ docked: true, externalPower: true, charging: [true, true] });
    expect(await path0(world)).toBeNull();
    clock.advance(10 * 3_600_000);
    expect((await charger.read()).charging).toEqual([false, false]);
    world.power.setDocked(false);
    expect(seen.map((s) => [s.docked, s.externalPower, ...s.charging])).toEqual([
      [true, true, true, true], // docked: both packs start charging
      [true, true, true, false], // the fuller pack finishes first
      [true, true, false, false],
      [false, false, false, false], // taken out
    ]);
    expect(seen.at(-1)).toEqual({ docked: false, externalPower: false, charging: [false, false] });
    await charger.close();
    await expect(charger.read()).rejects.toBeInstanceOf(DeviceClosedError);
  });
});

async function path0(world: SimWorld) {
  return new SimPowerPath(world.power).active();
}
