/**
 * The outbound alert queue (R-PWR-3): alerts for the duty officer are kept on internal storage
 * until a transport (the field uplink, or the dock link when the device is docked) confirms
 * delivery, so a flat battery, a power cut or hours without a link lose nothing. Messages go out
 * in the order they were raised; each carries the device wall time it was raised at (R-OFF-3).
 */
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import type { Random } from '../../hal/random.ts';
import type { Alert } from './alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import { SerialQueue, loadJson, saveJson } from '../common/persisted.ts';
import { errorMessage } from '../common/errors.ts';

/** One message for the duty officer. */
export interface OutboundAlert {
  /** Strictly increasing per device: the receiver can de-duplicate re-deliveries. */
  id: number;
  /** Serial number of the device that raised it. */
  device: string;
  /** An alert raised (or re-raised with new details), or a standing alert cleared. */
  event: 'raised' | 'cleared';
  alert: Alert;
  /** Device wall time when it was queued. */
  queuedAt: number;
}

/**
 * What the dock session or the uplink implements to carry alerts to the duty officer.
 * `deliver` resolves only once the far end has acknowledged the message; a rejection (link
 * down, no answer) keeps it queued and it is retried later, so delivery is at-least-once.
 */
export interface AlertTransport {
  readonly channel: 'uplink' | 'dock';
  deliver(alert: OutboundAlert): Promise<void>;
}

const alertSchema = z.object({
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  message: z.string(),
  at: z.number(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const outboundSchema = z.object({
  id: z.number().int().nonnegative(),
  device: z.string(),
  event: z.enum(['raised', 'cleared']),
  alert: alertSchema,
  queuedAt: z.number(),
});
const fileSchema = z.object({ nextId: z.number().int().nonnegative(), queue: z.array(outboundSchema) });

export const OUTBOUND_QUEUE_PATH = 'alerts/outbound.json';

export interface OutboundQueueOptions {
  clock: Clock;
  storage: Storage;
  journal: ServiceJournal;
  device: string;
  retryMs: number;
  maxQueued: number;
  /** Spreads retries (0.5–1.5 × retryMs) so many devices on one dock do not retry in step. */
  random?: Random;
}

export class OutboundAlertQueue {
  private queue: OutboundAlert[] = [];
  private nextId = 1;
  private readonly transports: AlertTransport[] = [];
  private readonly writes = new SerialQueue();
  private pumping = false;
  private retry: TimerHandle | null = null;
  private stopped = false;
  /** Delivered so far in this boot. */
  delivered = 0;
  /** Writes of the queue file that failed (internal storage trouble). */
  persistFailures = 0;
  lastDeliveryError: string | null = null;

  constructor(private readonly o: OutboundQueueOptions) {}

  /** Restores what was queued before the last power-off. */
  async load(): Promise<string | null> {
    const { value, problem } = await loadJson(this.o.storage, OUTBOUND_QUEUE_PATH, fileSchema, { nextId: 1, queue: [] });
    this.queue = value.queue as OutboundAlert[];
    this.nextId = Math.max(value.nextId, ...this.queue.map((q) => q.id + 1), 1);
    return problem;
  }

  pending(): readonly OutboundAlert[] {
    return this.queue;
  }

  enqueue(event: OutboundAlert['event'], alert: Alert): OutboundAlert {
    const msg: OutboundAlert = { id: this.nextId++, device: this.o.device, event, alert, queuedAt: this.o.clock.wallTime() };
    this.queue.push(msg);
    this.trim();
    this.persist();
    this.pump();
    return msg;
  }

  /** Adds a transport; returns the function that detaches it. */
  attach(transport: AlertTransport): () => void {
    this.transports.push(transport);
    this.pump();
    return () => {
      const i = this.transports.indexOf(transport);
      if (i >= 0) this.transports.splice(i, 1);
    };
  }

  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    this.retry = null;
  }

  /** Resolves when every queue write issued so far has landed. */
  flushed(): Promise<void> {
    return this.writes.idle();
  }

  private trim(): void {
    // Drop the oldest non-critical messages first; critical ones are never dropped.
    while (this.queue.length > this.o.maxQueued) {
      const i = this.queue.findIndex((q) => q.alert.severity !== 'critical');
      if (i < 0) break;
      this.queue.splice(i, 1);
    }
  }

  private persist(): void {
    const snapshot = { nextId: this.nextId, queue: this.queue.slice() };
    void this.writes
      .run(() => saveJson(this.o.storage, OUTBOUND_QUEUE_PATH, snapshot))
      .catch(() => {
        this.persistFailures += 1;
      });
  }

  private pump(): void {
    if (this.pumping || this.stopped || this.retry) return;
    if (this.queue.length === 0 || this.transports.length === 0) return;
    this.pumping = true;
    void this.drain().finally(() => {
      this.pumping = false;
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.queue.length > 0 && this.transports.length > 0) {
      const msg = this.queue[0];
      const transport = await this.tryDeliver(msg);
      if (!transport) {
        this.retry = this.o.clock.setTimeout(() => {
          this.retry = null;
          this.pump();
        }, this.o.retryMs * (this.o.random ? 0.5 + this.o.random.next() : 1));
        return;
      }
      // The message may have been trimmed meanwhile; remove it by id.
      const i = this.queue.findIndex((q) => q.id === msg.id);
      if (i >= 0) this.queue.splice(i, 1);
      this.delivered += 1;
      this.persist();
      this.o.journal.note('alert-sent', { alert: `${msg.event}:${msg.alert.kind}`, queuedAt: msg.queuedAt, channel: transport.channel });
    }
  }

  private async tryDeliver(msg: OutboundAlert): Promise<AlertTransport | null> {
    for (const t of [...this.transports]) {
      try {
        await t.deliver(msg);
        return t;
      } catch (err) {
        this.lastDeliveryError = `${t.channel}: ${errorMessage(err)}`;
      }
    }
    return null;
  }
}
