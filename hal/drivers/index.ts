/**
 * The I2C chip drivers, and the sensor set of a body-camera board built from them. The same
 * function builds the sensors over the Linux i2c-bus adapter on a Pi and over the simulated bus.
 */
import type { BatteryGauge } from '../battery.ts';
import type { I2cBus } from '../bus/i2c.ts';
import type { Clock } from '../clock.ts';
import type { ClimateSensor } from '../climate.ts';
import type { AmbientLightSensor } from '../light.ts';
import type { RealTimeClock } from '../rtc.ts';
import { InvalidOptionsError } from '../errors.ts';
import { Bh1750 } from './bh1750.ts';
import { Ds3231 } from './ds3231.ts';
import { Max17048 } from './max17048.ts';
import { Sht31 } from './sht31.ts';
import { Tca9548a } from './tca9548a.ts';
import { Veml7700 } from './veml7700.ts';

export * from './bh1750.ts';
export * from './ds3231.ts';
export * from './max17048.ts';
export * from './sht31.ts';
export * from './tca9548a.ts';
export * from './veml7700.ts';
export { Mutex } from './mutex.ts';
export type { I2cDriverOptions } from './i2c-device.ts';

export interface I2cSensorsOptions {
  /** The sensor bus. */
  bus: I2cBus;
  clock: Clock;
  /** Light sensor part and address; default VEML7700 at 0x10. */
  light?: { part: 'veml7700' } | { part: 'bh1750'; address?: 0x23 | 0x5c };
  /** SHT31 address; default 0x44. */
  climateAddress?: number;
  /**
   * How the two MAX17048 gauges (both 0x36) are reached: behind a TCA9548A (default: 0x70,
   * channels 0 and 1) or each on its own bus.
   */
  gauges?: { mux: { address?: number; channels?: readonly [number, number] } } | { buses: readonly [I2cBus, I2cBus] };
}

export interface I2cSensors {
  light: AmbientLightSensor;
  climate: ClimateSensor;
  rtc: RealTimeClock;
  batteries: readonly [BatteryGauge, BatteryGauge];
  /** The gauges' multiplexer, when there is one. */
  mux: Tca9548a | null;
  /** Closes every driver (not the bus). */
  close(): Promise<void>;
}

export function createI2cSensors(options: I2cSensorsOptions): I2cSensors {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('I2C sensors: options object required');
  const { bus, clock } = options;
  const light = options.light?.part === 'bh1750' ? new Bh1750({ bus, clock, address: options.light.address }) : new Veml7700({ bus, clock });
  const climate = new Sht31({ bus, clock, address: options.climateAddress });
  const rtc = new Ds3231({ bus, clock });
  let mux: Tca9548a | null = null;
  let gaugeBuses: readonly [I2cBus, I2cBus];
  const g = options.gauges ?? { mux: {} };
  if ('buses' in g) {
    gaugeBuses = g.buses;
  } else {
    mux = new Tca9548a({ bus, address: g.mux.address, name: 'battery multiplexer' });
    const [a, b] = g.mux.channels ?? [0, 1];
    if (a === b) throw new InvalidOptionsError('I2C sensors: the two gauges need different multiplexer channels');
    gaugeBuses = [mux.channel(a), mux.channel(b)];
  }
  const batteries = [
    new Max17048({ bus: gaugeBuses[0], clock, slot: 0, name: 'battery A' }),
    new Max17048({ bus: gaugeBuses[1], clock, slot: 1, name: 'battery B' }),
  ] as const;
  return {
    light,
    climate,
    rtc,
    batteries,
    mux,
    async close() {
      await Promise.all([light.close(), climate.close(), rtc.close(), batteries[0].close(), batteries[1].close()]);
      await mux?.close();
    },
  };
}
