import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLinkPair } from '../../sim/link.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { TrafficModel } from '../../sim/traffic.ts';
import { SimOps243 } from '../../sim/radar-sensor.ts';
import { BusError, DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import type { RadarReading } from '../radar.ts';
import { Ops243Radar, RadarConfigError, parseOps243Line } from './ops243.ts';

const PLAIN = { magnitude: false, plainSign: 'inbound-positive' as const };

describe('OPS243 report parsing', () => {
  it('reads plain reports: speed, magnitude+speed, time+speed, time+magnitude+speed, sign = direction', () => {
    expect(parseOps243Line('3.6', PLAIN)).toEqual({ kind: 'reading', speed: 3.6, direction: 'inbound', magnitude: null });
    expect(parseOps243Line('-27.25', PLAIN)).toEqual({ kind: 'reading', speed: 27.25, direction: 'outbound', magnitude: null });
    expect(parseOps243Line('1234,-27.25', { ...PLAIN, magnitude: true })).toEqual({ kind: 'reading', speed: 27.25, direction: 'outbound', magnitude: 1234 });
    // The manual's OT example: "137.429,3.6" is 137 s 429 ms, 3.6 in current units.
    expect(parseOps243Line('137.429,3.6', PLAIN)).toEqual({ kind: 'reading', speed: 3.6, direction: 'inbound', magnitude: null });
    expect(parseOps243Line('137.429,88,3.6', PLAIN)).toEqual({ kind: 'reading', speed: 3.6, direction: 'inbound', magnitude: 88 });
    expect(parseOps243Line('3.6', { ...PLAIN, plainSign: 'outbound-positive' })).toMatchObject({ direction: 'outbound' });
  });

  it("reads JSON reports like the manual's example, numbers or numeric strings, direction key over sign", () => {
    expect(parseOps243Line('{"speed":0.58, "direction":"inbound", "time":105, "tick":135}', PLAIN)).toEqual({ kind: 'reading', speed: 0.58, direction: 'inbound', magnitude: null });
    expect(parseOps243Line('{"magnitude":"812","speed":"-41.3"}', PLAIN)).toEqual({ kind: 'reading', speed: 41.3, direction: 'outbound', magnitude: 812 });
    expect(parseOps243Line('{"Units":"km-per-hr"}', PLAIN)).toEqual({ kind: 'reply', data: { Units: 'km-per-hr' } });
  });

  it('rejects what it cannot read, with a reason', () => {
    expect(parseOps243Line('{"speed":', PLAIN)).toEqual({ kind: 'rejected', reason: 'bad-json' });
    expect(parseOps243Line('{"speed":"fast"}', PLAIN)).toEqual({ kind: 'rejected', reason: 'bad-number' });
    expect(parseOps243Line('{"speed":3,"direction":"sideways"}', PLAIN)).toEqual({ kind: 'rejected', reason: 'bad-direction' });
    expect(parseOps243Line('[1,2]', PLAIN)).toEqual({ kind: 'rejected', reason: 'bad-number' });
    expect(parseOps243Line('1,2,3,4', PLAIN)).toEqual({ kind: 'rejected', reason: 'unexpected-shape' });
    expect(parseOps243Line('12.5\u00b0', PLAIN)).toEqual({ kind: 'rejected', reason: 'not-ascii' });
    expect(parseOps243Line('', PLAIN)).toEqual({ kind: 'blank' });
  });

  it('fuzz: never throws, every line is a reading, a reply, a blank or a counted rejection', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.boolean(), (line, magnitude) => {
        const r = parseOps243Line(line, { magnitude, plainSign: 'inbound-positive' });
        expect(['reading', 'reply', 'blank', 'rejected']).toContain(r.kind);
        if (r.kind === 'reading') {
          expect(Number.isFinite(r.speed) && r.speed >= 0).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function setupWithSim(seed = 1, opts: { output?: 'json' | 'plain' } = {}) {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2024, 4, 14, 6, 0, 0) });
  const random = new SeededRandom(seed);
  const traffic = new TrafficModel({
    random: random.fork('traffic'),
    lanes: [
      { lane: 1, direction: 'inbound', flowPerHour: 600, meanSpeedKmh: 70, sdSpeedKmh: 8 },
      { lane: 2, direction: 'outbound', flowPerHour: 600, meanSpeedKmh: 70, sdSpeedKmh: 8 },
    ],
  });
  // 19200 baud 8N1 = 1920 bytes/s, the UART default.
  const [host, device] = createLinkPair({ name: 'radar uart', clock, bytesPerSecond: 1920, latencyMs: 1 });
  const sim = new SimOps243({ link: device, clock, random: random.fork('sensor'), traffic, lane: 1, mountingAngleDeg: 12, dropRate: 0, misreadRate: 0, spillRate: 0 });
  const radar = new Ops243Radar({ link: host, clock, ...opts });
  const readings: RadarReading[] = [];
  radar.readings$.subscribe({ next: (r) => readings.push(r), error: () => undefined });
  return { clock, traffic, sim, radar, readings, host, device };
}

describe('OPS243 driver against the simulated sensor', () => {
  it('configures km/h, JSON, magnitude and the direction filter, then reads line-of-sight speeds of its lane', async () => {
    const { clock, traffic, radar, readings } = setupWithSim(5);
    const configured = radar.configure({ directions: 'inbound', minSpeedKmh: 5 });
    await clock.runFor(2000);
    await configured;
    traffic.start(clock, 10 * 60_000);
    await clock.runFor(10 * 60_000);
    expect(readings.length).toBeGreaterThan(100);
    expect(readings.every((r) => r.direction === 'inbound' && r.magnitude !== null && r.speedKmh >= 5)).toBe(true);
    // Every reading belongs to a lane-1 vehicle at v·cos(12° ± a little), within noise and one FFT bin.
    const lane1 = traffic.history.filter((v) => v.lane === 1);
    for (const r of readings) {
      const v = lane1.find((x) => x.enterMs <= r.at && r.at <= x.exitMs + 100);
      expect(v).toBeDefined();
      expect(Math.abs(r.speedKmh - v!.speedKmh * Math.cos((12 * Math.PI) / 180))).toBeLessThan(3);
    }
    expect(radar.rejected()).toBe(0);
  });

  it('reads plain output with the sign convention when configured for both directions', async () => {
    const { clock, traffic, radar, readings } = setupWithSim(6, { output: 'plain' });
    const configured = radar.configure({ directions: 'both', minSpeedKmh: 0 });
    await clock.runFor(2000);
    await configured;
    traffic.start(clock, 5 * 60_000);
    await clock.runFor(5 * 60_000);
    expect(readings.length).toBeGreaterThan(50);
    expect(readings.every((r) => r.direction === 'inbound')).toBe(true);
    expect(radar.rejected()).toBe(0);
  });

  it('times out with DeviceNotRespondingError when nothing answers, and rejects calls after close', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host] = createLinkPair({ clock });
    const radar = new Ops243Radar({ link: host, clock, commandTimeoutMs: 500 });
    const p = radar.configure({ directions: 'both', minSpeedKmh: 0 });
    const settled = p.catch((e: unknown) => e);
    await clock.runFor(600);
    expect(await settled).toBeInstanceOf(DeviceNotRespondingError);
    await radar.close();
    await radar.close();
    await expect(radar.configure({ directions: 'both', minSpeedKmh: 0 })).rejects.toBeInstanceOf(DeviceClosedError);
  });

  it('refuses a sensor that answers with other units (RadarConfigError)', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host, device] = createLinkPair();
    device.data$.subscribe(() => void device.write(new TextEncoder().encode('{"Units":"mph"}\r\n')));
    const radar = new Ops243Radar({ link: host, clock });
    await expect(radar.configure({ directions: 'both', minSpeedKmh: 0 })).rejects.toBeInstanceOf(RadarConfigError);
  });

  it('counts garbage and overlong lines as rejected and keeps reading after them', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host, device] = createLinkPair();
    const radar = new Ops243Radar({ link: host, clock, maxLineLength: 64 });
    const readings: RadarReading[] = [];
    radar.readings$.subscribe((r) => readings.push(r));
    await device.write(new TextEncoder().encode(`{"speed":12.5,"direction":"outbound"}\r\n#!?\r\n${'9'.repeat(200)}\r\n{"spe\r\n-33.1\r\n`));
    await new Promise((r) => setImmediate(r));
    expect(readings.map((r) => [r.speedKmh, r.direction])).toEqual([
      [12.5, 'outbound'],
      [33.1, 'outbound'],
    ]);
    expect(radar.rejected()).toBe(3);
    expect(radar.rejections).toMatchObject({ overlong: 1, 'bad-json': 1, 'bad-number': 1 });
  });

  it('ends the readings stream with a BusError when the serial line is cut', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host, device] = createLinkPair();
    const radar = new Ops243Radar({ link: host, clock });
    const err = new Promise((resolve) => radar.readings$.subscribe({ error: resolve }));
    device.cut();
    expect(await err).toBeInstanceOf(BusError);
  });

  it('validates its options before touching the link', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host] = createLinkPair();
    expect(() => new Ops243Radar({ link: host, clock, sampleRate: 12345 as never })).toThrow(InvalidOptionsError);
    expect(() => new Ops243Radar({ link: host, clock, output: 'xml' as never })).toThrow(InvalidOptionsError);
    expect(() => new Ops243Radar({ link: undefined as never, clock })).toThrow(InvalidOptionsError);
  });

  it('fuzz: arbitrary bytes from the sensor never throw and every non-report line is counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 15 }), async (chunks) => {
        const clock = new VirtualClock({ startEpochMs: 0 });
        const [host, device] = createLinkPair();
        const radar = new Ops243Radar({ link: host, clock });
        let n = 0;
        radar.readings$.subscribe(() => (n += 1));
        for (const c of chunks) await device.write(c);
        await new Promise((r) => setImmediate(r));
        const text = Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('latin1');
        const lines = text.split('\n').slice(0, -1);
        // Every complete line is accounted for: a reading, a reply, a blank or a rejection.
        expect(n + radar.replies + radar.rejected()).toBeLessThanOrEqual(lines.length);
        expect(radar.rejected()).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 150 },
    );
  });
});
