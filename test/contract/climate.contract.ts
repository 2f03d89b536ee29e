/** The ClimateSensor contract (R-REC-3): temperature and humidity around the device. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../hal/clock.ts';
import type { ClimateSensor } from '../../hal/climate.ts';
import { ChecksumError, DeviceClosedError, DeviceNotRespondingError } from '../../hal/errors.ts';

export interface ClimateSpec {
  temperatureToleranceC: number;
  humidityTolerance: number;
}

export interface ClimateFixture {
  sensor: ClimateSensor;
  clock: Clock;
  spec: ClimateSpec;
  /** Sets the true temperature and humidity at the sensing element from now on. */
  setClimate(celsius: number, humidity: number): void;
  /** Garbles the next transfer from the sensor, when the part has a checksum to catch it. */
  corruptNextRead?(): void;
  run<T>(work: Promise<T>): Promise<T>;
  advance(ms: number): Promise<void>;
  unplug(): void;
  plug(): void;
  cleanup?(): Promise<void>;
}

const CLIMATES: Array<[number, number]> = [
  [-20, 80],
  [-2, 95],
  [9.3, 100],
  [22, 45],
  [41, 12],
  [60, 3],
];

export function describeClimateContract(implementation: string, make: () => Promise<ClimateFixture> | ClimateFixture): void {
  describe(`ClimateSensor contract: ${implementation}`, () => {
    let fx: ClimateFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.sensor.close();
      await fx.cleanup?.();
    });

    it('R-REC-3: tracks temperature and humidity within the part tolerance, cold to hot', async () => {
      for (const [c, rh] of CLIMATES) {
        fx.setClimate(c, rh);
        await fx.advance(2_000);
        const s = await fx.run(fx.sensor.read());
        expect(Math.abs(s.celsius - c), `${s.celsius} °C for ${c} °C`).toBeLessThanOrEqual(fx.spec.temperatureToleranceC);
        expect(Math.abs(s.humidity - rh), `${s.humidity} % for ${rh} %`).toBeLessThanOrEqual(fx.spec.humidityTolerance);
        expect(s.humidity).toBeGreaterThanOrEqual(0);
        expect(s.humidity).toBeLessThanOrEqual(100);
        expect(s.at).toBe(fx.clock.monotonic());
      }
    });

    it('a garbled transfer is a ChecksumError naming the sensor, and the next reading is good', async () => {
      if (!fx.corruptNextRead) return;
      fx.setClimate(21, 50);
      await fx.run(fx.sensor.read());
      fx.corruptNextRead();
      const err = await fx.run(fx.sensor.read()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChecksumError);
      expect((err as ChecksumError).message).toContain(fx.sensor.name);
      const s = await fx.run(fx.sensor.read());
      expect(Math.abs(s.celsius - 21)).toBeLessThanOrEqual(fx.spec.temperatureToleranceC);
    });

    it('an unplugged sensor rejects with DeviceNotRespondingError, and reads again once plugged back', async () => {
      fx.setClimate(18, 40);
      fx.unplug();
      await expect(fx.run(fx.sensor.read())).rejects.toBeInstanceOf(DeviceNotRespondingError);
      fx.plug();
      await fx.advance(10);
      const s = await fx.run(fx.sensor.read());
      expect(Math.abs(s.celsius - 18)).toBeLessThanOrEqual(fx.spec.temperatureToleranceC);
    });

    it('serialises concurrent reads', async () => {
      fx.setClimate(5, 70);
      const all = await fx.run(Promise.all([fx.sensor.read(), fx.sensor.read()]));
      for (const s of all) expect(Math.abs(s.celsius - 5)).toBeLessThanOrEqual(fx.spec.temperatureToleranceC);
    });

    it('close() is idempotent and reads after it reject with DeviceClosedError', async () => {
      await fx.sensor.close();
      await fx.sensor.close();
      await expect(fx.sensor.read()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
