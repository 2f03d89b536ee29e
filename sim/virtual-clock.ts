/**
 * Discrete-event virtual clock. Time does not flow: `advance`/`run` jump straight to the next
 * due event, so an 8-hour shift costs only the work done in it. Events due at the same instant
 * run in the order they were scheduled. Between instants `run` lets pending promise chains
 * settle, so async firmware code (awaiting HAL reads) sees a consistent, deterministic world.
 */
import { ClockBase, assertPeriod, clampDelay, type TimerHandle } from '../hal/clock.ts';
import { ClockScheduler } from '../hal/clock-scheduler.ts';

/** A scheduled event; it is its own handle, so scheduling allocates one object. */
class Entry implements TimerHandle {
  cancelled = false;
  fired = false;

  constructor(
    public due: number,
    public seq: number,
    readonly callback: () => void,
    /** > 0 for intervals */
    readonly period: number,
    private readonly owner: VirtualClock,
  ) {}

  cancel(): void {
    if (this.cancelled || (this.fired && this.period === 0)) return;
    this.cancelled = true;
    this.owner.noteCancelled();
  }

  get active(): boolean {
    return !this.cancelled && !(this.fired && this.period === 0);
  }
}

export interface VirtualClockOptions {
  /** True UTC time (ms since epoch) at monotonic 0: the world models' "now". */
  startEpochMs: number;
  /** Initial device wall time; defaults to the true time (a perfectly set clock). */
  deviceWallMs?: number;
}

export class VirtualClock extends ClockBase {
  readonly scheduler = new ClockScheduler(this);
  readonly startEpochMs: number;
  private now = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private cancelledInHeap = 0;
  private stopRequested = false;
  /** Total callbacks run so far (timer and interval firings). */
  eventsRun = 0;

  constructor(options: VirtualClockOptions) {
    super(options.deviceWallMs ?? options.startEpochMs, 0);
    if (!Number.isFinite(options.startEpochMs)) throw new RangeError('startEpochMs must be a finite number');
    this.startEpochMs = options.startEpochMs;
  }

  monotonic(): number {
    return this.now;
  }

  /** The true UTC time of the simulated world (not what the device believes). */
  trueTime(): number {
    return this.startEpochMs + this.now;
  }

  /** Number of timers that have not fired or been cancelled. */
  get pending(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** Monotonic time of the next live event, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.due;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.push(this.now + clampDelay(delayMs), callback, 0);
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    assertPeriod(periodMs);
    return this.push(this.now + periodMs, callback, periodMs);
  }

  /** @internal called by an entry when it is cancelled while still in the queue. */
  noteCancelled(): void {
    this.cancelledInHeap += 1;
    if (this.cancelledInHeap > 64 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  /** Makes a running `run()` return after the current instant. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs every event due up to `now + ms` synchronously, then sets the time to that point.
   * Promise continuations run only after this returns; use `run` for async code.
   */
  advance(ms: number): void {
    const target = this.now + clampDelay(ms);
    for (;;) {
      const e = this.popDue(target);
      if (!e) break;
      this.fire(e);
    }
    this.now = target;
  }

  /**
   * Runs until monotonic time `untilMs` (or `stop()`), letting promise chains settle after each
   * instant. Returns the monotonic time reached.
   */
  async runUntil(untilMs: number): Promise<number> {
    this.stopRequested = false;
    await settle();
    for (;;) {
      const e = this.popDue(untilMs);
      if (!e) break;
      this.fire(e);
      // Run everything else due at this instant before letting async work settle once.
      for (;;) {
        const top = this.peekLive();
        if (!top || top.due !== this.now) break;
        this.fire(this.popTop());
      }
      await settle();
      if (this.stopRequested) return this.now;
    }
    if (untilMs > this.now) this.now = untilMs;
    await settle();
    return this.now;
  }

  runFor(ms: number): Promise<number> {
    return this.runUntil(this.now + clampDelay(ms));
  }

  private fire(e: Entry): void {
    this.now = e.due;
    this.eventsRun += 1;
    if (e.period > 0) {
      // Re-arm before the callback so the callback may cancel its own interval.
      e.due += e.period;
      e.seq = this.seq++;
      this.siftUpPush(e);
    } else {
      e.fired = true;
    }
    e.callback();
  }

  private push(due: number, callback: () => void, period: number): Entry {
    const e = new Entry(due, this.seq++, callback, period, this);
    this.siftUpPush(e);
    return e;
  }

  private peekLive(): Entry | undefined {
    this.dropCancelledTop();
    return this.heap[0];
  }

  private popDue(limit: number): Entry | undefined {
    const top = this.peekLive();
    if (!top || top.due > limit) return undefined;
    return this.popTop();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) {
      this.popTop();
      this.cancelledInHeap -= 1;
    }
  }

  private compact(): void {
    this.heap = this.heap.filter((e) => !e.cancelled);
    this.cancelledInHeap = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  // Binary min-heap on (due, seq).
  private siftUpPush(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  private popTop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r], h[l]) ? r : l;
      if (!less(h[c], e)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = e;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** One macrotask hop: every queued promise continuation (at any depth) runs before it resolves. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
