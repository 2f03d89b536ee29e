import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NIGHT_SKY_LUX, clearSkyIlluminance, cloudTransmission, solarPosition } from './sun.ts';

// NREL SPA (Reda & Andreas, NREL/TP-560-34302) worked example: Golden, Colorado,
// 2003-10-17 12:30:30 local (UTC−7). Geometric (unrefracted) elevation 39.872046° (pvlib's
// expected value; apparent zenith 50.111622°), azimuth 194.340241°, sunrise 06:12:43 local.
const GOLDEN = { latitude: 39.742476, longitude: -105.1786 };

describe('solar position (NOAA algorithm)', () => {
  it('matches the NREL SPA reference example within 0.01°', () => {
    const p = solarPosition(Date.UTC(2003, 9, 17, 19, 30, 30), GOLDEN);
    expect(p.elevation).toBeCloseTo(39.872046, 2);
    expect(Math.abs(p.elevation - 39.872046)).toBeLessThan(0.01);
    expect(Math.abs(p.azimuth - 194.340241)).toBeLessThan(0.01);
    // Refraction lifts it by ≈0.02° at 40° (SPA: 50.127954 − 50.111622 = 0.0163° at 820 mbar).
    expect(p.apparentElevation - p.elevation).toBeGreaterThan(0.01);
    expect(p.apparentElevation - p.elevation).toBeLessThan(0.03);
  });

  it('puts the sun on the horizon (−0.833°: refraction + half disc) at the SPA sunrise time', () => {
    const p = solarPosition(Date.UTC(2003, 9, 17, 13, 12, 43), GOLDEN);
    expect(Math.abs(p.elevation + 0.8333)).toBeLessThan(0.01);
    expect(p.azimuth).toBeGreaterThan(90);
    expect(p.azimuth).toBeLessThan(115); // east-south-east in October
  });

  it('matches a published southern-hemisphere solstice value (zenith 17.5658° at 41° S, 0° E, 2012-12-22 12:00 UTC)', () => {
    const p = solarPosition(Date.UTC(2012, 11, 22, 12, 0, 0), { latitude: -41, longitude: 0 });
    expect(Math.abs(90 - p.apparentElevation - 17.5658)).toBeLessThan(0.02);
    expect(Math.abs(p.azimuth - 359.08592)).toBeLessThan(0.05);
  });

  it('is below the horizon at local midnight and highest near local noon (Astana, winter)', () => {
    const astana = { latitude: 51.1694, longitude: 71.4491 };
    // UTC+5: local noon ≈ 07:15 UTC on 15 January.
    const noon = solarPosition(Date.UTC(2026, 0, 15, 7, 15), astana).elevation;
    const midnight = solarPosition(Date.UTC(2026, 0, 14, 19, 15), astana).elevation;
    expect(noon).toBeGreaterThan(15);
    expect(noon).toBeLessThan(19); // 90 − 51.2 − 21.2 ≈ 17.6°
    expect(midnight).toBeLessThan(-50);
  });
});

describe('clear-sky illuminance vs solar altitude', () => {
  it('follows the published anchors: full sun, sunrise, civil and nautical twilight, night', () => {
    expect(clearSkyIlluminance(90)).toBeGreaterThan(100_000);
    expect(clearSkyIlluminance(90)).toBeLessThan(135_000);
    expect(clearSkyIlluminance(-0.833)).toBeGreaterThan(400);
    expect(clearSkyIlluminance(-0.833)).toBeLessThan(700);
    expect(clearSkyIlluminance(-6)).toBeGreaterThan(2);
    expect(clearSkyIlluminance(-6)).toBeLessThan(5);
    expect(clearSkyIlluminance(-12)).toBeGreaterThan(0.005);
    expect(clearSkyIlluminance(-12)).toBeLessThan(0.02);
    expect(clearSkyIlluminance(-30)).toBe(NIGHT_SKY_LUX);
  });

  it('rises monotonically with the sun and is continuous across the fit bands', () => {
    fc.assert(
      fc.property(fc.double({ min: -25, max: 89.9, noNaN: true }), (h) => {
        expect(clearSkyIlluminance(h + 0.1)).toBeGreaterThanOrEqual(clearSkyIlluminance(h));
      }),
    );
    for (const edge of [-18, -12, -5, -0.8, 5, 20]) {
      const below = clearSkyIlluminance(edge - 1e-6);
      const above = clearSkyIlluminance(edge);
      expect(Math.abs(above - below) / above).toBeLessThan(0.05);
    }
  });

  it('clouds: clear sky passes everything, overcast passes 15 %', () => {
    expect(cloudTransmission(0)).toBe(1);
    expect(cloudTransmission(1)).toBeCloseTo(0.15, 10);
    expect(cloudTransmission(0.5)).toBeGreaterThan(0.9);
  });
});
