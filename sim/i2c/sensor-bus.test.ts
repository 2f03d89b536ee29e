/** The real drivers over the simulated sensor bus, driven by the world models. */
import { describe, expect, it } from 'vitest';
import { createI2cSensors } from '../../hal/drivers/index.ts';
import { drive } from '../drive.ts';
import { VirtualClock } from '../virtual-clock.ts';
import { SimWorld, BODYCAM_NOMINAL_MA, type SimWorldOptions } from '../world/index.ts';
import { createSensorBus } from './sensor-bus.ts';

const HOUR = 3_600_000;
// 15 January in Astana (UTC+5): sunset ≈ 17:15 local = 12:15 UTC.
const START = Date.UTC(2026, 0, 15, 10, 0);

function board(options: Partial<SimWorldOptions> = {}, light: 'veml7700' | 'bh1750' = 'veml7700') {
  const clock = new VirtualClock({ startEpochMs: START });
  const world = new SimWorld({ clock, seed: 11, ...options });
  world.power.setLoad('device', BODYCAM_NOMINAL_MA);
  const sim = createSensorBus({ world, light });
  const sensors = createI2cSensors({ bus: sim.bus, clock, light: light === 'bh1750' ? { part: 'bh1750' } : { part: 'veml7700' } });
  return { clock, world, sim, sensors, run: <T>(p: Promise<T>) => drive(clock, p) };
}

describe('simulated sensor bus + real drivers', () => {
  it('answers a scan at the board addresses', async () => {
    const { sim } = board();
    expect(await sim.bus.scan()).toEqual([0x10, 0x44, 0x68, 0x70]);
  });

  it('R-REC-5: the light sensor follows the sky through dusk into night (VEML7700 and BH1750)', async () => {
    for (const part of ['veml7700', 'bh1750'] as const) {
      const { clock, world, sensors, run } = board({}, part);
      for (let i = 0; i < 40; i++) {
        const s = await run(sensors.light.read());
        const truth = world.lux();
        const tolerance = part === 'veml7700' ? 0.01 + 0.1 * truth : 0.6 + 0.1 * truth;
        expect(Math.abs(s.lux - truth), `${part} at ${new Date(clock.trueTime()).toISOString()}`).toBeLessThanOrEqual(tolerance);
        await clock.runFor(5 * 60_000);
      }
      expect(world.lux()).toBeLessThan(0.01); // it is night by now
    }
  });

  it('R-PWR-1: the gauges follow the packs through a hot swap while the device stays powered', async () => {
    const { clock, world, sensors, run } = board();
    await clock.runFor(2 * HOUR);
    const a = await run(sensors.batteries[0].read());
    const truth = world.power.snapshot(0);
    expect(a.present).toBe(true);
    expect(Math.abs(a.voltage - truth.voltage)).toBeLessThan(0.001);
    expect(Math.abs(a.socPercent - truth.socPercent)).toBeLessThanOrEqual(1.01); // ModelGauge error
    expect(a.ratePercentPerHour).toBeLessThan(-5);
    world.removePack(0);
    expect(world.power.powered()).toBe(true);
    expect((await run(sensors.batteries[0].read())).present).toBe(false);
    const b = await run(sensors.batteries[1].read());
    expect(b.ratePercentPerHour).toBeLessThan(-5); // now feeding the device
    world.insertPack(0, { id: 'spare', chargePercent: 40 });
    await clock.runFor(1_000);
    const fresh = await run(sensors.batteries[0].read());
    expect(fresh.present).toBe(true);
    expect(Math.abs(fresh.socPercent - world.power.snapshot(0).socPercent)).toBeLessThanOrEqual(1.01);
  });

  it('R-REC-3: the climate sensor follows the air from the cold street into a warm room', async () => {
    const { clock, world, sensors, run } = board({ weather: { temperatureC: -15, humidity: 85 } });
    await clock.runFor(HOUR);
    expect((await run(sensors.climate.read())).celsius).toBeCloseTo(-15, 0);
    world.setEnvironment({ kind: 'indoors', temperatureC: 22, humidity: 40 });
    await clock.runFor(10 * 60_000);
    const s = await run(sensors.climate.read());
    const truth = world.climate.sensed(clock.trueTime());
    expect(Math.abs(s.celsius - truth.celsius)).toBeLessThan(0.2);
    expect(Math.abs(s.humidity - truth.humidity)).toBeLessThan(0.5);
    expect(s.celsius).toBeGreaterThan(21);
  });

  it('R-TIME-1: the RTC shows the oscillator model’s drift, and a first power-up as untrusted', async () => {
    const drifting = board({ rtc: { driftPpm: 2 } });
    await drifting.clock.runFor(24 * HOUR);
    const r = await drifting.run(drifting.sensors.rtc.read());
    expect(r.oscillatorStopped).toBe(false);
    expect(Math.abs(r.time - drifting.world.rtc.time())).toBeLessThan(1_000);
    expect(r.temperatureC).toBeCloseTo(drifting.world.climate.deviceTemperature(drifting.clock.trueTime()), 0);
    const fresh = board({ rtc: { firstPowerUp: true } });
    const f = await fresh.run(fresh.sensors.rtc.read());
    expect(f.oscillatorStopped).toBe(true);
    expect(new Date(f.time).getUTCFullYear()).toBe(2000);
  });

  it('same seed, same readings', async () => {
    const sample = async () => {
      const { clock, sensors, run } = board({ weather: { cloudCover: 0.6 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        out.push((await run(sensors.light.read())).lux, (await run(sensors.climate.read())).humidity, (await run(sensors.batteries[0].read())).voltage);
        await clock.runFor(97_000);
      }
      return out;
    };
    expect(await sample()).toEqual(await sample());
  });
});
