/**
 * Contact debounce on the injected clock: a level is reported only after it has been stable for
 * `ms`, and only when it differs from the last reported level. Bounce shorter than `ms` (a
 * mechanical button typically bounces 1–10 ms) never produces an edge.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { Level } from './gpio.ts';

export class Debouncer {
  private reported: Level;
  private pending: TimerHandle | null = null;
  private candidate: Level;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    initial: Level,
    private readonly emit: (value: Level, at: number) => void,
  ) {
    this.reported = initial;
    this.candidate = initial;
  }

  /** Feed a raw level sample/edge as it happens. */
  input(value: Level): void {
    if (this.ms <= 0) {
      if (value !== this.reported) {
        this.reported = value;
        this.emit(value, this.clock.monotonic());
      }
      return;
    }
    if (value === this.candidate && this.pending) return;
    this.candidate = value;
    this.pending?.cancel();
    this.pending = null;
    if (value === this.reported) return;
    this.pending = this.clock.setTimeout(() => {
      this.pending = null;
      this.reported = value;
      this.emit(value, this.clock.monotonic());
    }, this.ms);
  }

  get level(): Level {
    return this.reported;
  }

  dispose(): void {
    this.pending?.cancel();
    this.pending = null;
  }
}
