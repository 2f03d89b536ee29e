/**
 * From radar readings to vehicle speeds (pure functions, no I/O).
 *
 * A *pass* is the run of readings of one lane's sensor with no silence longer than the gap; it
 * holds one vehicle, or rarely two (close following, or an echo from the next lane). Readings
 * are clustered by speed; a cluster with at least `minReadings` readings is a vehicle, measured
 * as the median of its line-of-sight speeds corrected for the mounting angle (cosine effect,
 * v = v_los / cos θ). Small clusters are misreads and are ignored. Two or more vehicle clusters
 * in one pass mean two vehicles were in the beam: both are recorded, neither may give evidence
 * (OIML R 91 draft: a radar that cannot tell targets apart invalidates the result).
 */
import type { RadarDirection } from '../../hal/radar.ts';

/** Maximum permissible error of the measurement (research §7): ±3 km/h up to 100 km/h, ±3 % above. */
export interface Tolerance {
  /** Absolute allowance at and below `thresholdKmh` (default 3). */
  absKmh: number;
  /** Relative allowance above `thresholdKmh` (default 0.03). */
  relative: number;
  thresholdKmh: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { absKmh: 3, relative: 0.03, thresholdKmh: 100 };

export function toleranceKmh(speedKmh: number, t: Tolerance = DEFAULT_TOLERANCE): number {
  return speedKmh <= t.thresholdKmh ? t.absKmh : t.relative * speedKmh;
}

/**
 * The speed the decision uses: the measured speed less the tolerance, so that a driver is only
 * charged when even the slowest speed consistent with the measurement is over the limit.
 */
export function chargeableSpeedKmh(measuredKmh: number, t: Tolerance = DEFAULT_TOLERANCE): number {
  return measuredKmh - toleranceKmh(measuredKmh, t);
}

export function isViolation(measuredKmh: number, limitKmh: number, marginKmh: number, t: Tolerance = DEFAULT_TOLERANCE): boolean {
  return chargeableSpeedKmh(measuredKmh, t) > limitKmh + marginKmh;
}

export interface PassReading {
  /** Line-of-sight speed, km/h. */
  los: number;
  magnitude: number | null;
  /** Monotonic ms. */
  at: number;
}

export interface AnalysisOptions {
  mountingAngleDeg: number;
  /** Readings a cluster needs to count as a vehicle (default 3). */
  minReadings: number;
  /** Speeds closer than max(gapKmh, gapRelative·v) belong to one cluster. */
  clusterGapKmh: number;
  clusterGapRelative: number;
  /** Median magnitude that makes a short pass a vehicle rather than noise (null: sensor has no magnitude). */
  vehicleMinMagnitude: number;
}

export const DEFAULT_ANALYSIS: Omit<AnalysisOptions, 'mountingAngleDeg'> = {
  minReadings: 3,
  clusterGapKmh: 2.5,
  clusterGapRelative: 0.03,
  vehicleMinMagnitude: 300,
};

export type MeasurementQuality = 'ok' | 'multiple-targets' | 'few-readings';

export interface VehicleMeasurement {
  /** Corrected speed over ground, km/h. */
  speedKmh: number;
  /** Median line-of-sight speed, km/h. */
  losKmh: number;
  direction: RadarDirection;
  /** Monotonic time of the middle reading of the vehicle's cluster. */
  at: number;
  firstAt: number;
  lastAt: number;
  readings: number;
  magnitude: number | null;
  quality: MeasurementQuality;
}

export interface PassResult {
  vehicles: VehicleMeasurement[];
  /** Readings in clusters too small to be a vehicle (misreads, stray echoes). */
  outliers: number;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  const m = n >> 1;
  return n % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function medianOf(values: number[]): number {
  return median([...values].sort((a, b) => a - b));
}

/** Analyses one pass. `readings` are in arrival order. */
export function analysePass(readings: readonly PassReading[], direction: RadarDirection, o: AnalysisOptions): PassResult {
  const cosTheta = Math.cos((o.mountingAngleDeg * Math.PI) / 180);
  const bySpeed = [...readings].sort((a, b) => a.los - b.los);
  const clusters: PassReading[][] = [];
  let cur: PassReading[] = [];
  for (const r of bySpeed) {
    const prev = cur[cur.length - 1];
    if (prev && r.los - prev.los > Math.max(o.clusterGapKmh, o.clusterGapRelative * prev.los)) {
      clusters.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) clusters.push(cur);
  const big = clusters.filter((c) => c.length >= o.minReadings);
  const toVehicle = (c: PassReading[], quality: MeasurementQuality): VehicleMeasurement => {
    const los = median(c.map((r) => r.los));
    const times = c.map((r) => r.at).sort((a, b) => a - b);
    const mags = c.map((r) => r.magnitude).filter((m): m is number => m !== null);
    return {
      speedKmh: los / cosTheta,
      losKmh: los,
      direction,
      at: times[(times.length - 1) >> 1],
      firstAt: times[0],
      lastAt: times[times.length - 1],
      readings: c.length,
      magnitude: mags.length ? medianOf(mags) : null,
      quality,
    };
  };
  if (big.length === 1) {
    return { vehicles: [toVehicle(big[0], 'ok')], outliers: readings.length - big[0].length };
  }
  if (big.length > 1) {
    const vehicles = big.map((c) => toVehicle(c, 'multiple-targets')).sort((a, b) => a.at - b.at);
    return { vehicles, outliers: readings.length - big.reduce((n, c) => n + c.length, 0) };
  }
  // No cluster is big enough: a vehicle seen too briefly, or noise (weak stray echoes).
  const mags = readings.map((r) => r.magnitude).filter((m): m is number => m !== null);
  const strong = mags.length === 0 || medianOf(mags) >= o.vehicleMinMagnitude;
  if (!strong || readings.length === 0) return { vehicles: [], outliers: readings.length };
  const largest = clusters.reduce((a, b) => (b.length > a.length ? b : a));
  return { vehicles: [toVehicle(largest, 'few-readings')], outliers: readings.length - largest.length };
}
