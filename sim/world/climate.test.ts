import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClimateModel, dewPoint, relativeHumidity, saturationVaporPressure, secondStage } from './climate.ts';
import { ConditionsTimeline } from './conditions.ts';

const T0 = Date.UTC(2026, 0, 15, 8, 0);
const min = (m: number) => T0 + m * 60_000;

function winter() {
  const conditions = new ConditionsTimeline(T0, { kind: 'outdoors' }, { cloudCover: 0.5, temperatureC: -20, humidity: 80 });
  return { conditions, climate: new ClimateModel({ conditions, seed: 3 }) };
}

describe('dew point (Magnus, research §5)', () => {
  it('matches the worked examples: 20 °C/50 % → 9.3 °C, 25 °C/60 % → 16.7 °C, −10 °C/80 % → −12.5 °C (ice)', () => {
    expect(dewPoint(20, 50)).toBeCloseTo(9.3, 1);
    expect(dewPoint(25, 60)).toBeCloseTo(16.7, 1);
    expect(dewPoint(-10, 80)).toBeCloseTo(-12.5, 1);
    expect(dewPoint(-10, 80, 'water')).toBeLessThan(dewPoint(-10, 80, 'ice'));
  });

  it('equals the air temperature at 100 % RH and is below it otherwise', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 50, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }), (t, rh) => {
        const td = dewPoint(t, rh);
        expect(td).toBeLessThanOrEqual(t + 1e-9);
        if (rh === 100) expect(td).toBeCloseTo(t, 9);
      }),
    );
  });

  it('RH from vapour pressure inverts the saturation pressure', () => {
    expect(relativeHumidity(0.5 * saturationVaporPressure(22), 22)).toBeCloseTo(50, 9);
    expect(saturationVaporPressure(0)).toBeCloseTo(6.112, 3);
  });
});

describe('climate around the device', () => {
  it('settles at the environment climate', () => {
    const { climate } = winter();
    const a = climate.air(min(30));
    expect(a.celsius).toBeGreaterThan(-21);
    expect(a.celsius).toBeLessThan(-19);
    expect(Math.abs(a.humidity - 80)).toBeLessThan(3);
    expect(Math.abs(climate.deviceTemperature(min(30)) + 20)).toBeLessThan(1);
  });

  it('R-REC-3: carried from −20 °C outdoors into a 22 °C / 45 % office, the air warms in minutes, the housing over tens of minutes, and the lens fogs until it passes the dew point', () => {
    const { conditions, climate } = winter();
    conditions.setEnvironment(min(60), { kind: 'indoors', temperatureC: 22, humidity: 45 });
    const td = dewPoint(22, 45); // ≈ 9.5 °C
    expect(climate.air(min(60) - 1).celsius).toBeLessThan(-18);
    // Air: τ = 60 s → within 1 °C after 5 min.
    expect(Math.abs(climate.air(min(65)).celsius - 22)).toBeLessThan(1);
    // The sensor lags the air by seconds, not minutes.
    expect(climate.sensed(min(60) + 30_000).celsius).toBeLessThan(climate.air(min(60) + 30_000).celsius);
    expect(Math.abs(climate.sensed(min(66)).celsius - climate.air(min(66)).celsius)).toBeLessThan(0.5);
    // Housing: τ = 20 min → still below the dew point 5 minutes in, so water condenses on it.
    expect(climate.deviceTemperature(min(65))).toBeLessThan(td);
    expect(climate.condensing(min(65))).toBe(true);
    // … and it stops once the housing has warmed past ≈ 9.5 °C: 22 − 42·e^(−t/20 min) = 9.5 → t ≈ 24 min
    // (plus about a minute for the air).
    let clearedAt = -1;
    for (let m = 61; m < 180; m++) if (clearedAt < 0 && !climate.condensing(min(m))) clearedAt = m - 60;
    expect(clearedAt).toBeGreaterThanOrEqual(23);
    expect(clearedAt).toBeLessThanOrEqual(28);
    expect(Math.abs(climate.deviceTemperature(min(180)) - 22)).toBeLessThan(0.5);
  });

  it('takes a chain of changes in its stride, each from the state it interrupts', () => {
    const { conditions, climate } = winter();
    conditions.setEnvironment(min(10), { kind: 'vehicle' });
    conditions.setEnvironment(min(12), { kind: 'outdoors' });
    conditions.setWeather(min(12), { temperatureC: -5 });
    // Two minutes in the warm car barely warms the housing.
    expect(climate.deviceTemperature(min(12))).toBeLessThan(-15);
    const later = climate.deviceTemperature(min(200));
    expect(Math.abs(later + 5)).toBeLessThan(1);
  });

  it('keeps RH within 0–100 % and is deterministic for a seed', () => {
    const a = winter();
    const b = winter();
    a.conditions.setEnvironment(min(5), { kind: 'indoors', humidity: 95, temperatureC: 30 });
    b.conditions.setEnvironment(min(5), { kind: 'indoors', humidity: 95, temperatureC: 30 });
    for (let m = 0; m < 120; m += 0.5) {
      const x = a.climate.sensed(min(m));
      expect(x).toEqual(b.climate.sensed(min(m)));
      expect(x.humidity).toBeGreaterThanOrEqual(0);
      expect(x.humidity).toBeLessThanOrEqual(100);
    }
  });

  it('a second change at the same instant replaces the first', () => {
    const { conditions, climate } = winter();
    conditions.setEnvironment(min(10), { kind: 'indoors' });
    climate.air(min(20)); // computed with the office climate …
    conditions.setEnvironment(min(10), { kind: 'tunnel-dark' }); // … then the scenario corrects it
    expect(climate.air(min(20)).celsius).toBeLessThan(-18);
  });

  it('second-order stage: closed form agrees with a fine Euler integration', () => {
    const u = 10;
    let x1 = -20;
    let x2 = -15;
    const dt = 10;
    for (let t = 0; t < 600_000; t += dt) {
      const d1 = (u - x1) / 60_000;
      const d2 = (x1 - x2) / 1_200_000;
      x1 += d1 * dt;
      x2 += d2 * dt;
    }
    expect(secondStage(u, -20, -15, 60_000, 1_200_000, 600_000)).toBeCloseTo(x2, 2);
    expect(secondStage(u, -20, -15, 60_000, 60_000, 120_000)).toBeCloseTo(secondStage(u, -20, -15, 60_000, 60_000.001, 120_000), 4);
  });
});
