/**
 * A simulated roadside radar installation for tests and the benchmark: traffic, one simulated
 * OPS243 per lane behind the real driver, a simulated GNSS behind the real NMEA driver, a camera
 * returning real PNG stills, power-cut storage, and the demo processing centre reached over an
 * in-memory link that the test can take down. `boot()` powers the device up (again, after a cut).
 */
import { PNG } from 'pngjs';
import { BusError } from '../../hal/errors.ts';
import { DeviceBase } from '../../hal/device.ts';
import { NmeaGnss } from '../../hal/drivers/nmea-gnss.ts';
import { Ops243Radar } from '../../hal/drivers/ops243.ts';
import type { Camera, Still, StillOptions, VideoChunk } from '../../hal/camera.ts';
import type { ByteLink } from '../../hal/link.ts';
import type { Observable } from 'rxjs';
import { EMPTY } from 'rxjs';
import { createLinkPair, type SimByteLink } from '../../sim/link.ts';
import { SeededRandom } from '../../sim/random.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SimGnss } from '../../sim/gnss.ts';
import { SimOps243 } from '../../sim/radar-sensor.ts';
import { TrafficModel, type LaneSpec } from '../../sim/traffic.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import type { Alert, AlertKind, AlertSink } from '../../firmware/alerts/alert-sink.ts';
import type { EntryData, EntryType, JournalWriter } from '../../firmware/journal/entries.ts';
import { checkServiceAppend } from '../../firmware/journal/validate.ts';
import { RadarStation, type RadarStationOptions, type ViolationEvent } from '../../firmware/radar/radar-station.ts';
import { InterimUplinkChannel } from '../../firmware/radar/uplink-interim.ts';
import { CentreStore } from '../../tools/centre/centre-store.ts';
import { serveCentreSession } from '../../tools/centre/session.ts';

/** A camera whose stills are a synthetic road scene, encoded as PNG once per size. */
export class SceneCamera extends DeviceBase implements Camera {
  private readonly cache = new Map<string, Uint8Array>();
  stills = 0;
  failNext = false;

  constructor(private readonly clock: VirtualClock) {
    super('scene camera');
  }

  video(): Observable<VideoChunk> {
    return EMPTY;
  }

  setMode(): void {}

  async still(o: StillOptions): Promise<Still> {
    this.assertOpen();
    if (this.failNext) {
      this.failNext = false;
      throw new BusError('camera: still capture failed');
    }
    const key = `${o.width}x${o.height}`;
    let data = this.cache.get(key);
    if (!data) {
      const png = new PNG({ width: o.width, height: o.height });
      for (let y = 0; y < o.height; y++) {
        for (let x = 0; x < o.width; x++) {
          const i = (y * o.width + x) * 4;
          const road = y > o.height * 0.45;
          png.data[i] = road ? 70 + ((x * 3) % 20) : 120 + (y % 60);
          png.data[i + 1] = road ? 72 : 160 + (x % 40);
          png.data[i + 2] = road ? 75 : 220;
          png.data[i + 3] = 255;
        }
      }
      data = new Uint8Array(PNG.sync.write(png));
      this.cache.set(key, data);
    }
    this.stills += 1;
    return { data, mime: 'image/png', width: o.width, height: o.height, at: this.clock.monotonic() };
  }
}

export class MemoryJournal implements JournalWriter {
  readonly entries: Array<{ type: EntryType; data: unknown; wall: number }> = [];
  constructor(private readonly clock: VirtualClock) {}
  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }> {
    checkServiceAppend(type, data); // refuses exactly what the real journal refuses
    this.entries.push({ type, data, wall: this.clock.wallTime() });
    return { seq: this.entries.length };
  }
  of(type: EntryType) {
    return this.entries.filter((e) => e.type === type);
  }
}

export class MemoryAlerts implements AlertSink {
  readonly raised: Alert[] = [];
  constructor(private readonly clock: VirtualClock) {}
  raise(alert: Omit<Alert, 'at'>): void {
    this.raised.push({ ...alert, at: this.clock.wallTime() });
  }
  clear(_kind: AlertKind): void {}
}

export interface RoadsideOptions {
  seed: number;
  /** Length of the traffic run (ms). */
  durationMs: number;
  lanes?: LaneSpec[];
  speederShare?: number;
  limitKmh?: number;
  certificateExpiresOn?: string;
  still?: StillOptions;
  /** Overrides for the sensors' noise model. */
  sensor?: { misreadRate?: number; dropRate?: number; spillRate?: number };
  closeFollowShare?: number;
  station?: Partial<RadarStationOptions>;
}

export const DEFAULT_LANES: LaneSpec[] = [
  { lane: 1, direction: 'inbound', flowPerHour: 520, meanSpeedKmh: 58, sdSpeedKmh: 9 },
  { lane: 2, direction: 'inbound', flowPerHour: 380, meanSpeedKmh: 66, sdSpeedKmh: 10 },
  { lane: 3, direction: 'outbound', flowPerHour: 380, meanSpeedKmh: 66, sdSpeedKmh: 10 },
  { lane: 4, direction: 'outbound', flowPerHour: 520, meanSpeedKmh: 58, sdSpeedKmh: 9 },
];

/** Mounting angle of each lane's beam: nearer lanes are seen at a wider angle. */
export const LANE_ANGLES: Record<number, number> = { 1: 12, 2: 9, 3: 9, 4: 12 };

export const START = Date.UTC(2024, 4, 14, 1, 0, 0); // 06:00 in Astana (UTC+05:00)

export class Roadside {
  readonly clock = new VirtualClock({ startEpochMs: START });
  readonly random: SeededRandom;
  readonly traffic: TrafficModel;
  readonly storage: SimStorage;
  readonly evidence: SimStorage;
  readonly centre: CentreStore;
  readonly journal: MemoryJournal;
  readonly alerts: MemoryAlerts;
  readonly camera: SceneCamera;
  readonly violations: ViolationEvent[] = [];
  station: RadarStation | null = null;
  /** False while the uplink network is down. */
  networkUp = true;
  private liveLinks: SimByteLink[] = [];
  private devices: Array<{ close(): Promise<void> }> = [];
  boots = 0;

  constructor(readonly o: RoadsideOptions) {
    this.random = new SeededRandom(o.seed);
    this.traffic = new TrafficModel({
      random: this.random.fork('traffic'),
      lanes: o.lanes ?? DEFAULT_LANES,
      speederShare: o.speederShare ?? 0.01,
      closeFollowShare: o.closeFollowShare,
    });
    this.storage = new SimStorage({ name: 'internal', capacityBytes: 4 * 2 ** 30, random: this.random.fork('storage') });
    this.evidence = new SimStorage({ name: 'card', capacityBytes: 4 * 2 ** 30, random: this.random.fork('card') });
    this.centre = new CentreStore(':memory:', () => this.clock.trueTime());
    this.journal = new MemoryJournal(this.clock);
    this.alerts = new MemoryAlerts(this.clock);
    this.camera = new SceneCamera(this.clock);
  }

  /** Starts the traffic (once) and powers the device up. */
  async boot(): Promise<RadarStation> {
    this.boots += 1;
    const clock = this.clock;
    const r = this.random.fork(`boot-${this.boots}`);
    const lanes = [];
    for (const spec of this.o.lanes ?? DEFAULT_LANES) {
      const [host, device] = createLinkPair({ name: `radar lane ${spec.lane}`, clock });
      const sim = new SimOps243({ link: device, clock, random: r.fork(`lane-${spec.lane}`), traffic: this.traffic, lane: spec.lane, mountingAngleDeg: LANE_ANGLES[spec.lane] ?? 10, ...this.o.sensor });
      const sensor = new Ops243Radar({ link: host, clock, name: `radar lane ${spec.lane}` });
      this.devices.push(sim, sensor);
      lanes.push({ lane: spec.lane, direction: spec.direction, sensor, mountingAngleDeg: LANE_ANGLES[spec.lane] ?? 10 });
    }
    const [gHost, gDevice] = createLinkPair({ name: 'gnss', clock });
    const simGnss = new SimGnss({ link: gDevice, clock, random: r.fork('gnss'), latitude: 51.128207, longitude: 71.430411, acquisitionS: 20 });
    const gnss = new NmeaGnss({ link: gHost, clock });
    this.devices.push(simGnss, gnss);
    const uplink = new InterimUplinkChannel({ clock, deviceId: 'DZR-000123', timeoutMs: 10_000, connect: () => this.connect() });
    const starting = RadarStation.start({
      clock,
      random: r.fork('station'),
      journal: this.journal,
      alerts: this.alerts,
      camera: this.camera,
      still: this.o.still ?? { width: 480, height: 270 },
      gnss,
      lanes,
      identity: { radarName: 'Дозор-Р', serialNumber: 'DZR-000123', place: 'Астана, пр. Қабанбай батыра, 12 (Есіл ауданы)', installation: { latitude: 51.1282, longitude: 71.4304 } },
      certificate: { number: 'ВП-2024/0457', expiresOn: this.o.certificateExpiresOn ?? '2025-03-01' },
      limitKmh: this.o.limitKmh ?? 90,
      storage: this.storage,
      evidence: this.evidence,
      shiftId: 'shift-20240514',
      uplink,
      ...this.o.station,
    });
    // Sensor configuration needs the virtual clock to run (command round trips).
    let station: RadarStation | null = null;
    let failure: unknown = null;
    starting.then((s) => (station = s), (e: unknown) => (failure = e));
    while (!station && !failure) await clock.runFor(50);
    if (failure) throw failure;
    this.station = station!;
    this.station.violations$.subscribe((v) => this.violations.push(v));
    if (this.boots === 1) this.traffic.start(clock, this.o.durationMs);
    return this.station;
  }

  /** Power loss: unsynced bytes are torn, every device on the board stops. */
  async powerCut(): Promise<void> {
    this.station?.abandon();
    this.station = null;
    this.storage.powerCut();
    for (const d of this.devices) await d.close();
    this.devices = [];
    for (const l of this.liveLinks) l.cut('power lost');
    this.liveLinks = [];
  }

  setNetwork(up: boolean): void {
    this.networkUp = up;
    if (!up) {
      for (const l of this.liveLinks) l.cut('network down');
      this.liveLinks = [];
    } else {
      this.station?.retryUplinkNow();
    }
  }

  private async connect(): Promise<ByteLink> {
    if (!this.networkUp) throw new BusError('uplink: no network');
    const [device, centre] = createLinkPair({ name: 'uplink', clock: this.clock, latencyMs: 40 });
    this.liveLinks.push(device);
    void serveCentreSession(centre, this.centre);
    return device;
  }

  async shutdown(): Promise<void> {
    const stopping = this.station?.stop();
    if (stopping) {
      let done = false;
      void stopping.then(() => (done = true));
      while (!done) await this.clock.runFor(1000);
    }
    for (const d of this.devices) await d.close();
  }
}
