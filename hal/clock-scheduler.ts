/**
 * An rxjs `SchedulerLike` driven by a `Clock`, so rxjs time operators (debounceTime, interval,
 * timeout, bufferTime…) run on the injected clock: real time on a board, virtual time in the
 * simulator.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { TimerHandle } from './clock.ts';

/** The part of a clock the scheduler needs; avoids a cycle with `Clock.scheduler`. */
export interface SchedulerClock {
  monotonic(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}

class ClockAction<T> extends Subscription implements SchedulerAction<T> {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: SchedulerClock,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => this.timer?.cancel());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    // rxjs re-schedules the same action for recurring work; only one pending run at a time.
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      try {
        this.work.call(this, state);
      } catch (err) {
        this.unsubscribe();
        throw err;
      }
    }, delay);
    return this;
  }
}

export class ClockScheduler implements SchedulerLike {
  constructor(private readonly clock: SchedulerClock) {}

  now(): number {
    return this.clock.monotonic();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new ClockAction<T>(this.clock, work).schedule(state, delay);
  }
}
