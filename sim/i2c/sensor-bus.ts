/**
 * The body camera's sensor bus, simulated: the chip models a prototype board carries, each
 * wired to the world model it measures, on one `SimI2cBus`.
 *
 *   0x10 VEML7700 (or 0x23 BH1750)  ← world.light at the device
 *   0x44 SHT31                      ← world.climate.sensed (air around the device, sensor lag)
 *   0x68 DS3231                     ← world.rtc (drift, oscillator stop), die temp = device temp
 *   0x70 TCA9548A ─ ch0: 0x36 MAX17048 ← world.power slot 0
 *                 └ ch1: 0x36 MAX17048 ← world.power slot 1
 *
 * The real drivers (hal/drivers) then run over it: `createI2cSensors({ bus, clock })`.
 */
import type { SlotIndex } from '../../hal/battery.ts';
import type { SimWorld } from '../world/index.ts';
import { SmoothNoise, subSeed } from '../world/noise.ts';
import type { PowerSystem } from '../world/power.ts';
import { SeededRandom } from '../random.ts';
import { SimI2cBus } from './bus.ts';
import { Bh1750Model, BH1750_ADDRESS_LOW } from './bh1750.ts';
import { Ds3231Model, DS3231_ADDRESS } from './ds3231.ts';
import { Max17048Model, MAX17048_ADDRESS, type GaugedCell } from './max17048.ts';
import { Sht31Model, SHT31_ADDRESS } from './sht31.ts';
import { Tca9548aModel } from './tca9548a.ts';
import { Veml7700Model, VEML7700_ADDRESS } from './veml7700.ts';

export const TCA9548A_ADDRESS = 0x70;

export interface SensorBusOptions {
  world: SimWorld;
  /** Which light sensor the board carries; default 'veml7700'. */
  light?: 'veml7700' | 'bh1750';
  /** Bus label; default 'sim-i2c-1'. */
  id?: string;
  /** ModelGauge SOC estimation error amplitude (% SOC); default 1. */
  gaugeSocErrorPercent?: number;
}

export interface SensorBus {
  bus: SimI2cBus;
  light: Veml7700Model | Bh1750Model;
  lightAddress: number;
  climate: Sht31Model;
  rtc: Ds3231Model;
  mux: Tca9548aModel;
  gauges: readonly [Max17048Model, Max17048Model];
}

/**
 * What a MAX17048 sees of the pack in `slot`: the terminal voltage, and the state of charge as
 * its ModelGauge algorithm estimates it (true effective SOC plus a slowly wandering error of
 * ±`errorPercent`, pinned at the ends of the scale).
 */
export function gaugedCell(power: PowerSystem, slot: SlotIndex, seed: number, errorPercent = 1): (t: number) => GaugedCell | null {
  const wander = new SmoothNoise(subSeed(seed, `gauge${slot}`), 2 * 3_600_000, 2);
  return (t) => {
    const s = power.snapshot(slot, t);
    if (!s.present) return null;
    const edge = Math.min(s.socPercent, 100 - s.socPercent) / 10; // no error at 0 % and 100 %
    const soc = Math.min(100, Math.max(0, s.socPercent + errorPercent * Math.min(1, edge) * wander.at(t)));
    return { voltage: s.voltage, socPercent: soc, ratePercentPerHour: s.ratePercentPerHour, insertion: s.insertion };
  };
}

export function createSensorBus(options: SensorBusOptions): SensorBus {
  const { world } = options;
  const clock = world.clock;
  const seed = world.seed;
  const bus = new SimI2cBus({ id: options.id ?? 'sim-i2c-1', clock, random: new SeededRandom(subSeed(seed, 'i2c-faults')) });

  const lux = (t: number) => world.light.lux(t);
  const kind = options.light ?? 'veml7700';
  const light = kind === 'bh1750' ? new Bh1750Model({ clock, lux, seed: subSeed(seed, 'bh1750') }) : new Veml7700Model({ clock, lux, seed: subSeed(seed, 'veml7700') });
  const lightAddress = kind === 'bh1750' ? BH1750_ADDRESS_LOW : VEML7700_ADDRESS;
  bus.attach(lightAddress, light);

  const climate = new Sht31Model({ clock, climate: (t) => world.climate.sensed(t), seed: subSeed(seed, 'sht31') });
  bus.attach(SHT31_ADDRESS, climate);

  const rtc = new Ds3231Model({ clock, oscillator: world.rtc });
  bus.attach(DS3231_ADDRESS, rtc);

  const mux = new Tca9548aModel('battery mux');
  bus.attach(TCA9548A_ADDRESS, mux);
  const err = options.gaugeSocErrorPercent ?? 1;
  const gauges = ([0, 1] as const).map((slot) => {
    const g = new Max17048Model({ clock, cell: gaugedCell(world.power, slot, seed, err), insertion: () => world.power.insertion(slot) });
    mux.channel(slot).attach(MAX17048_ADDRESS, g);
    return g;
  }) as unknown as readonly [Max17048Model, Max17048Model];

  return { bus, light, lightAddress, climate, rtc, mux, gauges };
}
