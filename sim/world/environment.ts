/**
 * Where the device is and what the weather does: the data a scenario feeds the world. Each
 * environment kind has defaults taken from typical published values; any of them can be
 * overridden per scenario step.
 */

export const ENVIRONMENT_KINDS = ['outdoors', 'indoors', 'tunnel-lit', 'tunnel-dark', 'vehicle'] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

export interface Environment {
  kind: EnvironmentKind;
  /** Artificial light at the device (lux): office lighting, tunnel lamps, dashboard. */
  artificialLux?: number;
  /** Fraction of the outdoor light (sky, street lights, headlights) that reaches the device. */
  daylightFactor?: number;
  /** Street lighting at the device (lux) once it is dark enough for the lamps to switch on; 0 = unlit road. */
  streetLightLux?: number;
  /** Passing headlights per hour at night (short spikes of tens of lux). */
  headlightsPerHour?: number;
  /** Air temperature (°C); outdoors and in tunnels it defaults to the weather. */
  temperatureC?: number;
  /** Relative humidity (%); outdoors and in tunnels it defaults to the weather. */
  humidity?: number;
}

export interface Weather {
  /** 0 = clear sky … 1 = overcast. */
  cloudCover: number;
  /** Outdoor air temperature (°C). */
  temperatureC: number;
  /** Outdoor relative humidity (%). */
  humidity: number;
}

export interface ResolvedEnvironment {
  kind: EnvironmentKind;
  artificialLux: number;
  daylightFactor: number;
  streetLightLux: number;
  headlightsPerHour: number;
  /** Air temperature and humidity, or null to follow the weather. */
  temperatureC: number | null;
  humidity: number | null;
  /** Amplitude of the slow temperature (°C) and humidity (%RH) wander. */
  temperatureWanderC: number;
  humidityWander: number;
}

/**
 * Defaults per kind. Office 300–500 lx (EN 12464-1 asks 500 lx at desks; corridors less), lit
 * road tunnel interior ≈ 50–150 lx, a car cabin passes ≈ 30 % of the daylight (glass and roof),
 * a dark tunnel or unlit room ≈ 0.05 lx.
 */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<EnvironmentKind, ResolvedEnvironment>> = {
  outdoors: {
    kind: 'outdoors', artificialLux: 0, daylightFactor: 1, streetLightLux: 0, headlightsPerHour: 0,
    temperatureC: null, humidity: null, temperatureWanderC: 0.5, humidityWander: 2,
  },
  indoors: {
    kind: 'indoors', artificialLux: 400, daylightFactor: 0.005, streetLightLux: 0, headlightsPerHour: 0,
    temperatureC: 22, humidity: 45, temperatureWanderC: 0.2, humidityWander: 1,
  },
  'tunnel-lit': {
    kind: 'tunnel-lit', artificialLux: 100, daylightFactor: 0, streetLightLux: 0, headlightsPerHour: 0,
    temperatureC: null, humidity: null, temperatureWanderC: 0.3, humidityWander: 1.5,
  },
  'tunnel-dark': {
    kind: 'tunnel-dark', artificialLux: 0.05, daylightFactor: 0, streetLightLux: 0, headlightsPerHour: 0,
    temperatureC: null, humidity: null, temperatureWanderC: 0.3, humidityWander: 1.5,
  },
  vehicle: {
    kind: 'vehicle', artificialLux: 0.5, daylightFactor: 0.3, streetLightLux: 0, headlightsPerHour: 0,
    temperatureC: 20, humidity: 40, temperatureWanderC: 0.3, humidityWander: 1.5,
  },
};

export const DEFAULT_WEATHER: Weather = { cloudCover: 0.3, temperatureC: 15, humidity: 60 };

export function resolveEnvironment(env: Environment): ResolvedEnvironment {
  const d = ENVIRONMENT_DEFAULTS[env.kind];
  return {
    ...d,
    artificialLux: env.artificialLux ?? d.artificialLux,
    daylightFactor: env.daylightFactor ?? d.daylightFactor,
    streetLightLux: env.streetLightLux ?? d.streetLightLux,
    headlightsPerHour: env.headlightsPerHour ?? d.headlightsPerHour,
    temperatureC: env.temperatureC ?? d.temperatureC,
    humidity: env.humidity ?? d.humidity,
  };
}

/** Validates scenario data; throws a RangeError naming the bad field. */
export function validateEnvironment(env: Environment): void {
  if (env === null || typeof env !== 'object') throw new RangeError('environment must be an object');
  if (!(ENVIRONMENT_KINDS as readonly string[]).includes(env.kind)) {
    throw new RangeError(`environment.kind must be one of ${ENVIRONMENT_KINDS.join(', ')}, got ${JSON.stringify(env.kind)}`);
  }
  nonNegative(env.artificialLux, 'environment.artificialLux');
  nonNegative(env.streetLightLux, 'environment.streetLightLux');
  nonNegative(env.headlightsPerHour, 'environment.headlightsPerHour');
  inRange(env.daylightFactor, 'environment.daylightFactor', 0, 1);
  inRange(env.temperatureC, 'environment.temperatureC', -60, 70);
  inRange(env.humidity, 'environment.humidity', 0, 100);
}

export function validateWeather(w: Weather): void {
  if (w === null || typeof w !== 'object') throw new RangeError('weather must be an object');
  inRange(w.cloudCover, 'weather.cloudCover', 0, 1, true);
  inRange(w.temperatureC, 'weather.temperatureC', -60, 70, true);
  inRange(w.humidity, 'weather.humidity', 0, 100, true);
}

function nonNegative(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${what} must be a number ≥ 0, got ${JSON.stringify(v)}`);
}

function inRange(v: number | undefined, what: string, lo: number, hi: number, required = false): void {
  if (v === undefined && !required) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new RangeError(`${what} must be a number in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
}
