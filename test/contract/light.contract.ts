/**
 * The AmbientLightSensor contract, run against every implementation: the drivers over the
 * simulated bus, over the Linux i2c-bus adapter (fake kernel side), and any simulated sensor.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AmbientLightSensor } from '../../hal/light.ts';
import type { Clock } from '../../hal/clock.ts';
import { DeviceClosedError, DeviceNotRespondingError } from '../../hal/errors.ts';

export interface LightSpec {
  /** Lowest and highest illuminance the part measures within its tolerance (lux). */
  minLux: number;
  maxLux: number;
  /** |reading − truth| ≤ absoluteLux + relative × truth. */
  relative: number;
  absoluteLux: number;
  /** An illuminance that saturates the part (it then reports `saturated`), when it has one. */
  saturationLux?: number;
}

export interface LightFixture {
  sensor: AmbientLightSensor;
  clock: Clock;
  spec: LightSpec;
  /** Sets the true illuminance at the sensor from now on. */
  setLux(lux: number): void;
  /** Settles `work`, running simulated time as far as it needs (drivers sleep on the clock). */
  run<T>(work: Promise<T>): Promise<T>;
  /** Lets simulated time pass. */
  advance(ms: number): Promise<void>;
  /** Pulls the sensor off the bus / plugs it back (power-on reset). */
  unplug(): void;
  plug(): void;
  cleanup?(): Promise<void>;
}

function logSpaced(min: number, max: number, n: number): number[] {
  const a = Math.log10(min);
  const b = Math.log10(max);
  return Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));
}

export function describeLightContract(implementation: string, make: () => Promise<LightFixture> | LightFixture): void {
  describe(`AmbientLightSensor contract: ${implementation}`, () => {
    let fx: LightFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.sensor.close();
      await fx.cleanup?.();
    });

    const within = (reading: number, truth: number) => {
      const tol = fx.spec.absoluteLux + fx.spec.relative * truth;
      expect(Math.abs(reading - truth), `read ${reading} lx for a true ${truth} lx (tolerance ${tol})`).toBeLessThanOrEqual(tol);
    };

    it('R-REC-5: tracks the true illuminance across its range within the part tolerance', async () => {
      for (const lux of logSpaced(fx.spec.minLux, fx.spec.maxLux, 9)) {
        fx.setLux(lux);
        await fx.advance(1_000);
        const s = await fx.run(fx.sensor.read());
        within(s.lux, lux);
        expect(s.saturated).toBe(false);
      }
    });

    it('R-REC-5: follows dusk-to-dark and dark-to-daylight steps (ranges by itself)', async () => {
      for (const lux of [20_000, 3, fx.spec.minLux * 2, 2, fx.spec.maxLux / 2, 1.5]) {
        const truth = Math.min(fx.spec.maxLux, Math.max(fx.spec.minLux, lux));
        fx.setLux(truth);
        await fx.advance(500);
        within((await fx.run(fx.sensor.read())).lux, truth);
      }
    });

    it('reports saturation above its range, with a reading at least as bright as its top', async () => {
      if (fx.spec.saturationLux === undefined) return;
      fx.setLux(fx.spec.saturationLux);
      await fx.advance(1_000);
      const s = await fx.run(fx.sensor.read());
      expect(s.saturated).toBe(true);
      expect(s.lux).toBeGreaterThanOrEqual(fx.spec.maxLux * 0.9);
    });

    it('stamps each reading with the monotonic time it was taken', async () => {
      fx.setLux(100);
      const a = await fx.run(fx.sensor.read());
      expect(a.at).toBe(fx.clock.monotonic());
      await fx.advance(5_000);
      const b = await fx.run(fx.sensor.read());
      expect(b.at).toBe(fx.clock.monotonic());
      expect(b.at).toBeGreaterThan(a.at);
    });

    it('serialises concurrent reads', async () => {
      fx.setLux(250);
      const all = await fx.run(Promise.all([fx.sensor.read(), fx.sensor.read(), fx.sensor.read()]));
      for (const s of all) within(s.lux, 250);
    });

    it('an unplugged sensor rejects with DeviceNotRespondingError naming it, and reads again once plugged back', async () => {
      fx.setLux(80);
      await fx.run(fx.sensor.read());
      fx.unplug();
      const err = await fx.run(fx.sensor.read()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceNotRespondingError);
      expect((err as DeviceNotRespondingError).device).toBe(fx.sensor.name);
      fx.plug();
      await fx.advance(100);
      within((await fx.run(fx.sensor.read())).lux, 80);
    });

    it('close() is idempotent and reads after it reject with DeviceClosedError', async () => {
      await fx.run(fx.sensor.read());
      await fx.sensor.close();
      await fx.sensor.close();
      await expect(fx.sensor.read()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
