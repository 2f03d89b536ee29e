/**
 * The every-vehicle log (R-RAD-2, continuous control): one compact record per vehicle (time,
 * speed, direction, lane, how it was measured) in a durable per-shift file
 * `radar/vehicles/<shift>.log`. A record is durable before `append` resolves (group commit);
 * a torn tail after a power cut is cut on open and reported.
 */
import { pack, unpack } from 'msgpackr';
import { InvalidOptionsError } from '../../hal/errors.ts';
import type { RadarDirection } from '../../hal/radar.ts';
import type { Storage } from '../../hal/storage.ts';
import type { MeasurementQuality } from './measurement.ts';
import { RecordLog, scanFrames } from './record-log.ts';

export interface VehicleRecord {
  /** Vehicle number in this shift, from 1. */
  seq: number;
  /** Device wall time of the measurement (ms since epoch). */
  wall: number;
  lane: number;
  direction: RadarDirection;
  /** Corrected speed, km/h (0.1 resolution). */
  speedKmh: number;
  /** Line-of-sight speed, km/h (0.1 resolution). */
  losKmh: number;
  readings: number;
  quality: MeasurementQuality;
}

const QUALITY: MeasurementQuality[] = ['ok', 'multiple-targets', 'few-readings'];

export function encodeVehicle(r: VehicleRecord): Uint8Array {
  return pack([r.seq, r.wall, r.lane, r.direction === 'inbound' ? 0 : 1, Math.round(r.speedKmh * 10), Math.round(r.losKmh * 10), r.readings, QUALITY.indexOf(r.quality)]);
}

export function decodeVehicle(bytes: Uint8Array): VehicleRecord {
  const [seq, wall, lane, dir, speed, los, readings, q] = unpack(bytes) as number[];
  return { seq, wall, lane, direction: dir === 0 ? 'inbound' : 'outbound', speedKmh: speed / 10, losKmh: los / 10, readings, quality: QUALITY[q] ?? 'ok' };
}

export function vehicleLogPath(shiftId: string): string {
  return `radar/vehicles/${shiftId}.log`;
}

export class VehicleLog {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly log: RecordLog,
    private seq: number,
  ) {}

  static async open(storage: Storage, shiftId: string): Promise<{ log: VehicleLog; recovered: number; droppedBytes: number }> {
    if (typeof shiftId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(shiftId)) throw new InvalidOptionsError('vehicle log: shiftId must be 1–64 letters, digits, dot, dash or underscore');
    const opened = await RecordLog.open(storage, vehicleLogPath(shiftId));
    const last = opened.records.length ? decodeVehicle(opened.records[opened.records.length - 1].payload).seq : 0;
    return { log: new VehicleLog(opened.log, last), recovered: opened.records.length, droppedBytes: opened.droppedBytes };
  }

  /** Reads a shift's records (tools, tests, the offload). */
  static async read(storage: Storage, shiftId: string): Promise<VehicleRecord[]> {
    const path = vehicleLogPath(shiftId);
    if (!(await storage.stat(path))) return [];
    return scanFrames(await storage.read(path)).records.map((r) => decodeVehicle(r.payload));
  }

  get count(): number {
    return this.seq;
  }

  /** Numbers the record and makes it durable. */
  async append(r: Omit<VehicleRecord, 'seq'>): Promise<VehicleRecord> {
    const rec = { ...r, seq: ++this.seq, speedKmh: Math.round(r.speedKmh * 10) / 10, losKmh: Math.round(r.losKmh * 10) / 10 };
    // Appends go to the file in seq order; the sync that follows is shared by whatever queued meanwhile.
    const appended = this.chain.then(() => this.log.appendLazy(encodeVehicle(rec)));
    this.chain = appended.catch(() => undefined);
    await appended;
    await this.log.flush();
    return rec;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.log.close();
  }
}
