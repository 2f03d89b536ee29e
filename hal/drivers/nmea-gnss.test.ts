import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createLinkPair } from '../../sim/link.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { SimGnss } from '../../sim/gnss.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { GnssFix } from '../gnss.ts';
import { NmeaGnss } from './nmea-gnss.ts';
import { nmeaSentence, parseGga, parseNmea, parseRmc } from './nmea.ts';

// Verified vectors (research/hardware-facts.md §6).
const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47';
const RMC = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A';
const RMC_UBLOX = '$GPRMC,201230.00,A,6026.86949,N,02217.14087,E,0.689,,150722,,,A*72';
const RMC_NOFIX = '$GPRMC,,V,,,,,,,,,,N*53';
const GGA_NOFIX = '$GPGGA,,,,,,0,00,99.99,,,,,,*48';
// gpsd's documentation example: its checksum really computes to 2B, so it must be rejected.
const GPSD_BAD = '$GPRMC,225446.33,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E,A*68';

function setup(options: { maxSentenceLength?: number } = {}) {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2024, 4, 14, 6, 0, 0) });
  const [host, device] = createLinkPair({ name: 'gnss uart' });
  const gnss = new NmeaGnss({ link: host, clock, ...options });
  const fixes: GnssFix[] = [];
  gnss.fixes$.subscribe((f) => fixes.push(f));
  const send = async (text: string) => {
    await device.write(new TextEncoder().encode(text));
    await new Promise((r) => setImmediate(r));
  };
  return { clock, gnss, fixes, send, device };
}

describe('NMEA sentence parsing', () => {
  it('accepts the verified GGA vector and decodes its fields', () => {
    const p = parseNmea(GGA);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect([p.talker, p.type]).toEqual(['GP', 'GGA']);
    const g = parseGga(p.fields)!;
    expect(g.latitude).toBeCloseTo(48 + 7.038 / 60, 9);
    expect(g.longitude).toBeCloseTo(11 + 31 / 60, 9);
    expect(g).toMatchObject({ quality: 1, satellites: 8, hdop: 0.9, altitudeM: 545.4, timeOfDayMs: (12 * 3600 + 35 * 60 + 19) * 1000 });
  });

  it('accepts both verified RMC vectors: knots to km/h, ddmmyy + time to UTC', () => {
    const a = parseNmea(RMC);
    const b = parseNmea(RMC_UBLOX);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    const ra = parseRmc(a.fields)!;
    expect(ra.utc).toBe(Date.UTC(1994, 2, 23, 12, 35, 19));
    expect(ra.speedKmh).toBeCloseTo(22.4 * 1.852, 9);
    expect(ra.courseDeg).toBe(84.4);
    expect(ra.valid).toBe(true);
    const rb = parseRmc(b.fields)!;
    expect(rb.utc).toBe(Date.UTC(2022, 6, 15, 20, 12, 30));
    expect(rb.latitude).toBeCloseTo(60 + 26.86949 / 60, 9);
    expect(rb.courseDeg).toBeNull();
  });

  it("rejects gpsd's example sentence whose checksum is wrong (computes to 2B, says 68)", () => {
    expect(parseNmea(GPSD_BAD)).toEqual({ ok: false, reason: 'bad-checksum' });
    expect(parseNmea(GPSD_BAD.replace('*68', '*2B')).ok).toBe(true);
  });

  it('rejects sentences over 82 characters including CR LF, and lines without a checksum', () => {
    const long = nmeaSentence(`GPGGA,${'1'.repeat(80)}`);
    expect(parseNmea(long)).toEqual({ ok: false, reason: 'too-long' });
    expect(parseNmea('$GPGGA,123519,4807.038,N')).toEqual({ ok: false, reason: 'no-checksum' });
    expect(parseNmea('GPGGA,1*00')).toEqual({ ok: false, reason: 'no-start' });
  });
});

describe('NMEA GNSS driver', () => {
  it('assembles one fix per epoch from GGA + RMC with date, time, quality, satellites, HDOP and altitude', async () => {
    const { gnss, fixes, send } = setup();
    await send(`${GGA}\r\n${RMC}\r\n`);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ valid: true, utc: Date.UTC(1994, 2, 23, 12, 35, 19), satellites: 8, hdop: 0.9, altitudeM: 545.4 });
    expect(fixes[0].speedKmh).toBeCloseTo(41.4848, 4);
    expect(gnss.stats()).toEqual({ sentences: 2, rejected: 0 });
  });

  it('reports no-fix output as an invalid fix with no position', async () => {
    const { fixes, send } = setup();
    await send(`${RMC_NOFIX}\r\n${GGA_NOFIX}\r\n`);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ valid: false, utc: null, latitude: null, longitude: null, satellites: 0, hdop: 99.99 });
  });

  it('accepts the GN talker of multi-constellation receivers and bytes split anywhere', async () => {
    const { fixes, send } = setup();
    const gn = `${nmeaSentence('GNRMC,101500.00,A,5107.00000,N,07125.00000,E,0.010,,140524,,,A')}\r\n${nmeaSentence('GNGGA,101500.00,5107.00000,N,07125.00000,E,1,10,0.90,347.0,M,-1.0,M,,')}\r\n`;
    for (const ch of gn) await send(ch);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ valid: true, utc: Date.UTC(2024, 4, 14, 10, 15, 0), satellites: 10 });
    expect(fixes[0].latitude).toBeCloseTo(51 + 7 / 60, 9);
  });

  it('rejects and counts bad checksums, overlong lines and malformed fields without emitting fixes', async () => {
    const { gnss, fixes, send } = setup();
    await send(`${GPSD_BAD}\r\n`);
    await send(`$GP${'X'.repeat(300)}\r\n`);
    await send(`${nmeaSentence('GPRMC,999999,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')}\r\n`);
    await send(`${nmeaSentence('GPGGA,123519,4807.038,Q,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')}\r\n`);
    expect(fixes).toHaveLength(0);
    expect(gnss.stats()).toEqual({ sentences: 0, rejected: 4 });
    expect(gnss.rejections).toMatchObject({ 'bad-checksum': 1, 'bad-fields': 2 });
  });

  it('validates its options before touching the link', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [host] = createLinkPair();
    expect(() => new NmeaGnss({ link: host, clock, maxSentenceLength: 3 })).toThrow(InvalidOptionsError);
    expect(() => new NmeaGnss({ link: host, clock, talkers: ['gps'] })).toThrow(InvalidOptionsError);
    expect(() => new NmeaGnss(null as never)).toThrow(InvalidOptionsError);
  });

  it('fuzz: never throws on arbitrary bytes, and every corrupted sentence is counted as rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 20 }), async (chunks) => {
        const { gnss, device } = setup();
        for (const c of chunks) await device.write(c);
        await new Promise((r) => setImmediate(r));
        const s = gnss.stats();
        expect(s.sentences).toBeGreaterThanOrEqual(0);
        expect(s.rejected).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 10 }), async (positions) => {
        const { gnss, fixes, send } = setup();
        let text = '';
        for (const pos of positions) {
          // Flip one character of the body: the checksum no longer matches.
          const i = 1 + (pos % (RMC.length - 4));
          const ch = RMC[i] === '1' ? '2' : '1';
          text += `${RMC.slice(0, i)}${ch}${RMC.slice(i + 1)}\r\n`;
        }
        await send(text);
        expect(gnss.stats().rejected).toBe(positions.length);
        expect(fixes).toHaveLength(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('simulated GNSS receiver', () => {
  it('emits real sentences the driver turns into valid fixes at the true time and position after acquisition', async () => {
    const clock = new VirtualClock({ startEpochMs: Date.UTC(2024, 4, 14, 6, 0, 0, 400) });
    const [host, device] = createLinkPair({ name: 'gnss uart', clock, bytesPerSecond: 960 });
    const sim = new SimGnss({ link: device, clock, random: new SeededRandom(3), latitude: 51.128207, longitude: 71.430411, acquisitionS: 5 });
    const gnss = new NmeaGnss({ link: host, clock });
    const fixes = firstValueFrom(gnss.fixes$.pipe(take(10), toArray()));
    await clock.runFor(12_000);
    const all = await fixes;
    expect(all.slice(0, 5).every((f) => !f.valid)).toBe(true);
    const good = all.slice(5);
    expect(good.every((f) => f.valid)).toBe(true);
    for (const f of good) {
      // The fix time is the whole second the receiver sent it on, before the bytes arrived.
      expect(f.utc! % 1000).toBe(0);
      expect(clock.startEpochMs + f.at - f.utc!).toBeGreaterThan(0);
      expect(clock.startEpochMs + f.at - f.utc!).toBeLessThan(1000);
      expect(Math.abs(f.latitude! - 51.128207) * 111_320).toBeLessThan(10);
      expect(Math.abs(f.longitude! - 71.430411) * 70_000).toBeLessThan(10);
    }
    expect(gnss.stats().rejected).toBe(0);
    await sim.close();
    await gnss.close();
  });
});
