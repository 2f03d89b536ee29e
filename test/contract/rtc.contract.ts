/** The RealTimeClock contract (R-TIME-1): keeps time, knows when it cannot be trusted. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../hal/clock.ts';
import type { RealTimeClock } from '../../hal/rtc.ts';
import { DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError } from '../../hal/errors.ts';

export interface RtcSpec {
  /** Finest step of the time it reports (ms); 1000 for a DS3231. */
  resolutionMs: number;
  /** Rated frequency error (ppm). */
  driftPpm: number;
  /** Times `set()` must refuse (outside the part's calendar). */
  outOfRange: number[];
}

export interface RtcFixture {
  rtc: RealTimeClock;
  clock: Clock;
  spec: RtcSpec;
  /** True UTC time of the simulated world. */
  trueTime(): number;
  /** The oscillator stops (time freezes, the part flags it) / starts again. */
  stopOscillator(): void;
  startOscillator(): void;
  run<T>(work: Promise<T>): Promise<T>;
  advance(ms: number): Promise<void>;
  unplug(): void;
  plug(): void;
  cleanup?(): Promise<void>;
}

export function describeRtcContract(implementation: string, make: () => Promise<RtcFixture> | RtcFixture): void {
  describe(`RealTimeClock contract: ${implementation}`, () => {
    let fx: RtcFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.rtc.close();
      await fx.cleanup?.();
    });

    it('R-TIME-1: after set(), reads the time set (to its resolution) and a trusted clock', async () => {
      await fx.run(fx.rtc.set(fx.trueTime()));
      const r = await fx.run(fx.rtc.read());
      expect(r.oscillatorStopped).toBe(false);
      expect(Math.abs(r.time - fx.trueTime())).toBeLessThanOrEqual(fx.spec.resolutionMs);
    });

    it('R-TIME-1: sets any time in its calendar, including a date in the next century', async () => {
      for (const t of [Date.UTC(2031, 1, 28, 23, 59, 59, 250), Date.UTC(2099, 11, 31, 23, 59, 58), Date.UTC(2124, 1, 29, 12, 0, 0)]) {
        await fx.run(fx.rtc.set(t));
        const r = await fx.run(fx.rtc.read());
        // set() may wait for the next whole second; the clock ran on meanwhile.
        expect(r.time).toBeGreaterThanOrEqual(t - fx.spec.resolutionMs);
        expect(r.time).toBeLessThanOrEqual(t + 2 * fx.spec.resolutionMs);
      }
    });

    it('keeps time while simulated time passes, within its rated drift', async () => {
      await fx.run(fx.rtc.set(fx.trueTime()));
      let elapsed = 0;
      for (const hours of [1, 24, 24 * 7]) {
        await fx.advance(hours * 3_600_000 - elapsed);
        elapsed = hours * 3_600_000;
        const r = await fx.run(fx.rtc.read());
        const allowed = fx.spec.resolutionMs + (elapsed * fx.spec.driftPpm) / 1e6;
        expect(Math.abs(r.time - fx.trueTime())).toBeLessThanOrEqual(allowed);
      }
    });

    it('R-TIME-1: an oscillator stop makes the time untrusted until it is set again', async () => {
      await fx.run(fx.rtc.set(fx.trueTime()));
      fx.stopOscillator();
      await fx.advance(60_000);
      fx.startOscillator();
      const stopped = await fx.run(fx.rtc.read());
      expect(stopped.oscillatorStopped).toBe(true);
      expect(fx.trueTime() - stopped.time).toBeGreaterThanOrEqual(59_000); // it lost the minute
      await fx.advance(10_000);
      expect((await fx.run(fx.rtc.read())).oscillatorStopped).toBe(true); // stays set
      await fx.run(fx.rtc.set(fx.trueTime()));
      const fixed = await fx.run(fx.rtc.read());
      expect(fixed.oscillatorStopped).toBe(false);
      expect(Math.abs(fixed.time - fx.trueTime())).toBeLessThanOrEqual(fx.spec.resolutionMs);
    });

    it('refuses times it cannot hold with InvalidOptionsError, and keeps its time', async () => {
      await fx.run(fx.rtc.set(fx.trueTime()));
      for (const bad of [Number.NaN, Infinity, ...fx.spec.outOfRange]) {
        await expect(fx.run(fx.rtc.set(bad))).rejects.toBeInstanceOf(InvalidOptionsError);
      }
      const r = await fx.run(fx.rtc.read());
      expect(Math.abs(r.time - fx.trueTime())).toBeLessThanOrEqual(fx.spec.resolutionMs);
    });

    it('an unplugged RTC rejects with DeviceNotRespondingError, and reads again once plugged back', async () => {
      fx.unplug();
      await expect(fx.run(fx.rtc.read())).rejects.toBeInstanceOf(DeviceNotRespondingError);
      await expect(fx.run(fx.rtc.set(fx.trueTime()))).rejects.toBeInstanceOf(DeviceNotRespondingError);
      fx.plug();
      await fx.run(fx.rtc.read());
    });

    it('close() is idempotent and calls after it reject with DeviceClosedError', async () => {
      await fx.rtc.close();
      await fx.rtc.close();
      await expect(fx.rtc.read()).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.rtc.set(fx.trueTime())).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
