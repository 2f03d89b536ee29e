import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../virtual-clock.ts';
import { RTC_POWER_ON_TIME, RtcOscillator } from './rtc.ts';
import { SimWorld } from './index.ts';

const START = Date.UTC(2026, 0, 15, 6, 0);
const DAY = 86_400_000;

describe('RTC oscillator model', () => {
  it('drifts by ppm × elapsed: +2 ppm gains ≈173 ms a day', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const rtc = new RtcOscillator({ clock, driftPpm: 2 });
    clock.advance(DAY);
    expect(rtc.error()).toBeCloseTo(172.8, 3);
  });

  it('draws its drift from the seed within ±2 ppm, the same for the same seed', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const ppms = Array.from({ length: 50 }, (_, seed) => new RtcOscillator({ clock, seed }).ppm);
    for (const p of ppms) expect(Math.abs(p)).toBeLessThanOrEqual(2);
    expect(new Set(ppms).size).toBeGreaterThan(45);
    expect(new RtcOscillator({ clock, seed: 7 }).ppm).toBe(new RtcOscillator({ clock, seed: 7 }).ppm);
  });

  it('R-TIME-1: a first power-up starts at 2000-01-01 with the oscillator-stop flag set; set() clears it', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const rtc = new RtcOscillator({ clock, firstPowerUp: true, driftPpm: 0 });
    expect(rtc.oscillatorStopFlag).toBe(true);
    clock.advance(5_000);
    expect(rtc.time()).toBe(RTC_POWER_ON_TIME + 5_000);
    rtc.set(clock.trueTime());
    expect(rtc.oscillatorStopFlag).toBe(false);
    expect(rtc.error()).toBe(0);
  });

  it('R-TIME-1: a stopped oscillator freezes the time and sets the flag; writing the time does not clear it', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const rtc = new RtcOscillator({ clock, driftPpm: 0 });
    clock.advance(1_000);
    rtc.stop();
    clock.advance(60_000);
    expect(rtc.time()).toBe(START + 1_000);
    rtc.start();
    clock.advance(1_000);
    expect(rtc.error()).toBe(-60_000);
    expect(rtc.oscillatorStopFlag).toBe(true);
    rtc.writeTime(clock.trueTime());
    expect(rtc.oscillatorStopFlag).toBe(true);
    rtc.clearOscillatorStopFlag();
    expect(rtc.oscillatorStopFlag).toBe(false);
  });

  it('keeps running through a power cut on its backup cell, stops without one', () => {
    for (const backupBattery of [true, false]) {
      const clock = new VirtualClock({ startEpochMs: START });
      const rtc = new RtcOscillator({ clock, driftPpm: 0, backupBattery });
      rtc.powerLost();
      clock.advance(3_600_000);
      rtc.powerRestored();
      expect(rtc.error()).toBe(backupBattery ? 0 : -3_600_000);
      expect(rtc.oscillatorStopFlag).toBe(!backupBattery);
    }
  });

  it('EOSC stops the oscillator on battery; the aging offset slows it by 0.1 ppm per LSB', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const rtc = new RtcOscillator({ clock, driftPpm: 1 });
    rtc.setAgingOffset(10);
    expect(rtc.ppm).toBeCloseTo(0, 12);
    clock.advance(DAY);
    expect(Math.abs(rtc.error())).toBeLessThan(1e-6);
    rtc.setStopOnBattery(true);
    rtc.powerLost();
    expect(rtc.oscillatorRunning).toBe(false);
  });

  it('in the world, a brown-out without a backup cell stops the RTC', () => {
    const clock = new VirtualClock({ startEpochMs: START });
    const world = new SimWorld({ clock, packs: [{ chargePercent: 2 }, null], rtc: { backupBattery: false } });
    world.power.setLoad('device', 435);
    clock.advance(3_600_000);
    expect(world.power.powered()).toBe(false);
    expect(world.rtc.oscillatorStopFlag).toBe(true);
    expect(world.rtc.oscillatorRunning).toBe(false);
  });
});
