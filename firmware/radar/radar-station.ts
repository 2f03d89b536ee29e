/**
 * The speed radar's measuring service: lane sensors → passes → vehicles → every-vehicle log
 * (R-RAD-2) → speeding decisions → captioned evidence (R-RAD-4) → persistent outbound queue →
 * processing centre (R-RAD-1, R-OFF-3).
 *
 * It takes its devices and services through options (clock, random, journal, alerts, camera,
 * GNSS, sensors, storage, uplink channel), so the radar firmware assembles it next to the shared
 * recorder (overview video, R-RAD-3), power, clock and card guards.
 *
 * Rules:
 * - Every vehicle gets a durable record, whatever else fails (camera, uplink, certificate).
 * - A violation needs: a clean single-target measurement, chargeable speed (measured − tolerance)
 *   over the limit + margin, a verification certificate valid on the event's local date,
 *   coordinates (fresh GNSS fix or the surveyed installation position), and a photo. Without a
 *   valid certificate no violation is produced at all: an alert is raised and journalled.
 * - Evidence is queued durably before anything else is done with it, with the event's own time.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { sha256Hex } from '../../protocol/crypto.ts';
import type { Camera, StillOptions } from '../../hal/camera.ts';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import { InvalidOptionsError } from '../../hal/errors.ts';
import type { Gnss, GnssFix } from '../../hal/gnss.ts';
import type { RadarDirection, RadarSensor } from '../../hal/radar.ts';
import type { Random } from '../../hal/random.ts';
import type { Storage } from '../../hal/storage.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { JournalWriter } from '../journal/entries.ts';
import {
  formatCoordinates,
  formatLocalDateTime,
  layoutCaption,
  burnCaption,
  localDate,
  RUSSIAN_LABELS,
  type CaptionFields,
  type CaptionLabels,
  type CaptionLayout,
} from './caption/caption.ts';
import { decodeStill, encodeEvidence, evidenceMimeFor, type EvidenceMime } from './caption/image-codec.ts';
import { LaneTracker } from './lane-tracker.ts';
import { DEFAULT_ANALYSIS, DEFAULT_TOLERANCE, chargeableSpeedKmh, isViolation, toleranceKmh, type AnalysisOptions, type PassResult, type Tolerance, type VehicleMeasurement } from './measurement.ts';
import { Outbox } from './outbox.ts';
import { UplinkSender, type BackoffOptions, type UplinkChannel } from './uplink.ts';
import { VehicleLog, encodeVehicle, type VehicleRecord } from './vehicle-log.ts';
import { unpack } from 'msgpackr';

export interface RadarLane {
  lane: number;
  direction: RadarDirection;
  sensor: RadarSensor;
  /** Angle between the beam and the direction of travel in this lane (degrees), measured at set-up. */
  mountingAngleDeg: number;
  /** Sensor-side speed filter, line-of-sight km/h (default 5). */
  minSpeedKmh?: number;
}

export interface RadarIdentity {
  /** Type name printed on the caption ("Дозор-Р"). */
  radarName: string;
  /** Factory serial number; also the device id towards the centre. */
  serialNumber: string;
  /** Description of the place of control (road, km, town). */
  place: string;
  /** Surveyed position, used when the GNSS has no fresh fix. */
  installation?: { latitude: number; longitude: number };
}

export interface VerificationCertificate {
  number: string;
  /** Last day of validity, local date `YYYY-MM-DD`. */
  expiresOn: string;
}

export interface RadarStationOptions {
  clock: Clock;
  random: Random;
  journal: JournalWriter;
  alerts: AlertSink;
  camera: Camera;
  still: StillOptions;
  gnss?: Gnss;
  lanes: RadarLane[];
  identity: RadarIdentity;
  certificate: VerificationCertificate;
  limitKmh: number;
  /** Extra allowance over the limit before a violation (policy), default 0. */
  marginKmh?: number;
  tolerance?: Partial<Tolerance>;
  /** Local time offset for the caption and the certificate date (default +05:00, Kazakhstan). */
  utcOffsetMinutes?: number;
  labels?: CaptionLabels;
  /** Internal storage: outbound queue and every-vehicle log. */
  storage: Storage;
  /** Where evidence files go (the sealed card); omitted: only the queue keeps them. */
  evidence?: Storage;
  shiftId: string;
  uplink: UplinkChannel;
  backoff?: Partial<BackoffOptions>;
  analysis?: Partial<Omit<AnalysisOptions, 'mountingAngleDeg'>>;
  /** Silence that ends a pass (default 300 ms: six frames at 20 k samples/s, so a few missed frames never split a vehicle). */
  gapMs?: number;
  /** A GNSS fix older than this is not used for coordinates (default 10 min). */
  gnssMaxAgeMs?: number;
  /** Vehicle records are sent to the centre in batches (default 500 records or 60 s). */
  vehicleBatch?: { maxRecords?: number; intervalMs?: number };
}

export interface ViolationMetadata {
  type: 'speeding';
  vehicleSeq: number;
  shiftId: string;
  /** Device wall time of the measurement (ms since epoch). */
  wall: number;
  lane: number;
  direction: RadarDirection;
  measuredKmh: number;
  toleranceKmh: number;
  chargeableKmh: number;
  limitKmh: number;
  radarName: string;
  serialNumber: string;
  coordinates: { latitude: number; longitude: number; source: 'gnss' | 'installation' };
  place: string;
  certificate: VerificationCertificate;
  caption: { fields: CaptionFields; layout: CaptionLayout };
  image: { mime: EvidenceMime; width: number; height: number; sha256: string; originalSha256: string };
}

export interface ViolationEvent {
  id: string;
  metadata: ViolationMetadata;
  image: Uint8Array;
}

export interface RadarStationStats {
  vehicles: number;
  violations: number;
  ambiguous: number;
  fewReadings: number;
  outlierReadings: number;
  skippedCertificate: number;
  skippedNoPosition: number;
  captureFailures: number;
  recoveredVehicles: number;
  queuePending: number;
}

const DIRECTION_TEXT: Record<RadarDirection, string> = { inbound: 'к радару (встречное)', outbound: 'от радара (попутное)' };

export class RadarStation {
  private readonly o: RadarStationOptions;
  private readonly tolerance: Tolerance;
  private readonly utcOffset: number;
  private readonly trackers: LaneTracker[] = [];
  private readonly subs: Subscription[] = [];
  private readonly timers: TimerHandle[] = [];
  private vehicleLog!: VehicleLog;
  private outbox!: Outbox;
  private sender!: UplinkSender;
  private lastFix: GnssFix | null = null;
  private batch: number[][] = [];
  private vehicleChain: Promise<unknown> = Promise.resolve();
  private captureChain: Promise<unknown> = Promise.resolve();
  private certificateAlerted = false;
  private stopped = false;
  private readonly violationsSubject = new Subject<ViolationEvent>();
  private readonly vehiclesSubject = new Subject<VehicleRecord>();
  readonly violations$: Observable<ViolationEvent> = this.violationsSubject.asObservable();
  readonly vehicles$: Observable<VehicleRecord> = this.vehiclesSubject.asObservable();
  private readonly counters = { violations: 0, ambiguous: 0, fewReadings: 0, outlierReadings: 0, skippedCertificate: 0, skippedNoPosition: 0, captureFailures: 0, recoveredVehicles: 0 };
  private faultRaised = new Set<string>();

  private constructor(options: RadarStationOptions) {
    this.o = options;
    this.tolerance = { ...DEFAULT_TOLERANCE, ...options.tolerance };
    this.utcOffset = options.utcOffsetMinutes ?? 300;
  }

  /** Validates the options, recovers the logs and the queue, configures the sensors and starts measuring. */
  static async start(options: RadarStationOptions): Promise<RadarStation> {
    validate(options);
    const s = new RadarStation(options);
    await s.open();
    return s;
  }

  stats(): RadarStationStats {
    return { vehicles: this.vehicleLog.count, ...this.counters, queuePending: this.outbox.pending };
  }

  get uplinkStats() {
    return this.sender.stats;
  }

  /** Wall time the certificate stops being valid is passed (local date after `expiresOn`). */
  certificateValidAt(wallMs: number): boolean {
    return localDate(wallMs, this.utcOffset) <= this.o.certificate.expiresOn;
  }

  /** Ends the shift: closes open passes, sends the last vehicle batch, waits for pending work. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const t of this.trackers) t.flush();
    this.stopped = true;
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) t.cancel();
    await this.vehicleChain;
    await this.captureChain;
    await this.flushBatch();
    await this.sender.stop();
    await this.vehicleLog.close();
    await this.outbox.close();
    this.violationsSubject.complete();
    this.vehiclesSubject.complete();
  }

  /** Simulated or real power loss: stop touching storage at once, finish nothing. */
  abandon(): void {
    this.stopped = true;
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) t.cancel();
    void this.sender.stop();
  }

  /** Waits until queued work (records, captures) has been done; for tests and orderly shutdown. */
  async settle(): Promise<void> {
    await this.vehicleChain;
    await this.captureChain;
  }

  /** Nudges the sender (the link came back). */
  retryUplinkNow(): void {
    this.sender.retryNow();
  }

  // ---- start-up ----

  private async open(): Promise<void> {
    const o = this.o;
    const opened = await VehicleLog.open(o.storage, o.shiftId);
    this.vehicleLog = opened.log;
    this.counters.recoveredVehicles = opened.recovered;
    const { outbox } = await Outbox.open({ storage: o.storage, random: o.random, deviceId: deviceIdOf(o.identity.serialNumber) });
    this.outbox = outbox;
    this.sender = new UplinkSender({ outbox, channel: o.uplink, clock: o.clock, random: o.random, backoff: o.backoff });
    if (opened.droppedBytes > 0) {
      await o.journal.append('log-recovered', { log: 'vehicle-log', droppedBytes: opened.droppedBytes, recoveredRecords: opened.recovered });
    }
    this.checkCertificate();
    this.timers.push(o.clock.setInterval(() => this.checkCertificate(), 3_600_000));
    if (o.gnss) {
      this.subs.push(o.gnss.fixes$.subscribe({ next: (f) => f.valid && (this.lastFix = f), error: () => this.fault('gnss', 'GNSS stream failed') }));
    }
    const analysisBase = { ...DEFAULT_ANALYSIS, ...o.analysis };
    for (const lane of o.lanes) {
      await lane.sensor.configure({ directions: lane.direction, minSpeedKmh: lane.minSpeedKmh ?? 5 });
      const tracker = new LaneTracker({
        clock: o.clock,
        lane: lane.lane,
        direction: lane.direction,
        analysis: { ...analysisBase, mountingAngleDeg: lane.mountingAngleDeg },
        gapMs: o.gapMs ?? 300,
        maxPassMs: 10_000,
        onPass: (l, r) => this.onPass(l, r),
      });
      this.trackers.push(tracker);
      this.subs.push(
        lane.sensor.readings$.subscribe({
          next: (r) => tracker.push(r),
          error: (err: unknown) => this.fault(lane.sensor.name, `radar sensor failed: ${err instanceof Error ? err.message : String(err)}`),
        }),
      );
    }
    const intervalMs = o.vehicleBatch?.intervalMs ?? 60_000;
    this.timers.push(o.clock.setInterval(() => void this.flushBatch(), intervalMs));
    // Whatever a previous run left in the queue goes out first.
    this.sender.kick();
  }

  // ---- measuring ----

  private onPass(lane: number, result: PassResult): void {
    this.counters.outlierReadings += result.outliers;
    for (const m of result.vehicles) {
      const wall = Math.round(this.o.clock.wallTime() - (this.o.clock.monotonic() - m.at));
      const run = this.vehicleChain.then(() => this.onVehicle(lane, m, wall));
      this.vehicleChain = run.catch((err: unknown) => this.fault('vehicle log', `cannot record vehicle: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private async onVehicle(lane: number, m: VehicleMeasurement, wall: number): Promise<void> {
    if (m.quality === 'multiple-targets') this.counters.ambiguous += 1;
    if (m.quality === 'few-readings') this.counters.fewReadings += 1;
    const rec = await this.vehicleLog.append({ wall, lane, direction: m.direction, speedKmh: m.speedKmh, losKmh: m.losKmh, readings: m.readings, quality: m.quality });
    this.vehiclesSubject.next(rec);
    this.batch.push(unpack(encodeVehicle(rec)) as number[]);
    if (this.batch.length >= (this.o.vehicleBatch?.maxRecords ?? 500)) void this.flushBatch();
    if (m.quality === 'ok' && isViolation(m.speedKmh, this.o.limitKmh, this.o.marginKmh ?? 0, this.tolerance)) {
      const run = this.captureChain.then(() => this.captureViolation(rec));
      this.captureChain = run.catch((err: unknown) => {
        this.counters.captureFailures += 1;
        this.fault('evidence', `violation not captured: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  }

  private async flushBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    await this.outbox.enqueue('vehicles', records[0][1], { shiftId: this.o.shiftId, fields: ['seq', 'wall', 'lane', 'dir', 'speed10', 'los10', 'readings', 'quality'], records });
    this.sender.kick();
  }

  // ---- evidence ----

  private checkCertificate(): boolean {
    const valid = this.certificateValidAt(this.o.clock.wallTime());
    if (!valid && !this.certificateAlerted) {
      this.certificateAlerted = true;
      const c = this.o.certificate;
      this.o.alerts.raise({
        kind: 'certificate-expired',
        severity: 'critical',
        message: `Verification certificate ${c.number} expired on ${c.expiresOn}: no violations are recorded`,
        details: { certificate: c.number, expiresOn: c.expiresOn },
      });
      void this.o.journal.append('certificate-expired', { certificate: c.number, expiredOn: c.expiresOn }).catch(() => undefined);
    }
    return valid;
  }

  private position(): ViolationMetadata['coordinates'] | null {
    const f = this.lastFix;
    const maxAge = this.o.gnssMaxAgeMs ?? 600_000;
    if (f && f.latitude !== null && f.longitude !== null && this.o.clock.monotonic() - f.at <= maxAge) {
      return { latitude: f.latitude, longitude: f.longitude, source: 'gnss' };
    }
    const i = this.o.identity.installation;
    return i ? { latitude: i.latitude, longitude: i.longitude, source: 'installation' } : null;
  }

  private async captureViolation(rec: VehicleRecord): Promise<void> {
    const o = this.o;
    if (this.stopped) return;
    if (!this.certificateValidAt(rec.wall)) {
      this.counters.skippedCertificate += 1;
      this.checkCertificate();
      return;
    }
    const coordinates = this.position();
    if (!coordinates) {
      this.counters.skippedNoPosition += 1;
      this.fault('gnss', 'no position for the caption: no GNSS fix and no surveyed installation position');
      return;
    }
    const still = await o.camera.still(o.still);
    const photo = decodeStill(still);
    const measured = Math.round(rec.speedKmh * 10) / 10;
    const tol = Math.round(toleranceKmh(measured, this.tolerance) * 10) / 10;
    const chargeable = Math.round(chargeableSpeedKmh(measured, this.tolerance) * 10) / 10;
    const fields: CaptionFields = {
      radarName: o.identity.radarName,
      serialNumber: o.identity.serialNumber,
      dateTime: formatLocalDateTime(rec.wall, this.utcOffset),
      eventType: `превышение скорости: ${measured.toFixed(1)} км/ч (погрешность ±${tol.toFixed(1)}), ограничение ${o.limitKmh} км/ч, полоса ${rec.lane}`,
      direction: DIRECTION_TEXT[rec.direction],
      coordinates: formatCoordinates(coordinates.latitude, coordinates.longitude),
      place: o.identity.place,
      certificate: `№ ${o.certificate.number}, действительно до ${o.certificate.expiresOn}`,
    };
    const layout = layoutCaption(fields, photo.width, photo.height, o.labels ?? RUSSIAN_LABELS);
    const captioned = burnCaption(photo, layout);
    const mime = evidenceMimeFor(still.mime);
    const image = encodeEvidence(captioned, mime);
    const metadata: ViolationMetadata = {
      type: 'speeding',
      vehicleSeq: rec.seq,
      shiftId: o.shiftId,
      wall: rec.wall,
      lane: rec.lane,
      direction: rec.direction,
      measuredKmh: measured,
      toleranceKmh: tol,
      chargeableKmh: chargeable,
      limitKmh: o.limitKmh,
      radarName: o.identity.radarName,
      serialNumber: o.identity.serialNumber,
      coordinates,
      place: o.identity.place,
      certificate: { ...o.certificate },
      caption: { fields, layout },
      image: { mime, width: captioned.width, height: captioned.height, sha256: sha256Hex(image), originalSha256: sha256Hex(still.data) },
    };
    // Durable in the queue first: from here on the violation cannot be lost.
    const item = await this.outbox.enqueue('violation', rec.wall, { violation: metadata, image });
    this.counters.violations += 1;
    this.sender.kick();
    const base = `radar/violations/${item.id.replace(/:/g, '_')}`;
    const path = `${base}.${mime === 'image/jpeg' ? 'jpg' : 'png'}`;
    if (o.evidence) {
      await o.evidence.writeAtomic(path, image);
      await o.evidence.writeAtomic(`${base}.json`, new TextEncoder().encode(JSON.stringify({ id: item.id, ...metadata })));
    }
    await o.journal.append('violation-captured', { id: item.id, speedKmh: measured, limitKmh: o.limitKmh, still: path });
    this.violationsSubject.next({ id: item.id, metadata, image });
  }

  private fault(device: string, detail: string): void {
    if (this.faultRaised.has(device)) return;
    this.faultRaised.add(device);
    this.o.alerts.raise({ kind: 'device-fault', severity: 'warning', message: `${device}: ${detail}`, details: { device } });
    void this.o.journal.append('fault', { device, state: 'raised', detail }).catch(() => undefined);
  }
}

/** The centre knows the radar by its serial number; ids allow only a safe character set. */
export function deviceIdOf(serial: string): string {
  return serial.replace(/[^A-Za-z0-9._-]/g, '-');
}

function validate(o: RadarStationOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidOptionsError('radar station: options object required');
  for (const k of ['clock', 'random', 'journal', 'alerts', 'camera', 'storage', 'uplink'] as const) {
    if (!o[k]) throw new InvalidOptionsError(`radar station: ${k} required`);
  }
  if (!Array.isArray(o.lanes) || o.lanes.length === 0) throw new InvalidOptionsError('radar station: at least one lane');
  const seen = new Set<number>();
  for (const l of o.lanes) {
    if (!Number.isInteger(l.lane) || seen.has(l.lane)) throw new InvalidOptionsError(`radar station: lane numbers must be unique integers (${l.lane})`);
    seen.add(l.lane);
    if (l.direction !== 'inbound' && l.direction !== 'outbound') throw new InvalidOptionsError(`radar station: lane ${l.lane} direction`);
    if (!(l.mountingAngleDeg >= 0 && l.mountingAngleDeg <= 45)) {
      throw new InvalidOptionsError(`radar station: lane ${l.lane} mounting angle must be 0–45° (beyond that the cosine correction amplifies angle errors too much)`);
    }
    if (!l.sensor || typeof l.sensor.configure !== 'function') throw new InvalidOptionsError(`radar station: lane ${l.lane} needs a RadarSensor`);
  }
  const id = o.identity;
  if (!id || !id.radarName || !id.serialNumber || !id.place) throw new InvalidOptionsError('radar station: identity needs radarName, serialNumber and place');
  if (id.installation && (Math.abs(id.installation.latitude) > 90 || Math.abs(id.installation.longitude) > 180)) {
    throw new InvalidOptionsError('radar station: installation position out of range');
  }
  if (!o.certificate?.number || !/^\d{4}-\d{2}-\d{2}$/.test(o.certificate.expiresOn ?? '')) {
    throw new InvalidOptionsError('radar station: certificate needs a number and expiresOn as YYYY-MM-DD');
  }
  if (!(o.limitKmh > 0 && o.limitKmh <= 200)) throw new InvalidOptionsError('radar station: limitKmh must be in 1..200');
  if (!(o.still?.width > 0 && o.still?.height > 0)) throw new InvalidOptionsError('radar station: still size required');
  if (typeof o.shiftId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(o.shiftId)) throw new InvalidOptionsError('radar station: shiftId must be 1–64 safe characters');
}
