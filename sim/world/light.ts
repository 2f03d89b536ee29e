/**
 * Illuminance at the device: the clear sky from the sun's altitude, attenuated by drifting
 * clouds, plus street lights after dusk and passing headlights, scaled by how much outdoor light
 * reaches the device (indoors, in a vehicle, in a tunnel), plus artificial light. A pure function
 * of time over the conditions timeline; O(1) per query.
 */
import { SmoothNoise, hashUniform, subSeed } from './noise.ts';
import { clearSkyIlluminance, cloudTransmission, solarPosition, type Location } from './sun.ts';
import type { Timeline } from './timeline.ts';
import type { Conditions } from './conditions.ts';

export interface LightModelOptions {
  location: Location;
  seed: number;
  conditions: Timeline<Conditions>;
  /** Share of light lost under full overcast (Kasten–Czeplak `a`); default 0.85. */
  overcastLoss?: number;
}

/** Sky brightness under which photocell-controlled street lamps are on (lux). */
export const STREET_LIGHTS_ON_BELOW_LUX = 35;

const HEADLIGHT_BUCKET_MS = 20_000;
const SUN_KNOT_MS = 60_000;

export class LightModel {
  readonly location: Location;
  private readonly conditions: Timeline<Conditions>;
  private readonly overcastLoss: number;
  private readonly cloudDrift: SmoothNoise;
  private readonly flicker: SmoothNoise;
  private readonly headlightSeed: number;
  private knot = Number.NaN;
  private knotA = 0;
  private knotB = { k: Number.NaN, e: 0 };

  constructor(options: LightModelOptions) {
    this.location = options.location;
    this.conditions = options.conditions;
    this.overcastLoss = options.overcastLoss ?? 0.85;
    this.cloudDrift = new SmoothNoise(subSeed(options.seed, 'clouds'), 10 * 60_000);
    this.flicker = new SmoothNoise(subSeed(options.seed, 'flicker'), 3_000, 2);
    this.headlightSeed = subSeed(options.seed, 'headlights');
  }

  /**
   * Geometric solar elevation (degrees) at `t`, interpolated between exact positions every
   * minute (the sun moves ≤ 0.25°/min, so the error is far below a microdegree). The knots are
   * fixed in time, so the value depends on `t` only; the cache just saves the trigonometry.
   */
  sunElevation(t: number): number {
    const k = Math.floor(t / SUN_KNOT_MS);
    if (k !== this.knot) {
      this.knot = k;
      this.knotA = k === this.knotB.k ? this.knotB.e : solarPosition(k * SUN_KNOT_MS, this.location).elevation;
      this.knotB = { k: k + 1, e: solarPosition((k + 1) * SUN_KNOT_MS, this.location).elevation };
    }
    const f = t / SUN_KNOT_MS - k;
    return this.knotA + (this.knotB.e - this.knotA) * f;
  }

  /** Effective cloud cover at `t`: the weather's cover with clouds drifting past (0–1). */
  cloudCover(t: number): number {
    const c = this.conditions.at(t).weather.cloudCover;
    // Broken cloud wanders most; clear and overcast skies stay put.
    const wander = 1.4 * c * (1 - c) * this.cloudDrift.at(t);
    return Math.min(1, Math.max(0, c + wander));
  }

  /** Outdoor horizontal illuminance from the sky (sun, sky glow, clouds), lux. */
  skyLux(t: number): number {
    return clearSkyIlluminance(this.sunElevation(t)) * cloudTransmission(this.cloudCover(t), this.overcastLoss);
  }

  /** Illuminance at the device (lux). */
  lux(t: number): number {
    const env = this.conditions.at(t).environment;
    let outdoor = 0;
    if (env.daylightFactor > 0) {
      const sky = this.skyLux(t);
      outdoor = sky;
      if (env.streetLightLux > 0 && sky < STREET_LIGHTS_ON_BELOW_LUX) outdoor += env.streetLightLux;
      if (env.headlightsPerHour > 0 && sky < STREET_LIGHTS_ON_BELOW_LUX) outdoor += this.headlights(t, env.headlightsPerHour);
    }
    const total = outdoor * env.daylightFactor + env.artificialLux;
    // Air turbulence, mains ripple averaged by the sensor, the wearer moving: ±2 %.
    return Math.max(0, total * (1 + 0.02 * this.flicker.at(t)));
  }

  /**
   * Headlights sweeping past: each 20-s slot holds at most one pass (probability from the rate),
   * a triangular pulse 1.5–4 s long peaking at 20–150 lx. Only the current and previous slot can
   * overlap `t`, so this is O(1).
   */
  private headlights(t: number, perHour: number): number {
    const p = Math.min(1, (perHour * HEADLIGHT_BUCKET_MS) / 3_600_000);
    const k = Math.floor(t / HEADLIGHT_BUCKET_MS);
    let lux = 0;
    for (const slot of [k - 1, k]) {
      if (hashUniform(this.headlightSeed, slot * 4) >= p) continue;
      const start = slot * HEADLIGHT_BUCKET_MS + hashUniform(this.headlightSeed, slot * 4 + 1) * HEADLIGHT_BUCKET_MS;
      const duration = 1_500 + 2_500 * hashUniform(this.headlightSeed, slot * 4 + 2);
      const peak = 20 + 130 * hashUniform(this.headlightSeed, slot * 4 + 3);
      const x = (t - start) / duration;
      if (x >= 0 && x <= 1) lux += peak * (1 - Math.abs(2 * x - 1));
    }
    return lux;
  }
}
