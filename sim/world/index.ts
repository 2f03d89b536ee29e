/**
 * The simulated world in one place: where and when (sun), where the device is and the weather
 * (conditions timeline → light and climate), the battery packs and power path, and the RTC's
 * oscillator. Everything is a pure, seeded function of the virtual clock's true time, except the
 * power system, which integrates event by event on the same clock.
 */
import type { SlotIndex } from '../../hal/battery.ts';
import { BatteryPack, type BatteryPackOptions } from './battery.ts';
import { ClimateModel, type ClimateModelOptions } from './climate.ts';
import { ConditionsTimeline } from './conditions.ts';
import { DEFAULT_WEATHER, type Environment, type Weather } from './environment.ts';
import { LightModel } from './light.ts';
import { subSeed } from './noise.ts';
import { PowerSystem, type PowerSystemOptions } from './power.ts';
import { RtcOscillator, type RtcOscillatorOptions } from './rtc.ts';
import type { Location } from './sun.ts';
import type { WorldClock } from './world-clock.ts';

export * from './battery.ts';
export * from './climate.ts';
export * from './conditions.ts';
export * from './environment.ts';
export * from './light.ts';
export * from './loads.ts';
export * from './noise.ts';
export * from './power.ts';
export * from './rtc.ts';
export * from './sun.ts';
export * from './timeline.ts';
export type { WorldClock } from './world-clock.ts';

/** Astana, Kazakhstan. */
export const DEFAULT_LOCATION: Location = { latitude: 51.1694, longitude: 71.4491 };

/** One scenario step: from `atMs` after the start, the device is in `environment` and/or the weather changes. */
export interface WorldStep {
  /** Milliseconds after the world's start (≥ 0; steps in time order). */
  atMs: number;
  environment?: Environment;
  weather?: Partial<Weather>;
}

export interface SimWorldOptions {
  /** The virtual clock (its `trueTime()` is the world's "now"). */
  clock: WorldClock;
  /** Seed for every noise source and drawn parameter; default 1. */
  seed?: number;
  location?: Location;
  /** Where the device is at the start; default outdoors. */
  environment?: Environment;
  /** Outdoor weather at the start; default 30 % cloud, 15 °C, 60 %. */
  weather?: Partial<Weather>;
  /** Packs in slots 0 and 1 at the start (null = empty slot); default two full default packs. */
  packs?: readonly [BatteryPackOptions | null, BatteryPackOptions | null];
  power?: Omit<PowerSystemOptions, 'clock' | 'temperature' | 'packs'>;
  rtc?: Omit<RtcOscillatorOptions, 'clock' | 'temperature' | 'seed'>;
  climate?: Omit<ClimateModelOptions, 'conditions' | 'seed'>;
  /** Light lost under full overcast (0–1); default 0.85. */
  overcastLoss?: number;
  /** Scenario steps, in time order (more can be added later with `setEnvironment`/`setWeather`). */
  steps?: readonly WorldStep[];
}

export class SimWorld {
  readonly clock: WorldClock;
  readonly seed: number;
  readonly location: Location;
  readonly conditions: ConditionsTimeline;
  readonly light: LightModel;
  readonly climate: ClimateModel;
  readonly power: PowerSystem;
  readonly rtc: RtcOscillator;

  constructor(options: SimWorldOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    this.location = options.location ?? DEFAULT_LOCATION;
    if (!(Math.abs(this.location.latitude) <= 90 && Math.abs(this.location.longitude) <= 180)) {
      throw new RangeError(`location out of range: ${JSON.stringify(this.location)}`);
    }
    const t0 = this.clock.trueTime();
    this.conditions = new ConditionsTimeline(t0, options.environment ?? { kind: 'outdoors' }, { ...DEFAULT_WEATHER, ...options.weather });
    this.light = new LightModel({ location: this.location, seed: subSeed(this.seed, 'light'), conditions: this.conditions, overcastLoss: options.overcastLoss });
    this.climate = new ClimateModel({ ...options.climate, conditions: this.conditions, seed: subSeed(this.seed, 'climate') });
    const packOptions = options.packs ?? [{ id: 'pack 1' }, { id: 'pack 2' }];
    const packs = packOptions.map((p) => (p ? new BatteryPack(p) : null)) as [BatteryPack | null, BatteryPack | null];
    const deviceTemperature = (t: number) => this.climate.deviceTemperature(t);
    this.power = new PowerSystem({ ...options.power, clock: this.clock, temperature: deviceTemperature, packs });
    this.rtc = new RtcOscillator({ ...options.rtc, clock: this.clock, seed: subSeed(this.seed, 'rtc'), temperature: deviceTemperature });
    // The RTC runs from the device supply while it is powered and from its backup cell otherwise.
    this.power.events$.subscribe((e) => {
      if (e.kind === 'brownout') this.rtc.powerLost();
      else if (e.kind === 'restored') this.rtc.powerRestored();
    });
    if (!this.power.powered()) this.rtc.powerLost();
    let last = 0;
    for (const step of options.steps ?? []) {
      if (!(Number.isFinite(step.atMs) && step.atMs >= last)) throw new RangeError(`world steps must be in time order from 0, got atMs ${step.atMs} after ${last}`);
      last = step.atMs;
      if (step.environment) this.setEnvironment(step.environment, t0 + step.atMs);
      if (step.weather) this.setWeather(step.weather, t0 + step.atMs);
    }
  }

  /** True UTC time now (ms). */
  now(): number {
    return this.clock.trueTime();
  }

  /** From `atMs` (default now; never in the past) the device is in `environment`. */
  setEnvironment(environment: Environment, atMs = this.now()): void {
    this.checkNotPast(atMs);
    this.conditions.setEnvironment(atMs, environment);
    this.afterConditionsChange(atMs);
  }

  /** From `atMs` (default now) the outdoor weather changes (unspecified fields carry on). */
  setWeather(weather: Partial<Weather>, atMs = this.now()): void {
    this.checkNotPast(atMs);
    this.conditions.setWeather(atMs, weather);
    this.afterConditionsChange(atMs);
  }

  /** Illuminance at the device now (lux). */
  lux(t = this.now()): number {
    return this.light.lux(t);
  }

  insertPack(slot: SlotIndex, pack: BatteryPack | BatteryPackOptions): BatteryPack {
    const p = pack instanceof BatteryPack ? pack : new BatteryPack(pack);
    this.power.insert(slot, p);
    return p;
  }

  removePack(slot: SlotIndex): BatteryPack {
    return this.power.remove(slot);
  }

  /** Stops the power system's timer (end of a run). */
  dispose(): void {
    this.power.dispose();
  }

  private checkNotPast(atMs: number): void {
    if (!Number.isFinite(atMs) || atMs < this.now()) {
      throw new RangeError(`cannot change conditions in the past (${atMs} < now ${this.now()})`);
    }
  }

  /** The pack temperature will start to move then: let the power system look again at that moment. */
  private afterConditionsChange(atMs: number): void {
    const delay = atMs - this.now();
    if (delay <= 0) this.power.refresh();
    else this.clock.setTimeout(() => this.power.refresh(), delay);
  }
}
