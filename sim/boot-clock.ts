/**
 * The clock of one power-on of a simulated device. Monotonic time starts at 0 at boot, as on a
 * real board; the wall time is whatever the firmware sets from its RTC. When power is lost the
 * boot clock is killed: every timer the dead firmware instance left behind is cancelled and new
 * ones are never run, exactly as a process that lost power runs nothing more.
 */
import { ClockBase, assertPeriod, clampDelay, type TimerHandle } from '../hal/clock.ts';
import { ClockScheduler } from '../hal/clock-scheduler.ts';
import type { VirtualClock } from './virtual-clock.ts';

const DEAD: TimerHandle = { cancel() {}, active: false };

export class BootClock extends ClockBase {
  readonly scheduler = new ClockScheduler(this);
  private readonly timers = new Set<TimerHandle>();
  private alive = true;

  /**
   * @param base the world's virtual clock
   * @param bootAt its monotonic time at power-on
   * @param wallAtBoot device wall time at power-on (what the system clock holds before the RTC is read)
   */
  constructor(
    private readonly base: VirtualClock,
    readonly bootAt: number,
    wallAtBoot: number,
  ) {
    super(wallAtBoot, 0);
  }

  get isAlive(): boolean {
    return this.alive;
  }

  monotonic(): number {
    return this.base.monotonic() - this.bootAt;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (!this.alive) return DEAD;
    const timers = this.timers;
    const h = this.base.setTimeout(() => {
      timers.delete(h);
      callback();
    }, clampDelay(delayMs));
    timers.add(h);
    return {
      cancel() {
        h.cancel();
        timers.delete(h);
      },
      get active() {
        return h.active;
      },
    };
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    assertPeriod(periodMs);
    if (!this.alive) return DEAD;
    const h = this.base.setInterval(callback, periodMs);
    this.timers.add(h);
    const timers = this.timers;
    return {
      cancel() {
        h.cancel();
        timers.delete(h);
      },
      get active() {
        return h.active;
      },
    };
  }

  /** Power is gone: nothing scheduled by this boot runs any more. */
  kill(): void {
    this.alive = false;
    for (const h of this.timers) h.cancel();
    this.timers.clear();
  }

  /** Timers of this boot still pending (for tests). */
  get pending(): number {
    return this.timers.size;
  }
}
