/**
 * The alert service: implements `AlertSink` for every other service. A raised alert is
 * announced at once on the device's LED, buzzer and vibration motor, repeated while it stands
 * (battery and clock alerts every 20 s, R-PWR-2), and queued for the duty officer (R-PWR-3).
 * Announcements never overlap on an output: they play one after another.
 */
import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { IndicatorOutput, Indicators, Pattern } from '../../hal/indicators.ts';
import type { Storage } from '../../hal/storage.ts';
import type { Random } from '../../hal/random.ts';
import type { Alert, AlertKind, AlertSeverity, AlertSink } from './alert-sink.ts';
import { ANNOUNCEMENTS, type Announcement } from './patterns.ts';
import { OutboundAlertQueue, type AlertTransport, type OutboundAlert } from './outbound-queue.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { RecorderConfig } from '../app/config.ts';

/** One line of the alert history: what was raised or cleared, and when (device wall and monotonic time). */
export interface AlertLogEntry {
  event: 'raised' | 'updated' | 'cleared';
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  wall: number;
  mono: number;
}

/** The history keeps at most this many entries (oldest dropped). */
const LOG_LIMIT = 2000;

export type AlertEvent =
  | { type: 'raised'; alert: Alert }
  | { type: 'updated'; alert: Alert }
  | { type: 'cleared'; kind: AlertKind; at: number }
  | { type: 'announced'; kind: AlertKind; at: number };

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

interface Standing {
  alert: Alert;
  repeat: TimerHandle | null;
  /** The raise went to the duty officer, so the clearing goes too. */
  sentOut: boolean;
}

export interface AlertServiceOptions {
  clock: Clock;
  indicators: Indicators;
  internal: Storage;
  journal: ServiceJournal;
  /** Device serial number, carried by every outbound message. */
  device: string;
  config: RecorderConfig['alerts'];
  random?: Random;
  /** Override announcements (tests, other variants). */
  announcements?: Partial<Record<AlertKind, Announcement>>;
}

export class AlertService implements AlertSink {
  private readonly standing = new Map<AlertKind, Standing>();
  private readonly events = new Subject<AlertEvent>();
  readonly events$: Observable<AlertEvent> = this.events.asObservable();
  readonly outbound: OutboundAlertQueue;
  private readonly announcements: Record<AlertKind, Announcement>;
  /** Kinds waiting to be played, in order; a kind is queued at most once. */
  private readonly playQueue: AlertKind[] = [];
  private playing = false;
  private stopped = false;
  /** Indicator plays that failed (an indicator fault). */
  indicatorFailures = 0;
  private readonly log: AlertLogEntry[] = [];

  constructor(private readonly o: AlertServiceOptions) {
    this.announcements = { ...ANNOUNCEMENTS, ...o.announcements };
    this.outbound = new OutboundAlertQueue({
      clock: o.clock,
      storage: o.internal,
      journal: o.journal,
      device: o.device,
      retryMs: o.config.retryMs,
      maxQueued: o.config.maxQueued,
      random: o.random,
    });
  }

  /** Restores the outbound queue from internal storage. Returns a problem description, if any. */
  load(): Promise<string | null> {
    return this.outbound.load();
  }

  raise(input: Omit<Alert, 'at'>): void {
    if (this.stopped) return;
    const alert: Alert = { ...input, at: this.o.clock.wallTime() };
    const s = this.standing.get(alert.kind);
    const outbound = SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[this.o.config.outboundMinSeverity];
    if (s) {
      const changed = s.alert.message !== alert.message || s.alert.severity !== alert.severity;
      s.alert = { ...alert, at: s.alert.at };
      if (changed) {
        if (outbound) {
          this.outbound.enqueue('raised', alert);
          s.sentOut = true;
        }
        this.record('updated', s.alert);
        this.events.next({ type: 'updated', alert: s.alert });
      }
      return;
    }
    const entry: Standing = { alert, repeat: null, sentOut: outbound };
    this.standing.set(alert.kind, entry);
    if (outbound) this.outbound.enqueue('raised', alert);
    this.record('raised', alert);
    this.events.next({ type: 'raised', alert });
    this.announce(alert.kind);
  }

  clear(kind: AlertKind): void {
    const s = this.standing.get(kind);
    if (!s) return;
    s.repeat?.cancel();
    this.standing.delete(kind);
    const i = this.playQueue.indexOf(kind);
    if (i >= 0) this.playQueue.splice(i, 1);
    if (s.sentOut && !this.stopped) this.outbound.enqueue('cleared', { ...s.alert, at: this.o.clock.wallTime() });
    this.record('cleared', s.alert);
    this.events.next({ type: 'cleared', kind, at: this.o.clock.wallTime() });
  }

  /** Everything raised, updated and cleared since boot, oldest first. */
  history(): readonly AlertLogEntry[] {
    return this.log;
  }

  private record(event: AlertLogEntry['event'], a: Alert): void {
    this.log.push({ event, kind: a.kind, severity: a.severity, message: a.message, wall: this.o.clock.wallTime(), mono: this.o.clock.monotonic() });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  isActive(kind: AlertKind): boolean {
    return this.standing.has(kind);
  }

  /** Standing alerts, most severe first. */
  active(): Alert[] {
    return [...this.standing.values()].map((s) => s.alert).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  }

  attachTransport(transport: AlertTransport): () => void {
    return this.outbound.attach(transport);
  }

  pendingOutbound(): readonly OutboundAlert[] {
    return this.outbound.pending();
  }

  /** Stops repetitions and delivery (power-off). The outbound queue stays on storage. */
  stop(): void {
    this.stopped = true;
    for (const s of this.standing.values()) s.repeat?.cancel();
    this.playQueue.length = 0;
    this.outbound.stop();
  }

  private announce(kind: AlertKind): void {
    if (this.stopped || this.playQueue.includes(kind)) return;
    this.playQueue.push(kind);
    if (!this.playing) void this.playNext();
  }

  private async playNext(): Promise<void> {
    this.playing = true;
    while (!this.stopped && this.playQueue.length > 0) {
      const kind = this.playQueue.shift()!;
      const standing = this.standing.get(kind);
      if (!standing && this.announcements[kind].repeat !== 'once') continue;
      // The rhythm starts with the first play (it may have waited for another announcement).
      if (standing && !standing.repeat) {
        const rep = this.announcements[kind].repeat;
        const period = rep === 'fast' ? this.o.config.repeatMs : rep === 'slow' ? this.o.config.slowRepeatMs : 0;
        if (period > 0) standing.repeat = this.o.clock.setInterval(() => this.announce(kind), period);
      }
      this.events.next({ type: 'announced', kind, at: this.o.clock.wallTime() });
      const outputs = Object.entries(this.announcements[kind].outputs) as Array<[IndicatorOutput, Pattern]>;
      await Promise.all(
        outputs.map(([output, pattern]) =>
          this.o.indicators.play(output, pattern).catch(() => {
            this.indicatorFailures += 1;
          }),
        ),
      );
    }
    this.playing = false;
  }
}
