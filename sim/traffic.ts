/**
 * Road traffic past a roadside radar: per-lane arrival processes with speeds, vehicle classes and
 * spacing, generated lazily one vehicle at a time on the virtual clock (O(1) per vehicle, nothing
 * pre-generated). Sensors watch the road and see each vehicle when it enters its lane's detection
 * zone (the stretch of lane inside the radar beam).
 *
 * Spacing: vehicles in one lane normally pass the zone one at a time with at least
 * `minClearanceMs` between one leaving and the next entering (free-flowing traffic); a small
 * share (`closeFollowShare`) follows so closely, at a different speed, that both are in the beam
 * at once: the two-vehicles-in-the-beam case the measurement pipeline must recognise.
 */
import type { Clock } from '../hal/clock.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import type { SeededRandom } from './random.ts';

export type TravelDirection = 'inbound' | 'outbound';

export interface LaneSpec {
  lane: number;
  /** Inbound: approaching the radar; outbound: moving away. */
  direction: TravelDirection;
  /** Vehicles per hour in this lane. */
  flowPerHour: number;
  meanSpeedKmh: number;
  sdSpeedKmh: number;
  /** Length of lane inside the beam (m); default 10. */
  zoneLengthM?: number;
}

export interface TrafficOptions {
  random: SeededRandom;
  lanes: LaneSpec[];
  /** Share of heavy vehicles (longer, stronger echo); default 0.1. */
  truckShare?: number;
  /** Share of vehicles that drive far above the lane's speeds (speeders); default 0.03. */
  speederShare?: number;
  /** Least time between one vehicle leaving the zone and the next entering it, same lane (default 400 ms). */
  minClearanceMs?: number;
  /** Share of vehicles that enter while the previous one is still in the beam (default 0.0002). */
  closeFollowShare?: number;
  /** Keep every vehicle for tests and reports (default true). */
  keepHistory?: boolean;
}

export interface Vehicle {
  id: number;
  lane: number;
  direction: TravelDirection;
  /** True speed over ground (km/h). */
  speedKmh: number;
  lengthM: number;
  kind: 'car' | 'truck';
  /** Monotonic time the front enters the zone (ms). */
  enterMs: number;
  /** Monotonic time the rear leaves the zone (ms). */
  exitMs: number;
  /** Entered while the previous vehicle of its lane was still in the zone. */
  closeFollow: boolean;
}

export type VehicleListener = (v: Vehicle) => void;

interface LaneState {
  spec: Required<LaneSpec>;
  prev: Vehicle | null;
  /** Latest exit time of any vehicle drawn so far in this lane. */
  busyUntil: number;
}

export class TrafficModel {
  readonly lanes: ReadonlyArray<Required<LaneSpec>>;
  readonly history: Vehicle[] = [];
  private readonly random: SeededRandom;
  private readonly truckShare: number;
  private readonly speederShare: number;
  private readonly minClearanceMs: number;
  private readonly closeFollowShare: number;
  private readonly keepHistory: boolean;
  private readonly listeners: VehicleListener[] = [];
  private readonly state: LaneState[];
  private nextId = 1;
  private running = false;

  constructor(options: TrafficOptions) {
    if (!options.lanes?.length) throw new InvalidOptionsError('traffic: at least one lane');
    const lanes = options.lanes.map((l) => {
      if (!(l.flowPerHour > 0) || !(l.meanSpeedKmh > 0) || !(l.sdSpeedKmh >= 0)) {
        throw new InvalidOptionsError(`traffic: lane ${l.lane} needs positive flow and speed`);
      }
      return { zoneLengthM: 10, ...l };
    });
    if (new Set(lanes.map((l) => l.lane)).size !== lanes.length) throw new InvalidOptionsError('traffic: lane numbers must be unique');
    this.lanes = lanes;
    this.random = options.random;
    this.truckShare = options.truckShare ?? 0.1;
    this.speederShare = options.speederShare ?? 0.03;
    this.minClearanceMs = options.minClearanceMs ?? 400;
    this.closeFollowShare = options.closeFollowShare ?? 0.0002;
    this.keepHistory = options.keepHistory ?? true;
    this.state = lanes.map((spec) => ({ spec, prev: null, busyUntil: -Infinity }));
  }

  /** Sensors (and tests) learn of each vehicle when it enters its zone. */
  watch(listener: VehicleListener): void {
    this.listeners.push(listener);
  }

  /** Starts the arrivals on `clock`, from its current time, until `untilMs` (monotonic). */
  start(clock: Clock, untilMs: number): void {
    if (this.running) throw new InvalidOptionsError('traffic: already started');
    this.running = true;
    for (const lane of this.state) this.scheduleNext(lane, clock, untilMs, clock.monotonic());
  }

  private scheduleNext(lane: LaneState, clock: Clock, untilMs: number, now: number): void {
    const v = this.nextVehicle(lane, now);
    if (v.enterMs > untilMs) return;
    lane.prev = v;
    lane.busyUntil = Math.max(lane.busyUntil, v.exitMs);
    clock.setTimeout(() => {
      if (this.keepHistory) this.history.push(v);
      for (const l of this.listeners) l(v);
      this.scheduleNext(lane, clock, untilMs, v.enterMs);
    }, v.enterMs - clock.monotonic());
  }

  /** Draws the next vehicle of a lane: O(1), depends only on this lane's previous vehicle. */
  private nextVehicle(lane: LaneState, now: number): Vehicle {
    const r = this.random;
    const spec = lane.spec;
    const kind = r.chance(this.truckShare) ? 'truck' : 'car';
    const lengthM = kind === 'truck' ? 10 + r.next() * 8 : 3.8 + r.next() * 1.4;
    let speed = spec.meanSpeedKmh + spec.sdSpeedKmh * r.gaussian();
    if (kind === 'truck') speed -= 8;
    if (r.chance(this.speederShare)) speed = spec.meanSpeedKmh + 20 + r.next() * 60;
    speed = Math.min(250, Math.max(8, speed));
    const meanGapMs = 3_600_000 / spec.flowPerHour;
    const prev = lane.prev;
    let enterMs = (prev?.enterMs ?? now) + -Math.log(1 - r.next()) * meanGapMs;
    let closeFollow = false;
    if (prev) {
      if (!prev.closeFollow && r.chance(this.closeFollowShare)) {
        // Enters halfway through the previous vehicle's pass, clearly faster or slower.
        enterMs = prev.enterMs + (prev.exitMs - prev.enterMs) * (0.3 + 0.4 * r.next());
        speed = Math.min(250, Math.max(8, prev.speedKmh + (r.chance(0.5) ? 1 : -1) * (12 + 20 * r.next())));
        closeFollow = true;
      } else {
        enterMs = Math.max(enterMs, lane.busyUntil + this.minClearanceMs);
      }
    }
    const dwellMs = ((spec.zoneLengthM + lengthM) / (speed / 3.6)) * 1000;
    return {
      id: this.nextId++,
      lane: spec.lane,
      direction: spec.direction,
      speedKmh: speed,
      lengthM,
      kind,
      enterMs,
      exitMs: enterMs + dwellMs,
      closeFollow,
    };
  }
}

/** Accuracy limit the radar must meet (research §7): ±3 km/h up to 100 km/h, ±3 % above. */
export function maxPermissibleErrorKmh(trueKmh: number): number {
  return trueKmh <= 100 ? 3 : 0.03 * trueKmh;
}
