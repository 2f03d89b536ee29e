/**
 * The clock contract: every timer, timeout, period and timestamp in the firmware goes through
 * a `Clock`, so the same code runs on a real board (Node timers) and in the simulator (a
 * discrete-event virtual clock that jumps to the next due event).
 */
import type { SchedulerLike } from 'rxjs';

/** A scheduled callback; `cancel()` is safe to call more than once and after it fired. */
export interface TimerHandle {
  cancel(): void;
  /** True until the timer fired (one-shot) or was cancelled. */
  readonly active: boolean;
}

export interface Clock {
  /** Milliseconds since the board booted. Never goes backwards, never jumps when the wall time is set. */
  monotonic(): number;
  /**
   * Device wall time in milliseconds since the Unix epoch: what the device believes the time is
   * (loaded from the RTC at boot, corrected by authorised time sets). It may be wrong; the clock
   * guard decides whether it can be trusted.
   */
  wallTime(): number;
  /** Sets the device wall time (after an authorised time set or a dock time sync). */
  setWallTime(epochMs: number): void;
  /** Runs `callback` once after `delayMs` (clamped to ≥ 0) of monotonic time. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Runs `callback` every `periodMs` (> 0) without drift: the n-th run is due at start + n·period. */
  setInterval(callback: () => void, periodMs: number): TimerHandle;
  /** Resolves after `delayMs` of monotonic time. */
  sleep(delayMs: number): Promise<void>;
  /** An rxjs scheduler on this clock's monotonic time, for time-based operators. */
  readonly scheduler: SchedulerLike;
}

/** Base for clocks: wall time as an offset on monotonic time, plus `sleep` built on `setTimeout`. */
export abstract class ClockBase implements Clock {
  private wallOffset: number;

  protected constructor(initialWallMs: number, initialMonotonic: number) {
    this.wallOffset = initialWallMs - initialMonotonic;
  }

  abstract monotonic(): number;
  abstract setTimeout(callback: () => void, delayMs: number): TimerHandle;
  abstract setInterval(callback: () => void, periodMs: number): TimerHandle;
  abstract readonly scheduler: SchedulerLike;

  wallTime(): number {
    return this.monotonic() + this.wallOffset;
  }

  setWallTime(epochMs: number): void {
    if (!Number.isFinite(epochMs)) throw new RangeError(`wall time must be a finite number, got ${epochMs}`);
    this.wallOffset = epochMs - this.monotonic();
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimeout(resolve, delayMs);
    });
  }
}

export function assertPeriod(periodMs: number): void {
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
    throw new RangeError(`interval period must be a positive finite number of ms, got ${periodMs}`);
  }
}

export function clampDelay(delayMs: number): number {
  return Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
}
