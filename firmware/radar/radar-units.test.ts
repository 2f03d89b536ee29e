import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { SeededRandom } from '../../sim/random.ts';
import { SimStorage } from '../../sim/storage.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { createLinkPair } from '../../sim/link.ts';
import { CentreStore } from '../../tools/centre/centre-store.ts';
import { serveCentreSession } from '../../tools/centre/session.ts';
import { unreadableCaptionLines } from '../../test/radar/match.ts';
import { analysePass, DEFAULT_ANALYSIS, isViolation, toleranceKmh, type PassReading } from './measurement.ts';
import { Outbox } from './outbox.ts';
import { VehicleLog } from './vehicle-log.ts';
import { UplinkSender } from './uplink.ts';
import { FrameDecoder, FrameError, InterimUplinkChannel, encodeFrame } from './uplink-interim.ts';
import { CAPTION_FIELDS, burnCaption, formatLocalDateTime, layoutCaption, localDate, type CaptionFields } from './caption/caption.ts';
import { decodeStill, encodeEvidence, ImageFormatError } from './caption/image-codec.ts';
import { BusError } from '../../hal/errors.ts';

const A = { ...DEFAULT_ANALYSIS, mountingAngleDeg: 10 };

function pass(speeds: number[], mag = 900, t0 = 0): PassReading[] {
  return speeds.map((los, i) => ({ los, magnitude: mag, at: t0 + i * 51 }));
}

describe('measurement', () => {
  it('tolerance: ±3 km/h up to 100 km/h, ±3 % above; a violation only when measured − tolerance exceeds limit + margin', () => {
    expect(toleranceKmh(60)).toBe(3);
    expect(toleranceKmh(100)).toBe(3);
    expect(toleranceKmh(150)).toBeCloseTo(4.5, 9);
    expect(isViolation(93, 90, 0)).toBe(false);
    expect(isViolation(93.1, 90, 0)).toBe(true);
    expect(isViolation(103, 90, 10)).toBe(false);
    expect(isViolation(103.2, 90, 10)).toBe(true);
    expect(isViolation(154.7, 150, 0)).toBe(true);
  });

  it('cosine correction: median line-of-sight speed divided by cos θ; misreads ignored', () => {
    const los = 80 * Math.cos((10 * Math.PI) / 180);
    const r = analysePass(pass([los - 0.3, los, los + 0.2, los, 160.1, los - 0.1, 40.2]), 'inbound', A);
    expect(r.vehicles).toHaveLength(1);
    expect(r.vehicles[0].speedKmh).toBeCloseTo(80, 1);
    expect(r.vehicles[0].quality).toBe('ok');
    expect(r.outliers).toBe(2);
  });

  it('two vehicles in the beam at different speeds: both recorded, both flagged so neither gives evidence', () => {
    const r = analysePass(pass([60, 60.2, 95, 60.1, 95.3, 94.8, 59.9]), 'inbound', A);
    expect(r.vehicles.map((v) => v.quality)).toEqual(['multiple-targets', 'multiple-targets']);
  });

  it('a weak two-frame echo is noise, a strong short pass is a vehicle with few readings', () => {
    expect(analysePass(pass([70, 70.4], 90), 'inbound', A).vehicles).toEqual([]);
    expect(analysePass(pass([70, 70.4], 2500), 'inbound', A).vehicles[0].quality).toBe('few-readings');
  });
});

describe('caption (R-RAD-4)', () => {
  const fields: CaptionFields = {
    radarName: 'Дозор-Р',
    serialNumber: 'DZR-000123',
    dateTime: formatLocalDateTime(Date.UTC(2024, 4, 14, 7, 4, 5), 300),
    eventType: 'превышение скорости: 112.4 км/ч',
    direction: 'к радару (встречное)',
    coordinates: '51.128207° N, 71.430411° E',
    place: 'Қарағанды, Әлихан Бөкейхан даңғылы, Үй 1, Ұлытау Һ',
    certificate: '№ ВП-2024/0457, действительно до 2025-03-01',
  };

  it('burns all eight fields, Kazakh letters included, into a band below the photo, and the pixels read back', () => {
    const photo = { width: 640, height: 360, data: new Uint8Array(640 * 360 * 4).fill(128) };
    const layout = layoutCaption(fields, photo.width, photo.height);
    expect(new Set(layout.lines.map((l) => l.field))).toEqual(new Set(CAPTION_FIELDS));
    expect(layout.missingGlyphs).toEqual([]);
    const out = burnCaption(photo, layout);
    expect(out.height).toBe(360 + layout.bandHeight);
    // The photo itself is untouched.
    expect(out.data.subarray(0, photo.data.length)).toEqual(photo.data);
    const png = encodeEvidence(out, 'image/png');
    expect(unreadableCaptionLines(png, layout)).toEqual([]);
    expect(fields.dateTime).toBe('2024-05-14 12:04:05 (UTC+05:00)');
  });

  it('a caption whose pixels were not drawn does not read back', () => {
    const photo = { width: 640, height: 360, data: new Uint8Array(640 * 360 * 4).fill(128) };
    const layout = layoutCaption(fields, photo.width, photo.height);
    const blank = { width: 640, height: 360 + layout.bandHeight, data: new Uint8Array(640 * (360 + layout.bandHeight) * 4).fill(0) };
    expect(unreadableCaptionLines(encodeEvidence(blank, 'image/png'), layout).length).toBeGreaterThan(0);
  });

  it('decodes PNG, JPEG and PPM stills; refuses garbage with a typed error', () => {
    const png = new PNG({ width: 4, height: 2 });
    png.data.fill(200);
    expect(decodeStill({ data: new Uint8Array(PNG.sync.write(png)), mime: 'image/png' })).toMatchObject({ width: 4, height: 2 });
    const j = jpeg.encode({ data: Buffer.alloc(16 * 8 * 4, 100), width: 16, height: 8 }, 90);
    expect(decodeStill({ data: new Uint8Array(j.data), mime: 'image/jpeg' })).toMatchObject({ width: 16, height: 8 });
    const ppm = new Uint8Array([...new TextEncoder().encode('P6\n# cam\n2 1\n255\n'), 1, 2, 3, 4, 5, 6]);
    expect(Array.from(decodeStill({ data: ppm, mime: 'image/x-portable-pixmap' }).data)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    expect(() => decodeStill({ data: new Uint8Array([1, 2, 3]), mime: 'image/png' })).toThrow(ImageFormatError);
    expect(() => decodeStill({ data: new TextEncoder().encode('P6 99999 99999 255\n'), mime: 'image/x-portable-pixmap' })).toThrow(ImageFormatError);
  });

  it('certificate dates are local dates', () => {
    // 2024-05-13 20:00 UTC is already 2024-05-14 01:00 in Astana.
    expect(localDate(Date.UTC(2024, 4, 13, 20, 0), 300)).toBe('2024-05-14');
  });
});

function storage(seed = 1) {
  return new SimStorage({ name: 'internal', capacityBytes: 64 * 2 ** 20, random: new SeededRandom(seed) });
}

describe('outbox (R-OFF-3)', () => {
  it('keeps every enqueued item across a power cut, with ids that never repeat, and forgets only acknowledged ones', async () => {
    const st = storage(3);
    const { outbox } = await Outbox.open({ storage: st, random: new SeededRandom(1), deviceId: 'DZR-1' });
    const items = [];
    for (let i = 0; i < 30; i++) items.push(await outbox.enqueue('violation', 1_700_000_000_000 + i, { n: i, image: new Uint8Array(1000).fill(i) }));
    await outbox.ack(items.slice(0, 10).map((i) => i.id));
    // An unsynced enqueue in flight when the power goes.
    void outbox.enqueue('violation', 1, { lost: true }).catch(() => undefined);
    st.powerCut();
    const { outbox: again } = await Outbox.open({ storage: st, random: new SeededRandom(2), deviceId: 'DZR-1' });
    expect(again.pending).toBeGreaterThanOrEqual(20);
    const pending = await again.peek(100);
    expect(pending.slice(0, 20).map((p) => p.id)).toEqual(items.slice(10).map((i) => i.id));
    expect(pending[0].at).toBe(1_700_000_000_010);
    expect((pending[0].body as { image: Uint8Array }).image[0]).toBe(10);
    const next = await again.enqueue('vehicles', 5, {});
    expect(items.map((i) => i.id)).not.toContain(next.id);
    expect(next.id.startsWith(`DZR-1:${again.deviceEpoch}:`)).toBe(true);
  });

  it('survives torn tails and garbage after the last synced item on every power cut', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const st = storage(seed);
      const { outbox } = await Outbox.open({ storage: st, random: new SeededRandom(seed), deviceId: 'R' });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await outbox.enqueue('alert', i, { i })).id);
      void outbox.enqueue('alert', 99, { i: 99 }).catch(() => undefined);
      st.powerCut();
      const { outbox: o2 } = await Outbox.open({ storage: st, random: new SeededRandom(seed), deviceId: 'R' });
      expect((await o2.peek(10)).slice(0, 5).map((p) => p.id)).toEqual(ids);
    }
  });

  it('the every-vehicle log keeps synced records through a power cut and continues numbering', async () => {
    const st = storage(9);
    const { log } = await VehicleLog.open(st, 'shift-1');
    for (let i = 0; i < 100; i++) await log.append({ wall: i, lane: 1, direction: 'inbound', speedKmh: 50 + i / 10, losKmh: 49, readings: 9, quality: 'ok' });
    st.powerCut();
    const { log: again, recovered } = await VehicleLog.open(st, 'shift-1');
    expect(recovered).toBe(100);
    expect((await again.append({ wall: 1, lane: 2, direction: 'outbound', speedKmh: 1, losKmh: 1, readings: 3, quality: 'ok' })).seq).toBe(101);
    const all = await VehicleLog.read(st, 'shift-1');
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(all[42].speedKmh).toBe(54.2);
  });
});

describe('uplink and centre (R-RAD-1)', () => {
  it('interim framing: frames split anywhere reassemble; an impossible length is a FrameError', () => {
    const bytes = new Uint8Array([...encodeFrame({ t: 'hello', device: 'X' }), ...encodeFrame({ t: 'ack', rid: 3, ids: ['a'] })]);
    const d = new FrameDecoder();
    const got = [];
    for (const b of bytes) got.push(...d.push(new Uint8Array([b])));
    expect(got).toEqual([{ t: 'hello', device: 'X' }, { t: 'ack', rid: 3, ids: ['a'] }]);
    expect(() => new FrameDecoder().push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameError);
  });

  it('a lost acknowledgement makes the radar send again; the centre records the item once', async () => {
    const clock = new VirtualClock({ startEpochMs: Date.UTC(2024, 4, 14) });
    const st = storage(4);
    const centre = new CentreStore(':memory:', () => clock.trueTime());
    const { outbox } = await Outbox.open({ storage: st, random: new SeededRandom(1), deviceId: 'DZR-9' });
    let dropAcks = true;
    const channel = new InterimUplinkChannel({
      clock,
      deviceId: 'DZR-9',
      timeoutMs: 5000,
      connect: async () => {
        const [dev, ctr] = createLinkPair({ clock, latencyMs: 20 });
        if (dropAcks) {
          // The centre stores, but its acknowledgement never arrives: the link dies first.
          const orig = ctr.write.bind(ctr);
          ctr.write = async (b) => {
            dropAcks = false;
            dev.cut('ack lost');
            return orig(b).catch(() => undefined);
          };
        }
        void serveCentreSession(ctr, centre);
        return dev;
      },
    });
    const sender = new UplinkSender({ outbox, channel, clock, random: new SeededRandom(2), backoff: { initialMs: 1000 } });
    for (let i = 0; i < 3; i++) await outbox.enqueue('alert', 1_715_650_000_000 + i, { i });
    sender.kick();
    await clock.runFor(60_000);
    expect(outbox.pending).toBe(0);
    expect(sender.stats.failures).toBeGreaterThanOrEqual(1);
    expect(centre.counts().items).toBe(3);
  });

  it('the centre refuses a violation whose image does not match its hash, so the radar keeps it', () => {
    const centre = new CentreStore();
    const r = centre.submit('D', [{ id: 'D:1:1', kind: 'violation', at: 1, body: { violation: { image: { sha256: '00' } }, image: new Uint8Array([1]) } }]);
    expect(r.acked).toEqual([]);
    expect(r.refused[0].reason).toMatch(/SHA-256/);
  });

  it('sends nothing and backs off while the centre is unreachable', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const { outbox } = await Outbox.open({ storage: storage(5), random: new SeededRandom(1), deviceId: 'D' });
    const channel = new InterimUplinkChannel({ clock, deviceId: 'D', connect: async () => Promise.reject(new BusError('no route')) });
    const sender = new UplinkSender({ outbox, channel, clock, random: new SeededRandom(1), backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 } });
    await outbox.enqueue('alert', 1, {});
    sender.kick();
    await clock.runFor(60_000);
    expect(outbox.pending).toBe(1);
    // 1 + 2 + 4 + 8 + 8·n seconds: about 10 attempts in a minute, not thousands.
    expect(sender.stats.failures).toBeGreaterThan(5);
    expect(sender.stats.failures).toBeLessThan(15);
  });
});
