/**
 * The conditions timeline: where the device is and the weather outside, as one append-only
 * timeline that the light and climate models read. A scenario changes the environment and the
 * weather independently; each change carries the other part forwards.
 */
import { Timeline } from './timeline.ts';
import {
  resolveEnvironment,
  validateEnvironment,
  validateWeather,
  type Environment,
  type ResolvedEnvironment,
  type Weather,
} from './environment.ts';

export interface Conditions {
  environment: ResolvedEnvironment;
  /** The environment as the scenario gave it (for reports). */
  given: Environment;
  weather: Weather;
}

export class ConditionsTimeline extends Timeline<Conditions> {
  constructor(at: number, environment: Environment, weather: Weather) {
    validateEnvironment(environment);
    validateWeather(weather);
    super(at, { environment: resolveEnvironment(environment), given: { ...environment }, weather: { ...weather } });
  }

  /** From `at` on, the device is in `environment` (the weather carries on). */
  setEnvironment(at: number, environment: Environment): void {
    validateEnvironment(environment);
    const prev = this.at(at);
    this.set(at, { environment: resolveEnvironment(environment), given: { ...environment }, weather: prev.weather });
  }

  /** From `at` on, the outdoor weather is `weather` (partial: unspecified fields carry on). */
  setWeather(at: number, weather: Partial<Weather>): void {
    const prev = this.at(at);
    const next = { ...prev.weather, ...weather };
    validateWeather(next);
    this.set(at, { environment: prev.environment, given: prev.given, weather: next });
  }
}
