/**
 * Contract fixtures for the I2C chip drivers: each driver on a simulated bus with its
 * register-level chip model, the model fed from a value the test sets.
 *
 * `adapter` turns the simulated bus into the `I2cBus` the driver gets. The simulator passes it
 * through; the Linux adapter's tests wrap it as the kernel side instead, e.g.
 * `(sim) => new LinuxI2cBus({ bus: toPromisifiedBus(sim) })` with `toPromisifiedBus` from
 * sim/i2c/promisified-bus.ts, so the very same suites run over i2c-bus's call shapes.
 */
import type { I2cBus } from '../../hal/bus/i2c.ts';
import type { SlotIndex } from '../../hal/battery.ts';
import { Bh1750 } from '../../hal/drivers/bh1750.ts';
import { Ds3231, DS3231_MAX_TIME, DS3231_MIN_TIME } from '../../hal/drivers/ds3231.ts';
import { Max17048 } from '../../hal/drivers/max17048.ts';
import { Sht31 } from '../../hal/drivers/sht31.ts';
import { Tca9548a } from '../../hal/drivers/tca9548a.ts';
import { Veml7700 } from '../../hal/drivers/veml7700.ts';
import { drive } from '../../sim/drive.ts';
import { SimI2cBus } from '../../sim/i2c/bus.ts';
import { Bh1750Model } from '../../sim/i2c/bh1750.ts';
import { Ds3231Model } from '../../sim/i2c/ds3231.ts';
import { Max17048Model, type GaugedCell } from '../../sim/i2c/max17048.ts';
import { Sht31Model } from '../../sim/i2c/sht31.ts';
import { Tca9548aModel } from '../../sim/i2c/tca9548a.ts';
import { Veml7700Model } from '../../sim/i2c/veml7700.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { RtcOscillator } from '../../sim/world/rtc.ts';
import type { BatteryFixture, CellState } from './battery.contract.ts';
import type { ClimateFixture } from './climate.contract.ts';
import type { LightFixture } from './light.contract.ts';
import type { RtcFixture } from './rtc.contract.ts';

export type BusAdapter = (sim: SimI2cBus) => I2cBus;

/** The simulator's own bus, unwrapped. */
export const simBus: BusAdapter = (sim) => sim;

function base(seed: number) {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 0, 15, 8, 0, 0) });
  const sim = new SimI2cBus({ id: 'sim-i2c-test', clock, random: new SeededRandom(seed) });
  return {
    clock,
    sim,
    run: <T>(work: Promise<T>) => drive(clock, work),
    advance: async (ms: number) => {
      await clock.runFor(ms);
    },
  };
}

export function veml7700Fixture(adapter: BusAdapter = simBus): LightFixture {
  const b = base(1);
  let lux = 100;
  b.sim.attach(0x10, new Veml7700Model({ clock: b.clock, lux: () => lux, seed: 11 }));
  return {
    sensor: new Veml7700({ bus: adapter(b.sim), clock: b.clock }),
    clock: b.clock,
    // Datasheet: 0.0042 lx/count at best; ±10 % (our model: quantisation + 0.3 % noise).
    spec: { minLux: 0.05, maxLux: 100_000, relative: 0.1, absoluteLux: 0.01 },
    setLux: (v) => (lux = v),
    run: b.run,
    advance: b.advance,
    unplug: () => b.sim.unplug(0x10),
    plug: () => b.sim.plug(0x10),
  };
}

export function bh1750Fixture(adapter: BusAdapter = simBus, address: 0x23 | 0x5c = 0x23): LightFixture {
  const b = base(2);
  let lux = 100;
  b.sim.attach(address, new Bh1750Model({ clock: b.clock, lux: () => lux, seed: 12 }));
  return {
    sensor: new Bh1750({ bus: adapter(b.sim), clock: b.clock, address }),
    clock: b.clock,
    // 0.11 lx/count at best (H-res2, MTreg 254); ≈121 klx full scale at MTreg 31.
    spec: { minLux: 1, maxLux: 100_000, relative: 0.05, absoluteLux: 0.15, saturationLux: 150_000 },
    setLux: (v) => (lux = v),
    run: b.run,
    advance: b.advance,
    unplug: () => b.sim.unplug(address),
    plug: () => b.sim.plug(address),
  };
}

/**
 * A MAX17048 in `slot`, reached through a TCA9548A channel (as on the body camera), with the
 * other slot's gauge on the other channel holding a different pack, so a mix-up would show.
 */
export function max17048Fixture(adapter: BusAdapter = simBus, slot: SlotIndex = 0): BatteryFixture {
  const b = base(3);
  const mux = new Tca9548aModel('test mux');
  b.sim.attach(0x70, mux);
  let cell: GaugedCell | null = null;
  let insertion = 0;
  mux.channel(slot).attach(0x36, new Max17048Model({ clock: b.clock, cell: () => cell }));
  const decoy: GaugedCell = { voltage: 3.5, socPercent: 3, ratePercentPerHour: -1, insertion: 1 };
  mux.channel(1 - slot).attach(0x36, new Max17048Model({ clock: b.clock, cell: () => decoy }));
  const muxDriver = new Tca9548a({ bus: adapter(b.sim), name: 'battery multiplexer' });
  const gauge = new Max17048({ bus: muxDriver.channel(slot), clock: b.clock, slot });
  const set = (c: CellState) => ({ ...c, insertion });
  return {
    gauge,
    slot,
    clock: b.clock,
    // VCELL 78.125 µV/LSB, SOC 1/256 %, CRATE 0.208 %/h: the rounding of each register.
    spec: { voltageTolerance: 0.0001, socTolerancePercent: 0.004, rateTolerancePercentPerHour: 0.105 },
    setCell: (c) => {
      if (c === null) cell = null;
      else {
        if (cell === null) insertion += 1;
        cell = set(c);
      }
    },
    swapPack: (c) => {
      insertion += 1;
      cell = set(c);
    },
    run: b.run,
    advance: b.advance,
    breakPath: () => b.sim.unplug(0x70),
    cleanup: () => muxDriver.close(),
  };
}

export function ds3231Fixture(adapter: BusAdapter = simBus): RtcFixture {
  const b = base(4);
  const oscillator = new RtcOscillator({ clock: b.clock, driftPpm: 1.7, initialErrorMs: 42_000 });
  b.sim.attach(0x68, new Ds3231Model({ clock: b.clock, oscillator }));
  return {
    rtc: new Ds3231({ bus: adapter(b.sim), clock: b.clock }),
    clock: b.clock,
    spec: { resolutionMs: 1000, driftPpm: 2, outOfRange: [DS3231_MIN_TIME - 1, DS3231_MAX_TIME + 1, -1] },
    trueTime: () => b.clock.trueTime(),
    stopOscillator: () => oscillator.stop(),
    startOscillator: () => oscillator.start(),
    run: b.run,
    advance: b.advance,
    unplug: () => b.sim.unplug(0x68),
    plug: () => b.sim.plug(0x68),
  };
}

export function sht31Fixture(adapter: BusAdapter = simBus, address: 0x44 | 0x45 = 0x44): ClimateFixture {
  const b = base(5);
  let climate = { celsius: 20, humidity: 50 };
  b.sim.attach(address, new Sht31Model({ clock: b.clock, climate: () => climate, seed: 13 }));
  return {
    sensor: new Sht31({ bus: adapter(b.sim), clock: b.clock, address }),
    clock: b.clock,
    // SHT31: ±0.2 °C (0–90 °C typ.), ±2 %RH; 16-bit codes (0.003 °C, 0.002 %RH).
    spec: { temperatureToleranceC: 0.2, humidityTolerance: 2 },
    setClimate: (celsius, humidity) => (climate = { celsius, humidity }),
    corruptNextRead: () => b.sim.corruptNextRead(address, 1),
    run: b.run,
    advance: b.advance,
    unplug: () => b.sim.unplug(address),
    plug: () => b.sim.plug(address),
  };
}
