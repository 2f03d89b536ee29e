/**
 * Store-and-forward to the processing centre (R-RAD-1, R-OFF-3): a sender that drains the
 * persistent `Outbox` over an `UplinkChannel`, oldest first, and removes items only when the
 * centre acknowledged them. A failure (link down, timeout, refused) backs off exponentially with
 * jitter on the injected clock and tries again; nothing is lost and, because the centre
 * deduplicates on the item id, nothing is recorded twice.
 *
 * `UplinkChannel` is the only thing that knows about wires. The interim implementation is
 * `uplink-interim.ts` (length-prefixed msgpack over a ByteLink); the dock protocol's framing and
 * messages replace it without touching this file.
 */
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { Random } from '../../hal/random.ts';
import type { Outbox, OutboxItem } from './outbox.ts';

export interface UplinkChannel {
  /**
   * Delivers items to the centre and resolves with the ids it acknowledged (stored now, or
   * already stored earlier). Rejects when the items may not have arrived (no link, timeout).
   */
  deliver(items: readonly OutboxItem[]): Promise<string[]>;
  close(): Promise<void>;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** ± fraction of random spread, so many radars do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 2_000, maxMs: 120_000, factor: 2, jitter: 0.2 };

export interface UplinkSenderOptions {
  outbox: Outbox;
  channel: UplinkChannel;
  clock: Clock;
  random: Random;
  backoff?: Partial<BackoffOptions>;
  /** Items per delivery (default 20). */
  batchItems?: number;
  /** Payload bytes per delivery after the first item (default 4 MiB). */
  batchBytes?: number;
}

export interface UplinkStats {
  deliveries: number;
  failures: number;
  itemsAcked: number;
  /** Current retry delay (0 while healthy). */
  backoffMs: number;
  lastError: string | null;
}

export class UplinkSender {
  private readonly backoff: BackoffOptions;
  private running: Promise<void> | null = null;
  private retryTimer: TimerHandle | null = null;
  private delay = 0;
  private stopped = false;
  readonly stats: UplinkStats = { deliveries: 0, failures: 0, itemsAcked: 0, backoffMs: 0, lastError: null };

  constructor(private readonly o: UplinkSenderOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  }

  /** Something was queued (or the link came back): send now unless waiting out a backoff. */
  kick(): void {
    if (this.stopped || this.running || this.retryTimer) return;
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Skips a pending backoff wait (e.g. the modem reports the link is up again). */
  retryNow(): void {
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.kick();
  }

  /** Resolves when the queue is empty or a failure scheduled a retry. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    await this.idle();
  }

  private async drain(): Promise<void> {
    const { outbox, channel } = this.o;
    while (!this.stopped && outbox.pending > 0) {
      let items: OutboxItem[];
      try {
        items = await outbox.peek(this.o.batchItems ?? 20, this.o.batchBytes ?? 4 * 1024 * 1024);
        if (items.length === 0) return;
        const acked = await channel.deliver(items);
        this.stats.deliveries += 1;
        const n = await outbox.ack(acked);
        this.stats.itemsAcked += n;
        if (n === 0) throw new Error('centre acknowledged none of the items');
        this.delay = 0;
        this.stats.backoffMs = 0;
      } catch (err) {
        this.stats.failures += 1;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const b = this.backoff;
    this.delay = this.delay === 0 ? b.initialMs : Math.min(b.maxMs, this.delay * b.factor);
    const spread = 1 + b.jitter * (2 * this.o.random.next() - 1);
    const wait = Math.round(this.delay * spread);
    this.stats.backoffMs = wait;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, wait);
  }
}
