import { describe, expect, it } from 'vitest';
import { AMBIENT_PRESETS, SimMicrophone, ambientLevel } from './microphone.ts';
import { VirtualClock } from './virtual-clock.ts';
import { InvalidOptionsError } from '../hal/errors.ts';

/** Levels every 100 ms over `minutes`. */
const trace = (preset: keyof typeof AMBIENT_PRESETS, seed: number, minutes: number) =>
  Array.from({ length: minutes * 600 }, (_, i) => ambientLevel(AMBIENT_PRESETS[preset], seed, i * 100));
const fraction = (xs: number[], pred: (x: number) => boolean) => xs.filter(pred).length / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('simulated microphone', () => {
  it('a quiet room sits at its floor; speech rises well above it in bursts', () => {
    const quiet = trace('quiet', 1, 10);
    expect(median(quiet)).toBeGreaterThan(-88);
    expect(median(quiet)).toBeLessThan(-82);
    const talk = trace('speech', 1, 10);
    const loud = fraction(talk, (x) => x > AMBIENT_PRESETS.speech.floorDbfs + 10);
    // 8 bursts a minute of 0.5–5 s each: a good part of the time, not all of it.
    expect(loud).toBeGreaterThan(0.15);
    expect(loud).toBeLessThan(0.7);
  });

  it('traffic: vehicles pass with peaks near their level, rising and falling over seconds', () => {
    const street = trace('traffic', 2, 10);
    expect(Math.max(...street)).toBeGreaterThan(-46);
    expect(median(street)).toBeGreaterThan(-60);
    // Smooth pass-bys: consecutive 100 ms samples rarely jump by more than a few dB.
    const jumps = street.slice(1).map((x, i) => Math.abs(x - street[i]));
    expect(fraction(jumps, (j) => j > 6)).toBeLessThan(0.05);
  });

  it('the level at an instant depends only on seed and time, not on how often it is read', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const often = new SimMicrophone({ clock, seed: 3, ambient: 'crowd' });
    const rarely = new SimMicrophone({ clock, seed: 3, ambient: 'crowd' });
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 7; j++) await often.level();
      a.push((await often.level()).dbfs);
      b.push((await rarely.level()).dbfs);
      clock.advance(1500);
    }
    expect(a).toEqual(b);
    const other = new SimMicrophone({ clock, seed: 4, ambient: 'crowd' });
    expect((await other.level()).dbfs).not.toBe((await often.level()).dbfs);
  });

  it('validates the ambient the world sets', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const mic = new SimMicrophone({ clock });
    expect(() => mic.setAmbient('stadium' as never)).toThrow(InvalidOptionsError);
    expect(() => mic.setAmbient({ ...AMBIENT_PRESETS.quiet, floorDbfs: 3 })).toThrow(InvalidOptionsError);
    expect(() => mic.setAmbient({ ...AMBIENT_PRESETS.quiet, speechPerMinute: -1 })).toThrow(InvalidOptionsError);
    mic.setAmbient({ ...AMBIENT_PRESETS.traffic, vehiclesPerMinute: 30 });
    expect(mic.ambient.vehiclesPerMinute).toBe(30);
  });
});
