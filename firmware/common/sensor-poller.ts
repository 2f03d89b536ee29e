/**
 * Periodic sensor reads on the injected clock, published as an rxjs stream. A read still running
 * when the next tick comes counts as a failure (the part hangs) and is not doubled up.
 * Consecutive failures up to the configured count raise a device fault; the first good read
 * clears it (R-PWR-3). A failed sensor never stops anything else: its consumers simply get no
 * new readings. The period may depend on the last reading (`periodFor`), so a light sensor far
 * from any threshold is read less often: the simulator pays per event, a real board per wake-up.
 */
import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import { errorMessage } from './errors.ts';

export interface SensorPollerOptions<T> {
  /** Device name used in fault reports ("light sensor", "battery A"). */
  name: string;
  clock: Clock;
  periodMs: number;
  /** Period to use after a good reading (default: always `periodMs`). */
  periodFor?: (value: T) => number;
  read: () => Promise<T>;
  faults: FaultReporter;
  failuresBeforeFault: number;
}

export class SensorPoller<T> {
  private readonly subject = new Subject<T>();
  /** Successful readings. */
  readonly readings$: Observable<T> = this.subject.asObservable();
  private timer: TimerHandle | null = null;
  private running = false;
  private busy = false;
  private period: number;
  private consecutiveFailures = 0;
  /** The most recent good reading. */
  last: T | null = null;
  reads = 0;

  constructor(private readonly options: SensorPollerOptions<T>) {
    this.period = options.periodMs;
  }

  get name(): string {
    return this.options.name;
  }

  /** Starts polling: one read at once, then every period. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private tick(): void {
    if (!this.running) return;
    const { clock } = this.options;
    const started = clock.monotonic();
    this.timer = clock.setTimeout(() => this.tick(), alignedDelay(started, this.period));
    if (this.busy) {
      this.failed('no answer within one period');
      return;
    }
    this.busy = true;
    this.reads += 1;
    let p: Promise<T>;
    try {
      p = this.options.read();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (value) => {
        this.busy = false;
        this.succeeded(value, started);
      },
      (err: unknown) => {
        this.busy = false;
        this.failed(errorMessage(err));
      },
    );
  }

  private succeeded(value: T, started: number): void {
    const { faults, name, periodFor } = this.options;
    this.consecutiveFailures = 0;
    if (faults.isFaulty(name)) faults.clear(name);
    this.last = value;
    if (this.running) this.subject.next(value);
    if (periodFor) this.setPeriod(periodFor(value), started);
  }

  /** A shorter period takes effect at once (re-arming from the last tick); a longer one from the next tick. */
  private setPeriod(period: number, lastTick: number): void {
    const shorter = period < this.period;
    this.period = period;
    if (shorter && this.running) {
      this.timer?.cancel();
      this.timer = this.options.clock.setTimeout(() => this.tick(), alignedDelay(lastTick, period) + lastTick - this.options.clock.monotonic());
    }
  }

  private failed(detail: string): void {
    // While failing, poll at the base rate so a recovered part is noticed quickly.
    this.period = this.options.periodMs;
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures === this.options.failuresBeforeFault) this.options.faults.raise(this.options.name, detail);
  }
}

/**
 * Delay from `now` to the next multiple of `period` on the monotonic clock. Periodic work of
 * every service lands on the same instants (a real board wakes up once for all of them; the
 * simulator pays per distinct instant).
 */
export function alignedDelay(now: number, period: number): number {
  const rest = now % period;
  return rest === 0 ? period : period - rest;
}
