/**
 * Sensor chain throughput (issue #2 item 5, issue #7 item 2): real drivers → simulated I2C bus →
 * register-level chip models → world models. An 8-hour shift needs about 30 000 light reads,
 * 6 000 gauge reads and 3 000 climate reads; the whole shift must simulate in ≤ 0.5 s.
 */
import { performance } from 'node:perf_hooks';
import { createI2cSensors, type I2cSensors } from '../hal/drivers/index.ts';
import { drive } from '../sim/drive.ts';
import { createSensorBus } from '../sim/i2c/sensor-bus.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { BODYCAM_NOMINAL_MA, SimWorld } from '../sim/world/index.ts';
import type { BenchResult, BenchSuite } from './harness.ts';

const START = Date.UTC(2026, 0, 15, 6, 0);

function board() {
  const clock = new VirtualClock({ startEpochMs: START });
  const world = new SimWorld({ clock, seed: 5, weather: { cloudCover: 0.5 } });
  world.power.setLoad('device', BODYCAM_NOMINAL_MA);
  const sim = createSensorBus({ world });
  const sensors = createI2cSensors({ bus: sim.bus, clock });
  return { clock, world, sim, sensors };
}

/**
 * Reads per second of one sensor in a steady scene (an office: no range changes), the clock
 * advanced 1 s between reads. Sensors that never wait on the clock in steady state are awaited
 * directly; the SHT31 waits for its conversion, so it is driven on the clock (one event-loop hop
 * per read).
 */
async function readsPerSecond(pick: (s: I2cSensors) => () => Promise<unknown>, n: number, waits = false): Promise<number> {
  const { clock, world, sensors } = board();
  world.setEnvironment({ kind: 'indoors' });
  const read = pick(sensors);
  await drive(clock, read()); // initialise and range
  await drive(clock, read());
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    clock.advance(1_000);
    if (waits) await drive(clock, read());
    else await read();
  }
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The sensor load of an 8-hour shift, on the virtual clock as the firmware would schedule it:
 * light 1 Hz, both gauges and the climate sensor every 10 s, the RTC once a minute. With
 * `noop`, the same schedule without reads: the virtual clock's own cost (one event-loop hop per
 * instant), subtracted to get what the sensor chain costs.
 */
async function shift(noop = false): Promise<{ wallMs: number; cpuMs: number; reads: number; transfers: number }> {
  const { clock, sim, sensors } = board();
  let reads = 0;
  const count = (p: Promise<unknown>) => void p.then(() => reads++);
  const read = (f: () => Promise<unknown>) => count(noop ? Promise.resolve() : f());
  clock.setInterval(() => read(() => sensors.light.read()), 1_000);
  clock.setInterval(() => {
    read(() => sensors.batteries[0].read());
    read(() => sensors.batteries[1].read());
    read(() => sensors.climate.read());
  }, 10_000);
  clock.setInterval(() => read(() => sensors.rtc.read()), 60_000);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await clock.runUntil(8 * 3_600_000);
  const cpu = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, reads, transfers: sim.bus.stats.transfers };
}

function worldQueries(): { lux: number; climate: number; power: number } {
  const { world } = board();
  const N = 200_000;
  const rate = (f: (t: number) => unknown) => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) f(START + i * 1000);
    return N / ((performance.now() - t0) / 1000);
  };
  return {
    lux: rate((t) => world.light.lux(t)),
    climate: rate((t) => world.climate.sensed(t)),
    power: rate((t) => world.power.snapshot(0, Math.min(t, START))),
  };
}

const suite: BenchSuite = {
  id: 'sensors',
  title: 'Sensor chain: drivers over the simulated I2C bus and world models',
  issue: 7,
  async run(): Promise<BenchResult[]> {
    await shift(); // warm-up (the JIT makes the first run several times slower)
    // Best of three of each: on a shared machine a single run mostly measures the neighbours.
    let s = await shift();
    let base = await shift(true);
    for (let i = 0; i < 2; i++) {
      const a = await shift();
      if (a.wallMs < s.wallMs) s = a;
      const b = await shift(true);
      if (b.wallMs < base.wallMs) base = b;
    }
    const sensorMs = s.wallMs - base.wallMs;
    const best = async (f: () => Promise<number>) => Math.max(await f(), await f());
    const light = await best(() => readsPerSecond((x) => () => x.light.read(), 50_000));
    const gauge = await best(() => readsPerSecond((x) => () => x.batteries[0].read(), 20_000));
    const climate = await best(() => readsPerSecond((x) => () => x.climate.read(), 10_000, true));
    const rtc = await best(() => readsPerSecond((x) => () => x.rtc.read(), 20_000));
    const w = worldQueries();
    return [
      {
        metric: '8-hour shift sensor load (light 1 Hz, 2 gauges + climate 0.1 Hz, RTC 1/min): sensor chain wall time',
        value: sensorMs,
        unit: 'ms',
        target: '≤ 100 ms (a fifth of the 0.5 s shift budget)',
        ok: sensorMs <= 100,
        note: `${s.reads.toLocaleString('en-US')} reads, ${s.transfers.toLocaleString('en-US')} I2C transfers; total ${Math.round(s.wallMs)} ms wall (${Math.round(s.cpuMs)} ms CPU) minus ${Math.round(base.wallMs)} ms for the same schedule without reads (virtual-clock hops)`,
      },
      { metric: 'VEML7700 reads/s (driver + bus + chip + sky), steady state', value: light, unit: 'reads/s', target: '≥ 100,000/s (a shift needs ≈30,000 reads)', ok: light >= 100_000 },
      { metric: 'MAX17048 reads/s behind the TCA9548A (2 block transfers)', value: gauge, unit: 'reads/s', target: '≥ 60,000/s (a shift needs ≈6,000)', ok: gauge >= 60_000 },
      { metric: 'SHT31 reads/s incl. its 16 ms conversion wait on the virtual clock', value: climate, unit: 'reads/s', target: '≥ 30,000/s (a shift needs ≈3,000)', ok: climate >= 30_000 },
      { metric: 'DS3231 reads/s (one 19-byte block)', value: rtc, unit: 'reads/s' },
      { metric: 'world: light.lux queries/s', value: w.lux, unit: 'queries/s' },
      { metric: 'world: climate.sensed queries/s', value: w.climate, unit: 'queries/s' },
      { metric: 'world: power.snapshot queries/s', value: w.power, unit: 'queries/s' },
    ];
  },
};
export default suite;
