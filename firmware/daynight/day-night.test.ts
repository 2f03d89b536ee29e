import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { FakeCamera, FakeIrCut, FakeIrLight, FakeLight, MemoryJournal } from '../../test/fakes/recorder-board.ts';
import type { LightSample } from '../../hal/light.ts';
import { ServiceJournal } from '../common/journal.ts';
import { FaultReporter } from '../faults/fault-reporter.ts';
import { SensorPoller } from '../common/sensor-poller.ts';
import { DEFAULT_RECORDER_CONFIG, parseRecorderConfig } from '../app/config.ts';
import { DayNightDecider, DayNightService } from './day-night.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';

const cfg = DEFAULT_RECORDER_CONFIG.dayNight;
const noAlerts: AlertSink = { raise() {}, clear() {} };

/** Feeds `lux(t)` at 1 Hz for `seconds`; returns the switches as [t, mode]. */
function drive(decider: DayNightDecider, seconds: number, lux: (t: number) => number, start = 0): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let s = 0; s <= seconds; s++) {
    const at = start + s * 1000;
    const m = decider.update({ lux: lux(at), saturated: false, at });
    if (m) out.push([at, m]);
  }
  return out;
}

describe('day/night decider (R-REC-5)', () => {
  it('R-REC-5: switches to night after 5 s below 2 lx and back to day after 5 s above 4 lx', () => {
    const d = new DayNightDecider(cfg);
    const lux = (t: number) => (t < 60_000 ? 100 : t < 200_000 ? 0.5 : 10);
    const switches = drive(d, 300, lux);
    expect(switches).toEqual([
      [0, 'day'],
      [65_000, 'night'],
      [205_000, 'day'],
    ]);
  });

  it('R-REC-5: light inside the hysteresis band (2–4 lx) never switches either way', () => {
    for (const start of [100, 0.1]) {
      const d = new DayNightDecider(cfg);
      const switches = drive(d, 3600, (t) => (t === 0 ? start : 3));
      expect(switches).toHaveLength(1); // only the power-on decision
    }
  });

  it('R-REC-5: a dip shorter than the dwell (passing shadow, headlights) does not switch', () => {
    const d = new DayNightDecider(cfg);
    const switches = drive(d, 120, (t) => (t >= 30_000 && t < 34_000 ? 0.1 : 50));
    expect(switches).toEqual([[0, 'day']]);
  });

  it('R-REC-5: does not oscillate under sensor noise near either threshold (property)', () => {
    // Noise up to 0.6 lx (30 % of the night threshold; a VEML7700 resolves 0.004 lx) around one threshold.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(2, 4), fc.double({ min: 0.05, max: 0.6, noNaN: true }), (seed, threshold, sigma) => {
        const rnd = new SeededRandom(seed);
        const d = new DayNightDecider(cfg);
        // An hour of light hovering around one threshold with Gaussian noise.
        const switches = drive(d, 3600, () => Math.max(0, threshold + sigma * rnd.gaussian()));
        // At most: the power-on decision plus one switch across the band; never back and forth.
        expect(switches.length).toBeLessThanOrEqual(2);
        if (switches.length === 2) expect(switches[1][1]).not.toBe(switches[0][1]);
      }),
      { numRuns: 200 },
    );
  });

  it('R-REC-5: even noise wider than the hysteresis band cannot switch more than once per minimum interval (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 1, max: 5, noNaN: true }), (seed, sigma) => {
        const rnd = new SeededRandom(seed);
        const d = new DayNightDecider(cfg);
        const switches = drive(d, 3600, () => Math.max(0, 3 + sigma * rnd.gaussian()));
        for (let i = 2; i < switches.length; i++) expect(switches[i][0] - switches[i - 1][0]).toBeGreaterThanOrEqual(cfg.minSwitchIntervalMs);
      }),
      { numRuns: 100 },
    );
  });

  it('R-REC-5: thresholds, dwell and the minimum switch interval are configurable', () => {
    const c = parseRecorderConfig({ dayNight: { nightBelowLux: 10, dayAboveLux: 20, dwellMs: 2_000, minSwitchIntervalMs: 60_000 } }).dayNight;
    const d = new DayNightDecider(c);
    const switches = drive(d, 200, (t) => (t < 20_000 ? 100 : t < 40_000 ? 5 : 100));
    // Night at 22 s; back to day allowed only 60 s after the previous switch.
    expect(switches).toEqual([
      [0, 'day'],
      [22_000, 'night'],
      [82_000, 'day'],
    ]);
    expect(() => parseRecorderConfig({ dayNight: { nightBelowLux: 5, dayAboveLux: 5 } })).toThrow(/hysteresis/);
  });
});

function serviceRig(lux: (t: number) => number) {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const memory = new MemoryJournal(clock);
  const journal = new ServiceJournal(memory);
  const faults = new FaultReporter(journal, noAlerts);
  const light = new FakeLight(clock, lux);
  const irCut = new FakeIrCut(clock, 100);
  const irLight = new FakeIrLight();
  const cameras = [new FakeCamera('cam a', { clock }), new FakeCamera('cam b', { clock })];
  let service: DayNightService | null = null;
  const poller = new SensorPoller<LightSample>({
    name: light.name,
    clock,
    periodMs: cfg.pollMs,
    periodFor: (s) => service!.pollPeriodFor(s),
    read: () => light.read(),
    faults,
    failuresBeforeFault: 3,
  });
  service = new DayNightService({ readings$: poller.readings$, irCut, irLight, cameras, journal, faults, config: cfg });
  service.start();
  poller.start();
  return { clock, memory, faults, light, irCut, irLight, cameras, service, poller };
}

describe('day/night service (R-REC-5)', () => {
  it('R-REC-5: at dusk pulses the IR-cut filter out, lights the IR LEDs, sets every camera to night, and journals it', async () => {
    const r = serviceRig((t) => (t < 120_000 ? 300 : 0.3));
    await r.clock.runFor(10 * 60_000);
    expect(r.irCut.pulses.map((p) => p.mode)).toEqual(['day', 'night']);
    expect(r.irCut.position).toBe('night');
    expect(r.irLight.level).toBe(1);
    for (const c of r.cameras) expect(c.mode).toBe('night');
    const entries = r.memory.of('day-night').map((e) => e.data);
    expect(entries).toEqual([
      { mode: 'day', lux: 300, irLight: false },
      { mode: 'night', lux: 0.3, irLight: true },
    ]);
    // Detected within the idle poll period plus the dwell.
    const nightAt = r.memory.of('day-night')[1].mono;
    expect(nightAt - 120_000).toBeLessThanOrEqual(cfg.idlePollMs + cfg.dwellMs);
  });

  it('R-REC-5: reads the sensor fast only near the threshold that could switch the mode', async () => {
    const r = serviceRig(() => 800);
    await r.clock.runFor(60 * 60_000);
    expect(r.poller.reads).toBeLessThanOrEqual(3600 / (cfg.idlePollMs / 1000) + 2);
    const near = serviceRig(() => 3);
    await near.clock.runFor(60_000);
    expect(near.poller.reads).toBeGreaterThanOrEqual(60);
    // A dark night (or a moonlit one) needs no fast sampling: only light above 0.4 lx might switch it back.
    const night = serviceRig(() => 0.3);
    await night.clock.runFor(60 * 60_000);
    expect(night.poller.reads).toBeLessThanOrEqual(3600 / (cfg.idlePollMs / 1000) + 2);
  });

  it('R-REC-5: the vehicle crew can switch the IR lights off; night mode then runs without them', async () => {
    const r = serviceRig(() => 0.1);
    await r.clock.runFor(1_000);
    expect(r.irLight.level).toBe(1);
    await r.service.setIrLightsEnabled(false);
    expect(r.irLight.level).toBe(0);
    expect(r.irCut.position).toBe('night');
    expect(r.memory.of('ir-lights').map((e) => e.data)).toEqual([{ enabled: false }]);
    await r.service.setIrLightsEnabled(true);
    expect(r.irLight.level).toBe(1);
  });

  it('R-PWR-3: a light sensor that stops answering is a fault; the mode is kept and recovers with the sensor', async () => {
    const r = serviceRig(() => 0.1);
    await r.clock.runFor(2_000);
    r.light.failing = true;
    await r.clock.runFor(60_000);
    expect(r.faults.isFaulty('light sensor')).toBe(true);
    expect(r.memory.of('fault').map((e) => e.data)).toEqual([{ device: 'light sensor', state: 'raised', detail: 'light sensor: no ACK at 0x10' }]);
    expect(r.service.mode).toBe('night');
    r.light.failing = false;
    await r.clock.runFor(5_000);
    expect(r.faults.isFaulty('light sensor')).toBe(false);
  });

  it('R-REC-5: an IR-cut filter that fails is a fault, and the next switch retries it', async () => {
    const readings = new Subject<LightSample>();
    const clock = new VirtualClock({ startEpochMs: 0 });
    const memory = new MemoryJournal(clock);
    const journal = new ServiceJournal(memory);
    const faults = new FaultReporter(journal, noAlerts);
    const irCut = new FakeIrCut(clock);
    let broken = true;
    const set = irCut.set.bind(irCut);
    irCut.set = async (m) => {
      if (broken) throw new Error('H-bridge fault');
      return set(m);
    };
    const s = new DayNightService({ readings$: readings, irCut, irLight: new FakeIrLight(), cameras: [], journal, faults, config: { ...cfg, minSwitchIntervalMs: 0 } });
    s.start();
    readings.next({ lux: 100, saturated: false, at: 0 });
    await s.settled();
    expect(faults.isFaulty('IR optics')).toBe(true);
    broken = false;
    for (let t = 1000; t <= 7000; t += 1000) readings.next({ lux: 0, saturated: false, at: t });
    const done = s.settled();
    await clock.runFor(1000);
    await done;
    expect(faults.isFaulty('IR optics')).toBe(false);
    expect(irCut.position).toBe('night');
  });
});
