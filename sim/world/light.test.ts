import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SmoothNoise, hashUniform } from './noise.ts';
import { ConditionsTimeline } from './conditions.ts';
import { LightModel, STREET_LIGHTS_ON_BELOW_LUX } from './light.ts';
import { DEFAULT_WEATHER, type Environment } from './environment.ts';
import { Timeline } from './timeline.ts';

const ASTANA = { latitude: 51.1694, longitude: 71.4491 };
const DAY = Date.UTC(2026, 5, 21, 0, 0); // midsummer, UTC (local = UTC+5)
const h = (hours: number) => DAY + hours * 3_600_000;

function model(env: Environment = { kind: 'outdoors' }, seed = 1, cloudCover = 0) {
  const conditions = new ConditionsTimeline(DAY, env, { ...DEFAULT_WEATHER, cloudCover });
  return { conditions, light: new LightModel({ location: ASTANA, seed, conditions }) };
}

describe('seeded noise', () => {
  it('is a pure function of seed and time, whatever the query order', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.double({ min: 0, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 20 }), (seed, times) => {
        const a = new SmoothNoise(seed, 60_000);
        const b = new SmoothNoise(seed, 60_000);
        const forwards = times.map((t) => a.at(t));
        const backwards = [...times].reverse().map((t) => b.at(t)).reverse();
        expect(backwards).toEqual(forwards);
        for (const v of forwards) {
          expect(v).toBeGreaterThanOrEqual(-1);
          expect(v).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('differs between seeds and varies slowly (no jumps between nearby instants)', () => {
    const a = new SmoothNoise(1, 600_000);
    const b = new SmoothNoise(2, 600_000);
    let same = 0;
    for (let i = 0; i < 100; i++) if (a.at(i * 1e6) === b.at(i * 1e6)) same++;
    expect(same).toBeLessThan(5);
    for (let t = 0; t < 3.6e6; t += 1000) expect(Math.abs(a.at(t + 1000) - a.at(t))).toBeLessThan(0.05);
    expect(hashUniform(5, 2 ** 40)).not.toBe(hashUniform(5, 2 ** 40 + 1));
  });
});

describe('timeline', () => {
  it('is append-only and answers lookups backwards and forwards', () => {
    const t = new Timeline(0, 'a');
    t.set(10, 'b');
    t.set(20, 'c');
    t.set(20, 'c2'); // same instant replaces
    expect([t.at(-5), t.at(0), t.at(9), t.at(10), t.at(25), t.at(15), t.at(0)]).toEqual(['a', 'a', 'a', 'b', 'c2', 'b', 'a']);
    expect(() => t.set(19, 'late')).toThrow(RangeError);
  });
});

describe('light at the device', () => {
  it('R-REC-5: is daylight at local noon and dark at local midnight outdoors (clear sky)', () => {
    const { light } = model();
    expect(light.lux(h(7))).toBeGreaterThan(60_000); // ≈13:00 local, sun ≈ 60°
    expect(light.lux(h(19))).toBeLessThan(0.01); // local midnight
  });

  it('R-REC-5: passes smoothly through dusk, crossing the 2 lx day/night threshold once', () => {
    const { light } = model();
    // Sunset in Astana at midsummer ≈ 21:20 local (16:20 UTC); civil dusk ≈ 22:10 local.
    let crossings = 0;
    let prev = light.lux(h(15));
    for (let t = h(15); t < h(18.5); t += 10_000) {
      const v = light.lux(t);
      if ((prev >= 2) !== (v >= 2)) crossings++;
      prev = v;
    }
    expect(crossings).toBe(1);
  });

  it('indoors is lit by the office lamps at night and a little daylight by day', () => {
    const { light } = model({ kind: 'indoors' });
    expect(light.lux(h(19))).toBeGreaterThan(380);
    expect(light.lux(h(19))).toBeLessThan(420);
    expect(light.lux(h(7))).toBeGreaterThan(light.lux(h(19)));
  });

  it('a dark tunnel is dark at noon, a lit tunnel is ≈100 lx, a vehicle cabin passes ≈30 % daylight', () => {
    const dark = model({ kind: 'tunnel-dark' }).light.lux(h(7));
    const lit = model({ kind: 'tunnel-lit' }).light.lux(h(7));
    const out = model({ kind: 'outdoors' }, 9).light.lux(h(7));
    const cab = model({ kind: 'vehicle' }, 9).light.lux(h(7));
    expect(dark).toBeLessThan(0.1);
    expect(lit).toBeGreaterThan(95);
    expect(lit).toBeLessThan(105);
    expect(cab / out).toBeGreaterThan(0.28);
    expect(cab / out).toBeLessThan(0.32);
  });

  it('street lights come on after dusk and keep a lit street in day mode', () => {
    const { light } = model({ kind: 'outdoors', streetLightLux: 20 });
    expect(light.lux(h(19))).toBeGreaterThan(18); // midnight on a lit street
    expect(light.skyLux(h(19))).toBeLessThan(STREET_LIGHTS_ON_BELOW_LUX);
  });

  it('passing headlights make short spikes at night, reproducible for a seed', () => {
    const a = model({ kind: 'outdoors', headlightsPerHour: 60 }, 5).light;
    const b = model({ kind: 'outdoors', headlightsPerHour: 60 }, 5).light;
    let spikes = 0;
    let lit = false;
    for (let t = h(19); t < h(20); t += 250) {
      const v = a.lux(t);
      expect(v).toBe(b.lux(t));
      if (!lit && v > 5) spikes++;
      lit = v > 5;
    }
    expect(spikes).toBeGreaterThan(30);
    expect(spikes).toBeLessThan(90);
  });

  it('clouds dim the day; overcast leaves ≈15 %', () => {
    const clear = model({ kind: 'outdoors' }, 3, 0).light.lux(h(7));
    const overcast = model({ kind: 'outdoors' }, 3, 1).light.lux(h(7));
    expect(overcast / clear).toBeGreaterThan(0.13);
    expect(overcast / clear).toBeLessThan(0.17);
  });

  it('switches environment at the time the scenario says', () => {
    const { conditions, light } = model();
    conditions.setEnvironment(h(7), { kind: 'tunnel-dark' });
    expect(light.lux(h(7) - 1)).toBeGreaterThan(10_000);
    expect(light.lux(h(7))).toBeLessThan(0.1);
  });

  it('rejects bad scenario data with a message naming the field', () => {
    const { conditions } = model();
    expect(() => conditions.setEnvironment(h(1), { kind: 'cave' as 'outdoors' })).toThrow(/environment.kind/);
    expect(() => conditions.setWeather(h(1), { cloudCover: 2 })).toThrow(/weather.cloudCover/);
    expect(() => conditions.setEnvironment(h(1), { kind: 'indoors', humidity: 120 })).toThrow(/environment.humidity/);
  });

  it('takes a scenario as data: steps relative to the start, in order', async () => {
    const { SimWorld } = await import('./index.ts');
    const { VirtualClock } = await import('../virtual-clock.ts');
    const clock = new VirtualClock({ startEpochMs: h(7) });
    const world = new SimWorld({
      clock,
      steps: [
        { atMs: 60_000, environment: { kind: 'tunnel-dark' } },
        { atMs: 120_000, environment: { kind: 'outdoors' }, weather: { cloudCover: 1 } },
      ],
    });
    expect(world.lux(h(7) + 30_000)).toBeGreaterThan(10_000);
    expect(world.lux(h(7) + 90_000)).toBeLessThan(0.1);
    expect(world.conditions.at(h(7) + 150_000).weather.cloudCover).toBe(1);
    expect(() => new SimWorld({ clock, steps: [{ atMs: 10 }, { atMs: 5 }] })).toThrow(RangeError);
  });
});
