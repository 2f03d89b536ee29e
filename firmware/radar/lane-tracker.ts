/**
 * Groups one lane sensor's readings into passes (a pass ends after `gapMs` without a reading)
 * and hands each finished pass to `analysePass`. One timer per pass, re-armed lazily, so the
 * cost is per reading, not per millisecond.
 */
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { RadarDirection, RadarReading } from '../../hal/radar.ts';
import { analysePass, type AnalysisOptions, type PassReading, type PassResult } from './measurement.ts';

export interface LaneTrackerOptions {
  clock: Clock;
  lane: number;
  direction: RadarDirection;
  analysis: AnalysisOptions;
  /** Silence that ends a pass (ms). */
  gapMs: number;
  /** Longest pass before it is cut (a vehicle stopped in the beam), ms. */
  maxPassMs: number;
  onPass(lane: number, result: PassResult): void;
}

export class LaneTracker {
  private readings: PassReading[] = [];
  private lastAt = 0;
  private timer: TimerHandle | null = null;
  /** Readings of the wrong direction for this lane (sensor filter not applied). */
  wrongDirection = 0;
  passes = 0;

  constructor(private readonly o: LaneTrackerOptions) {}

  push(r: RadarReading): void {
    if (r.direction !== this.o.direction) {
      this.wrongDirection += 1;
      return;
    }
    if (this.readings.length > 0 && r.at - this.readings[0].at > this.o.maxPassMs) this.close();
    this.readings.push({ los: r.speedKmh, magnitude: r.magnitude, at: r.at });
    this.lastAt = r.at;
    if (!this.timer) this.arm(this.o.gapMs);
  }

  /** Closes the open pass now (shutdown, end of shift). */
  flush(): void {
    this.close();
  }

  private arm(delay: number): void {
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      const quiet = this.o.clock.monotonic() - this.lastAt;
      // Sub-millisecond remainders (fractional clocks) would re-arm at the same instant forever.
      if (quiet >= this.o.gapMs - 1) this.close();
      else this.arm(this.o.gapMs - quiet);
    }, delay);
  }

  private close(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.readings.length === 0) return;
    const pass = this.readings;
    this.readings = [];
    this.passes += 1;
    this.o.onPass(this.o.lane, analysePass(pass, this.o.direction, this.o.analysis));
  }
}
