/**
 * GNSS receiver driver: NMEA 0183 over a serial `ByteLink` (u-blox default 9600 8N1, 1 Hz).
 * Validates framing, length and checksum of every sentence, counts what it rejects, and assembles
 * one `GnssFix` per receiver epoch from RMC (date, time, status, speed, course) and GGA (quality,
 * satellites, HDOP, altitude) carrying the same time field.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { DeviceBase, check } from '../device.ts';
import { BusError, InvalidOptionsError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { ByteLink } from '../link.ts';
import type { Gnss, GnssFix, GnssStats } from '../gnss.ts';
import { LineFramer } from './line-framer.ts';
import { NMEA_MAX_LENGTH, parseGga, parseNmea, parseRmc, type GgaData, type NmeaRejectReason, type RmcData } from './nmea.ts';

export interface NmeaGnssOptions {
  /** The serial line from the receiver. */
  link: ByteLink;
  /** Stamps fixes with the monotonic time they arrived. */
  clock: Clock;
  name?: string;
  /** Longest sentence accepted, CR LF included (default 82, NMEA 0183 [U]). */
  maxSentenceLength?: number;
  /** Talkers whose GGA/RMC are used (default GP and GN). */
  talkers?: readonly string[];
}

export type GnssRejectReason = NmeaRejectReason | 'bad-fields';

export class NmeaGnss extends DeviceBase implements Gnss {
  private readonly subject = new Subject<GnssFix>();
  readonly fixes$: Observable<GnssFix> = this.subject.asObservable();
  private readonly link: ByteLink;
  private readonly clock: Clock;
  private readonly maxLength: number;
  private readonly talkers: ReadonlySet<string>;
  private readonly framer: LineFramer;
  private readonly sub: Subscription;
  private accepted = 0;
  private rejectedLines = 0;
  /** Rejections by reason, for diagnostics (`dozor doctor`, tests). */
  readonly rejections: Record<GnssRejectReason, number> = {
    'too-long': 0,
    'not-ascii': 0,
    'no-start': 0,
    'no-checksum': 0,
    'bad-checksum': 0,
    malformed: 0,
    'bad-fields': 0,
  };
  private epoch: { time: string; gga: GgaData | null; rmc: RmcData | null; emitted: boolean } | null = null;

  constructor(options: NmeaGnssOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('NmeaGnss: options object required');
    const name = options.name ?? 'GNSS';
    super(name);
    if (!options.link || typeof options.link.write !== 'function') throw new InvalidOptionsError(`${name}: link must be a ByteLink`);
    if (!options.clock || typeof options.clock.monotonic !== 'function') throw new InvalidOptionsError(`${name}: clock required`);
    this.maxLength = options.maxSentenceLength === undefined ? NMEA_MAX_LENGTH : check.int(options.maxSentenceLength, `${name}: maxSentenceLength`, 16, 4096);
    const talkers = options.talkers ?? ['GP', 'GN'];
    if (!Array.isArray(talkers) || talkers.length === 0 || !talkers.every((t) => typeof t === 'string' && /^[A-Z]{2}$/.test(t))) {
      throw new InvalidOptionsError(`${name}: talkers must be a non-empty list of two-letter talker ids`);
    }
    this.talkers = new Set(talkers);
    this.link = options.link;
    this.clock = options.clock;
    // The framer's own limit is generous; the sentence limit is applied per line so the reason is exact.
    this.framer = new LineFramer(Math.max(this.maxLength, 256), (line) => this.onLine(line));
    this.sub = this.link.data$.subscribe({
      next: (chunk) => this.framer.push(chunk),
      error: (err: unknown) => {
        if (this.closed) return;
        this.subject.error(err instanceof BusError ? err : new BusError(`${this.name}: serial line failed`, { cause: err }));
      },
      complete: () => this.subject.complete(),
    });
  }

  stats(): GnssStats {
    return { sentences: this.accepted, rejected: this.rejectedLines + this.framer.overlong };
  }

  protected override async onClose(): Promise<void> {
    this.sub.unsubscribe();
    this.subject.complete();
    await this.link.close();
  }

  private reject(reason: GnssRejectReason): void {
    this.rejectedLines += 1;
    this.rejections[reason] += 1;
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    const p = parseNmea(line, this.maxLength);
    if (!p.ok) {
      this.reject(p.reason);
      return;
    }
    if (!this.talkers.has(p.talker) || (p.type !== 'GGA' && p.type !== 'RMC')) {
      // A valid sentence we do not use (GSV, GSA, VTG, TXT, other talkers).
      this.accepted += 1;
      return;
    }
    if (p.type === 'GGA') {
      const gga = parseGga(p.fields);
      if (!gga) return this.reject('bad-fields');
      this.accepted += 1;
      this.merge(gga.timeField, 'gga', gga);
    } else {
      const rmc = parseRmc(p.fields);
      if (!rmc) return this.reject('bad-fields');
      this.accepted += 1;
      this.merge(rmc.timeField, 'rmc', rmc);
    }
  }

  /** Groups the GGA and RMC of one epoch (same time field); a repeated type starts a new epoch. */
  private merge(time: string, kind: 'gga', data: GgaData): void;
  private merge(time: string, kind: 'rmc', data: RmcData): void;
  private merge(time: string, kind: 'gga' | 'rmc', data: GgaData | RmcData): void {
    const e = this.epoch;
    if (!e || e.time !== time || e[kind] !== null) {
      if (e && !e.emitted) this.emit(e);
      this.epoch = { time, gga: null, rmc: null, emitted: false };
    }
    const cur = this.epoch!;
    if (kind === 'gga') cur.gga = data as GgaData;
    else cur.rmc = data as RmcData;
    if (cur.gga && cur.rmc) {
      this.emit(cur);
      cur.emitted = true;
    }
  }

  private emit(e: { gga: GgaData | null; rmc: RmcData | null }): void {
    const { gga, rmc } = e;
    const valid = !!rmc && rmc.valid && !!gga && gga.quality > 0;
    this.subject.next({
      valid,
      utc: rmc?.utc ?? null,
      latitude: gga?.latitude ?? rmc?.latitude ?? null,
      longitude: gga?.longitude ?? rmc?.longitude ?? null,
      altitudeM: gga?.altitudeM ?? null,
      speedKmh: rmc?.speedKmh ?? null,
      courseDeg: rmc?.courseDeg ?? null,
      satellites: gga?.satellites ?? null,
      hdop: gga?.hdop ?? null,
      at: this.clock.monotonic(),
    });
  }
}
