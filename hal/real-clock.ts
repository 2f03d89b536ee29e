/** The clock of a real board: Node timers and the process's monotonic time. */
import { performance } from 'node:perf_hooks';
import { ClockBase, assertPeriod, clampDelay, type TimerHandle } from './clock.ts';
import { ClockScheduler } from './clock-scheduler.ts';

export interface RealClockOptions {
  /** Initial device wall time (ms since epoch); defaults to the host's system time. */
  wallTimeMs?: number;
}

export class RealClock extends ClockBase {
  readonly scheduler = new ClockScheduler(this);

  constructor(options: RealClockOptions = {}) {
    super(options.wallTimeMs ?? Date.now(), performance.now());
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    let active = true;
    const t = setTimeout(() => {
      active = false;
      callback();
    }, clampDelay(delayMs));
    return {
      cancel: () => {
        active = false;
        clearTimeout(t);
      },
      get active() {
        return active;
      },
    };
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    assertPeriod(periodMs);
    // Chained timeouts against an absolute schedule: Node's setInterval drifts by the callback time.
    const start = this.monotonic();
    let n = 0;
    let active = true;
    let t: NodeJS.Timeout | undefined;
    const arm = () => {
      n += 1;
      t = setTimeout(() => {
        if (!active) return;
        arm();
        callback();
      }, Math.max(0, start + n * periodMs - this.monotonic()));
    };
    arm();
    return {
      cancel: () => {
        active = false;
        if (t) clearTimeout(t);
      },
      get active() {
        return active;
      },
    };
  }
}
