/**
 * Periodic sensor reads as an rxjs stream on the injected clock's scheduler. A read that is still
 * running when the next tick comes is not doubled up (exhaustMap). Consecutive failures beyond
 * the configured count raise a device fault; the first good read clears it (R-PWR-3). A failed
 * sensor never stops anything else: its consumers simply get no new readings.
 */
import { Subject, catchError, exhaustMap, from, map, of, timer, type Observable, type Subscription } from 'rxjs';
import type { Clock } from '../../hal/clock.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import { errorMessage } from './errors.ts';

export interface SensorPollerOptions<T> {
  /** Device name used in fault reports ("light sensor", "battery A"). */
  name: string;
  clock: Clock;
  periodMs: number;
  read: () => Promise<T>;
  faults: FaultReporter;
  failuresBeforeFault: number;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export class SensorPoller<T> {
  private readonly subject = new Subject<T>();
  /** Successful readings. */
  readonly readings$: Observable<T> = this.subject.asObservable();
  private sub: Subscription | null = null;
  private consecutiveFailures = 0;
  /** The most recent good reading. */
  last: T | null = null;

  constructor(private readonly options: SensorPollerOptions<T>) {}

  get name(): string {
    return this.options.name;
  }

  /** Starts polling: one read at once, then every period. Idempotent. */
  start(): void {
    if (this.sub) return;
    const { clock, periodMs, read } = this.options;
    this.sub = timer(0, periodMs, clock.scheduler)
      .pipe(
        exhaustMap(() =>
          from(Promise.resolve().then(read)).pipe(
            map((value): Outcome<T> => ({ ok: true, value })),
            catchError((err: unknown) => of<Outcome<T>>({ ok: false, error: errorMessage(err) })),
          ),
        ),
      )
      .subscribe((o) => this.handle(o));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  private handle(o: Outcome<T>): void {
    const { faults, name, failuresBeforeFault } = this.options;
    if (o.ok) {
      this.consecutiveFailures = 0;
      if (faults.isFaulty(name)) faults.clear(name);
      this.last = o.value;
      this.subject.next(o.value);
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures === failuresBeforeFault) faults.raise(name, o.error);
  }
}
