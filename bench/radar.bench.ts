/**
 * Speed radar (issue #8): vehicles per second through the measuring pipeline (readings → passes →
 * decisions → durable every-vehicle records), the whole simulated roadside (sensor bytes, drivers,
 * pipeline, queue, centre), and the cost of one evidence photo (decode, caption, encode).
 */
import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { SeededRandom } from '../sim/random.ts';
import { SimStorage } from '../sim/storage.ts';
import { LaneTracker } from '../firmware/radar/lane-tracker.ts';
import { DEFAULT_ANALYSIS, isViolation, type PassResult } from '../firmware/radar/measurement.ts';
import { VehicleLog } from '../firmware/radar/vehicle-log.ts';
import { burnCaption, layoutCaption, type CaptionFields } from '../firmware/radar/caption/caption.ts';
import { decodeStill, encodeEvidence } from '../firmware/radar/caption/image-codec.ts';
import { Roadside, SceneCamera } from '../test/radar/roadside.ts';
import jpeg from 'jpeg-js';
import type { BenchSuite } from './harness.ts';

const VEHICLES = 100_000;

/** Readings of N vehicles (≈ 12 per pass with noise and a misread now and then) through trackers to decisions. */
async function pipeline(durable: boolean): Promise<number> {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const r = new SeededRandom(11);
  const storage = new SimStorage({ name: 'bench', capacityBytes: 2 ** 31, random: r });
  const { log } = await VehicleLog.open(storage, 'bench');
  let decided = 0;
  let violations = 0;
  const pending: Array<Promise<unknown>> = [];
  const onPass = (lane: number, res: PassResult) => {
    for (const v of res.vehicles) {
      decided += 1;
      if (v.quality === 'ok' && isViolation(v.speedKmh, 90, 0)) violations += 1;
      if (durable) pending.push(log.append({ wall: v.at, lane, direction: v.direction, speedKmh: v.speedKmh, losKmh: v.losKmh, readings: v.readings, quality: v.quality }));
    }
  };
  const tracker = new LaneTracker({ clock, lane: 1, direction: 'inbound', analysis: { ...DEFAULT_ANALYSIS, mountingAngleDeg: 10 }, gapMs: 300, maxPassMs: 10_000, onPass });
  const t0 = performance.now();
  for (let i = 0; i < VEHICLES; i++) {
    const speed = 60 + 10 * r.gaussian();
    const los = speed * Math.cos((10 * Math.PI) / 180);
    const n = 8 + r.int(0, 8);
    for (let k = 0; k < n; k++) {
      clock.advance(51.2);
      const misread = r.chance(0.004);
      tracker.push({ speedKmh: misread ? los * 2 : los + 0.3 * r.gaussian(), direction: 'inbound', magnitude: 900, at: clock.monotonic() });
    }
    clock.advance(600);
    if (pending.length >= 256) {
      await Promise.all(pending);
      pending.length = 0;
    }
  }
  await Promise.all(pending);
  const s = (performance.now() - t0) / 1000;
  if (decided !== VEHICLES || violations === 0) throw new Error(`bench pipeline lost vehicles: ${decided}/${VEHICLES}`);
  return VEHICLES / s;
}

async function roadsideHour(): Promise<{ vehiclesPerS: number; wallS: number; vehicles: number }> {
  const rs = new Roadside({ seed: 3, durationMs: 3_600_000 });
  await rs.boot();
  const t0 = performance.now();
  await rs.clock.runUntil(3_600_000 + 5000);
  const wallS = (performance.now() - t0) / 1000;
  await rs.shutdown();
  const vehicles = rs.traffic.history.length;
  return { vehiclesPerS: vehicles / wallS, wallS, vehicles };
}

const FIELDS: CaptionFields = {
  radarName: 'Дозор-Р',
  serialNumber: 'DZR-000123',
  dateTime: '2024-05-14 12:04:05 (UTC+05:00)',
  eventType: 'превышение скорости: 112.4 км/ч (погрешность ±3.4), ограничение 90 км/ч, полоса 2',
  direction: 'к радару (встречное)',
  coordinates: '51.128207° N, 71.430411° E',
  place: 'Астана, пр. Қабанбай батыра, 12 (Есіл ауданы)',
  certificate: '№ ВП-2024/0457, действительно до 2025-03-01',
};

async function evidenceMs(kind: 'png' | 'jpeg', width: number, height: number): Promise<number> {
  const clock = new VirtualClock({ startEpochMs: 0 });
  let still;
  if (kind === 'png') {
    still = await new SceneCamera(clock).still({ width, height });
  } else {
    const data = Buffer.alloc(width * height * 4, 90);
    still = { data: new Uint8Array(jpeg.encode({ data, width, height }, 90).data), mime: 'image/jpeg' as const };
  }
  const once = () => {
    const photo = decodeStill(still);
    const layout = layoutCaption(FIELDS, photo.width, photo.height);
    encodeEvidence(burnCaption(photo, layout), kind === 'png' ? 'image/png' : 'image/jpeg');
  };
  once();
  const n = 5;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) once();
  return (performance.now() - t0) / n;
}

const suite: BenchSuite = {
  id: 'radar',
  title: 'Speed radar pipeline',
  issue: 8,
  async run() {
    await pipeline(false);
    const sync = Math.max(await pipeline(false), await pipeline(false));
    const durable = await pipeline(true);
    const hour = await roadsideHour();
    const pngSmall = await evidenceMs('png', 480, 270);
    const jpegHd = await evidenceMs('jpeg', 1920, 1080);
    return [
      { metric: 'vehicles/s: readings → passes → decisions', value: sync, unit: 'vehicles/s', target: '≥ 10,000/s', ok: sync >= 10_000, note: '≈ 12 readings per vehicle, 0.4 % misreads' },
      { metric: 'vehicles/s: … → durable every-vehicle record', value: durable, unit: 'vehicles/s', target: '≥ 2,000/s', ok: durable >= 2_000, note: 'VehicleLog on SimStorage, group commit' },
      {
        metric: 'simulated roadside hour, whole stack',
        value: hour.vehiclesPerS,
        unit: 'vehicles/s',
        note: `${hour.vehicles} vehicles in ${hour.wallS.toFixed(2)} s wall: sensor bytes per frame, drivers, pipeline, queue, centre`,
      },
      { metric: 'evidence photo 480×270 PNG: decode + caption + encode', value: pngSmall, unit: 'ms', note: 'simulator still size' },
      { metric: 'evidence photo 1920×1080 JPEG: decode + caption + encode', value: jpegHd, unit: 'ms', note: 'board still size (rpicam-still JPEG)' },
    ];
  },
};
export default suite;
