/**
 * The sun and the clear sky: solar position from UTC and place (NOAA's algorithm after Meeus,
 * "Astronomical Algorithms"; ≈0.01° for 1950–2050), and horizontal illuminance from sun and sky
 * as a function of solar altitude (the piecewise cubic fit in log10(lux) of the Explanatory
 * Supplement to the Astronomical Almanac, as tabulated in Vallado, "Fundamentals of
 * Astrodynamics", Table 5-1). Pure functions; O(1) per call.
 */

const DEG = Math.PI / 180;

export interface Location {
  /** Degrees, north positive. */
  latitude: number;
  /** Degrees, east positive. */
  longitude: number;
}

export interface SolarPosition {
  /** Geometric elevation of the sun's centre above the horizon (degrees). */
  elevation: number;
  /** Elevation corrected for standard atmospheric refraction (degrees). */
  apparentElevation: number;
  /** Degrees clockwise from north. */
  azimuth: number;
}

/** Position of the sun seen from `location` at `epochMs` (UTC). */
export function solarPosition(epochMs: number, location: Location): SolarPosition {
  const jd = epochMs / 86_400_000 + 2440587.5;
  const T = (jd - 2451545) / 36525; // Julian centuries since J2000.0
  const L0 = mod360(280.46646 + T * (36000.76983 + T * 0.0003032));
  const M = 357.52911 + T * (35999.05029 - 0.0001537 * T);
  const e = 0.016708634 - T * (0.000042037 + 0.0000001267 * T);
  const Mr = M * DEG;
  const C = Math.sin(Mr) * (1.914602 - T * (0.004817 + 0.000014 * T)) + Math.sin(2 * Mr) * (0.019993 - 0.000101 * T) + Math.sin(3 * Mr) * 0.000289;
  const trueLong = L0 + C;
  const omega = (125.04 - 1934.136 * T) * DEG;
  const lambda = (trueLong - 0.00569 - 0.00478 * Math.sin(omega)) * DEG;
  const eps0 = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60;
  const eps = (eps0 + 0.00256 * Math.cos(omega)) * DEG;
  const decl = Math.asin(Math.sin(eps) * Math.sin(lambda));

  const y = Math.tan(eps / 2) ** 2;
  const L0r = L0 * DEG;
  const eqTimeMin =
    (4 / DEG) *
    (y * Math.sin(2 * L0r) -
      2 * e * Math.sin(Mr) +
      4 * e * y * Math.sin(Mr) * Math.cos(2 * L0r) -
      0.5 * y * y * Math.sin(4 * L0r) -
      1.25 * e * e * Math.sin(2 * Mr));

  const minutesOfDay = (((epochMs % 86_400_000) + 86_400_000) % 86_400_000) / 60_000;
  const trueSolarTime = minutesOfDay + eqTimeMin + 4 * location.longitude;
  let hourAngle = trueSolarTime / 4 - 180;
  if (hourAngle < -180) hourAngle += 360;
  if (hourAngle > 180) hourAngle -= 360;

  const lat = location.latitude * DEG;
  const ha = hourAngle * DEG;
  const cosZenith = clamp(Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(ha), -1, 1);
  const zenith = Math.acos(cosZenith);
  const elevation = 90 - zenith / DEG;

  // Azimuth from the zenith angle (NOAA spreadsheet form), clockwise from north.
  const sinZ = Math.sin(zenith);
  let azimuth: number;
  if (Math.abs(sinZ) < 1e-9) {
    azimuth = lat > 0 ? 180 : 0;
  } else {
    const cosAz = clamp((Math.sin(lat) * cosZenith - Math.sin(decl)) / (Math.cos(lat) * sinZ), -1, 1);
    const a = Math.acos(cosAz) / DEG;
    azimuth = hourAngle > 0 ? mod360(a + 180) : mod360(540 - a);
  }

  return { elevation, apparentElevation: elevation + refractionDegrees(elevation), azimuth };
}

/** Standard atmospheric refraction at a geometric elevation (NOAA's piecewise approximation). */
export function refractionDegrees(elevation: number): number {
  if (elevation > 85) return 0;
  const te = Math.tan(elevation * DEG);
  let arcsec: number;
  if (elevation > 5) arcsec = 58.1 / te - 0.07 / te ** 3 + 0.000086 / te ** 5;
  else if (elevation > -0.575) arcsec = 1735 + elevation * (-518.2 + elevation * (103.4 + elevation * (-12.79 + elevation * 0.711)));
  else arcsec = -20.774 / te;
  return arcsec / 3600;
}

/**
 * log10(lux) = l0 + l1·x + l2·x² + l3·x³ with x = altitude/90, per altitude band (lower bound
 * inclusive). Sun and sky together on a horizontal surface under a clear sky.
 */
const SUN_BANDS: ReadonlyArray<readonly [minAltitude: number, l0: number, l1: number, l2: number, l3: number]> = [
  [20, 3.74, 3.97, -4.07, 1.47],
  [5, 3.05, 13.28, -45.98, 64.33],
  [-0.8, 2.88, 22.26, -207.64, 1034.3],
  [-5, 2.88, 21.81, -258.11, -858.36],
  [-12, 2.7, 12.17, -431.69, -1899.83],
  [-18, 13.84, 262.72, 1447.42, 2797.93],
];

/** Moonless clear night: starlight and airglow (≈0.001 lx). */
export const NIGHT_SKY_LUX = 0.001;

/**
 * Horizontal illuminance (lux) from sun and sky under a clear, moonless sky at a geometric solar
 * altitude: ≈128 klx at the zenith, ≈460 lx at sunrise, ≈3.4 lx at −6° (end of civil twilight),
 * ≈0.008 lx at −12°, then the night-sky floor.
 */
export function clearSkyIlluminance(elevation: number): number {
  let sun = 0;
  if (elevation >= -18) {
    const x = (elevation > 90 ? 90 : elevation) / 90;
    for (let i = 0; i < SUN_BANDS.length; i++) {
      const b = SUN_BANDS[i];
      if (elevation >= b[0]) {
        sun = Math.pow(10, b[1] + x * (b[2] + x * (b[3] + x * b[4])));
        break;
      }
    }
  }
  // The twilight fit falls below the night-sky level near −17°: keep the brighter of the two.
  return Math.max(sun, NIGHT_SKY_LUX);
}

/**
 * Fraction of clear-sky light that reaches the ground under a cloud cover (0 = clear, 1 =
 * overcast): the Kasten–Czeplak form 1 − a·c^3.4 (for global radiation, used here for light).
 * `overcastLoss` a = 0.85 leaves 15 % under full overcast (a grey day: ~10–20 klx at noon).
 */
export function cloudTransmission(cloudCover: number, overcastLoss = 0.85): number {
  const c = clamp(cloudCover, 0, 1);
  return 1 - overcastLoss * c ** 3.4;
}

function mod360(x: number): number {
  return ((x % 360) + 360) % 360;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
