/**
 * Air temperature and humidity around the device, and the device's own (housing, lens, battery)
 * temperature. After a change of environment the air near the device approaches the new climate
 * first-order (τ_air, about a minute: the pocket of air carried in with the wearer), the humidity
 * sensor follows the air with its own small lag (τ_sensor), and the housing warms or cools much
 * more slowly (τ_device, tens of minutes) — which is what makes a lens fog when it comes in from
 * the cold (R-REC-3). Temperature and water-vapour pressure are lagged, RH is derived from them,
 * so the numbers stay physically consistent (RH may briefly peak when cold air warms).
 *
 * Each step is solved in closed form from the state at the start of its segment, computed once
 * when the segment is first reached; every query is O(1) and deterministic for the seed.
 */
import { SmoothNoise, subSeed } from './noise.ts';
import type { Timeline, TimelineEntry } from './timeline.ts';
import type { Conditions } from './conditions.ts';

// ---- Magnus formulas (Sensirion dew-point note; research §5) ---------------------------------

export const MAGNUS_WATER = { b: 17.62, c: 243.12 } as const;
export const MAGNUS_ICE = { b: 22.46, c: 272.62 } as const;
export type MagnusSurface = 'water' | 'ice';

function magnus(surface: MagnusSurface): { b: number; c: number } {
  return surface === 'ice' ? MAGNUS_ICE : MAGNUS_WATER;
}

/** Saturation water-vapour pressure (hPa) over water (default) or ice at `celsius`. */
export function saturationVaporPressure(celsius: number, surface: MagnusSurface = 'water'): number {
  const { b, c } = magnus(surface);
  return 6.112 * Math.exp((b * celsius) / (c + celsius));
}

/**
 * Dew point (frost point below 0 °C unless `surface` says otherwise) of air at `celsius` and
 * `humidity` % RH: γ = ln(RH/100) + b·T/(c + T), Td = c·γ/(b − γ).
 * Examples: 20 °C/50 % → 9.3 °C; 25 °C/60 % → 16.7 °C; −10 °C/80 % → −12.5 °C (over ice).
 */
export function dewPoint(celsius: number, humidity: number, surface: MagnusSurface = celsius < 0 ? 'ice' : 'water'): number {
  if (!(humidity > 0)) return -Infinity;
  const { b, c } = magnus(surface);
  const gamma = Math.log(Math.min(humidity, 100) / 100) + (b * celsius) / (c + celsius);
  return (c * gamma) / (b - gamma);
}

/** Relative humidity (%, over water, as hygrometers report it) of vapour pressure `e` hPa at `celsius`. */
export function relativeHumidity(vaporPressure: number, celsius: number): number {
  return Math.min(100, Math.max(0, (100 * vaporPressure) / saturationVaporPressure(celsius)));
}

// ---- Lagged climate --------------------------------------------------------------------------

export interface ClimateReading {
  celsius: number;
  /** Relative humidity, 0–100 %. */
  humidity: number;
}

export interface ClimateModelOptions {
  conditions: Timeline<Conditions>;
  seed: number;
  /** Air around the device settling after a change of place (ms); default 60 s. */
  airTimeConstantMs?: number;
  /** Humidity/temperature sensor response (ms); default 8 s (SHT3x RH τ63 %). */
  sensorTimeConstantMs?: number;
  /** Housing, lens and battery warming or cooling (ms); default 20 min. */
  deviceTimeConstantMs?: number;
}

interface Target {
  celsius: number;
  vapor: number;
  wanderC: number;
  wanderRh: number;
}

/** State at the start of a segment: air, sensor and device stages. */
interface Segment {
  entry: TimelineEntry<Conditions>;
  target: Target;
  airT: number;
  airE: number;
  sensorT: number;
  sensorE: number;
  deviceT: number;
}

export class ClimateModel {
  private readonly conditions: Timeline<Conditions>;
  private readonly tauAir: number;
  private readonly tauSensor: number;
  private readonly tauDevice: number;
  private readonly segments: Segment[] = [];
  private readonly wanderT: SmoothNoise;
  private readonly wanderRh: SmoothNoise;

  constructor(options: ClimateModelOptions) {
    this.conditions = options.conditions;
    this.tauAir = positive(options.airTimeConstantMs ?? 60_000, 'airTimeConstantMs');
    this.tauSensor = positive(options.sensorTimeConstantMs ?? 8_000, 'sensorTimeConstantMs');
    this.tauDevice = positive(options.deviceTimeConstantMs ?? 20 * 60_000, 'deviceTimeConstantMs');
    this.wanderT = new SmoothNoise(subSeed(options.seed, 'climate-t'), 15 * 60_000);
    this.wanderRh = new SmoothNoise(subSeed(options.seed, 'climate-rh'), 20 * 60_000);
  }

  /** The air around the device at `t`. */
  air(t: number): ClimateReading {
    const { seg, dt } = this.segmentAt(t);
    const T = relax(seg.target.celsius, seg.airT, dt, this.tauAir);
    const e = relax(seg.target.vapor, seg.airE, dt, this.tauAir);
    return this.withWander(t, seg.target, T, e);
  }

  /** What a humidity/temperature sensor exposed to that air indicates at `t` (air plus sensor lag). */
  sensed(t: number): ClimateReading {
    const { seg, dt } = this.segmentAt(t);
    const T = secondStage(seg.target.celsius, seg.airT, seg.sensorT, this.tauAir, this.tauSensor, dt);
    const e = secondStage(seg.target.vapor, seg.airE, seg.sensorE, this.tauAir, this.tauSensor, dt);
    return this.withWander(t, seg.target, T, e);
  }

  /** Temperature of the device's housing, lens and battery packs (°C) at `t`. */
  deviceTemperature(t: number): number {
    const { seg, dt } = this.segmentAt(t);
    return secondStage(seg.target.celsius, seg.airT, seg.deviceT, this.tauAir, this.tauDevice, dt) + seg.target.wanderC * this.wanderT.at(t) * 0.3;
  }

  /** Dew point of the air around the device (°C). */
  dewPoint(t: number): number {
    const a = this.air(t);
    return dewPoint(a.celsius, a.humidity);
  }

  /**
   * Ground truth for R-REC-3 tests: water condenses on the lens when the housing is at or below
   * the dew point of the surrounding air.
   */
  condensing(t: number): boolean {
    return this.deviceTemperature(t) <= this.dewPoint(t);
  }

  private withWander(t: number, target: Target, T: number, e: number): ClimateReading {
    const celsius = T + target.wanderC * this.wanderT.at(t);
    const rh = relativeHumidity(e, T) + target.wanderRh * this.wanderRh.at(t);
    return { celsius, humidity: Math.min(100, Math.max(0, rh)) };
  }

  private segmentAt(t: number): { seg: Segment; dt: number } {
    const i = this.conditions.indexAt(t);
    this.ensure(i);
    const seg = this.segments[i];
    return { seg, dt: Math.max(0, t - seg.entry.at) };
  }

  /** Computes segment states up to index `i` (each once; the last one again if it was replaced). */
  private ensure(i: number): void {
    let from = this.segments.length;
    // The timeline may replace its last entry (a second change at the same instant).
    for (let k = Math.min(from, i + 1) - 1; k >= 0 && this.segments[k].entry !== this.conditions.entry(k); k--) from = k;
    for (let k = from; k <= i; k++) {
      const entry = this.conditions.entry(k);
      const target = targetOf(entry.value);
      if (k === 0) {
        this.segments[0] = { entry, target, airT: target.celsius, airE: target.vapor, sensorT: target.celsius, sensorE: target.vapor, deviceT: target.celsius };
        continue;
      }
      const p = this.segments[k - 1];
      const dt = entry.at - p.entry.at;
      this.segments[k] = {
        entry,
        target,
        airT: relax(p.target.celsius, p.airT, dt, this.tauAir),
        airE: relax(p.target.vapor, p.airE, dt, this.tauAir),
        sensorT: secondStage(p.target.celsius, p.airT, p.sensorT, this.tauAir, this.tauSensor, dt),
        sensorE: secondStage(p.target.vapor, p.airE, p.sensorE, this.tauAir, this.tauSensor, dt),
        deviceT: secondStage(p.target.celsius, p.airT, p.deviceT, this.tauAir, this.tauDevice, dt),
      };
    }
  }
}

function targetOf(c: Conditions): Target {
  const celsius = c.environment.temperatureC ?? c.weather.temperatureC;
  const humidity = c.environment.humidity ?? c.weather.humidity;
  return {
    celsius,
    vapor: (humidity / 100) * saturationVaporPressure(celsius),
    wanderC: c.environment.temperatureWanderC,
    wanderRh: c.environment.humidityWander,
  };
}

/** First-order approach from x0 towards u after dt. */
function relax(u: number, x0: number, dt: number, tau: number): number {
  return u + (x0 - u) * Math.exp(-dt / tau);
}

/**
 * Second stage x2 (time constant τ2) driven by a first stage x1 (τ1) that relaxes towards u:
 * e1 = E1·e^(−t/τ1), e2 = A·e^(−t/τ1) + (E2 − A)·e^(−t/τ2) with A = E1·τ1/(τ1 − τ2).
 */
export function secondStage(u: number, x1: number, x2: number, tau1: number, tau2: number, dt: number): number {
  const E1 = x1 - u;
  const E2 = x2 - u;
  if (Math.abs(tau1 - tau2) < 1e-9 * tau1) {
    return u + (E2 + (E1 * dt) / tau1) * Math.exp(-dt / tau1);
  }
  const A = (E1 * tau1) / (tau1 - tau2);
  return u + A * Math.exp(-dt / tau1) + (E2 - A) * Math.exp(-dt / tau2);
}

function positive(v: number, what: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${what} must be > 0, got ${v}`);
  return v;
}
