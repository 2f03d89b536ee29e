/**
 * Free space on the evidence card in hours of recording at the current bitrate (R-REC-7). The
 * rate is measured from what the recorders actually wrote (smoothed); before anything was
 * written it is the configured encoder bitrate times the number of cameras. Below the threshold
 * (default 1 h) the device warns and the duty centre is told through the alert queue.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { EvidenceVolume } from '../card/evidence-volume.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import type { RecorderConfig } from '../app/config.ts';
import { alignedDelay } from '../common/sensor-poller.ts';

export interface SpaceStatus {
  freeBytes: number | null;
  /** Hours of recording the free space holds at `bytesPerSecond`. */
  freeHours: number | null;
  bytesPerSecond: number;
  measured: boolean;
  level: 'ok' | 'low' | 'full';
}

export interface SpaceMonitorOptions {
  clock: Clock;
  evidence: EvidenceVolume;
  /** Total bytes written so far by every recorder (monotonically increasing within a run). */
  bytesWritten: () => number;
  /** Whether the recorders are running (the rate is measured only then). */
  recording: () => boolean;
  /** Fallback bytes per second (bitrate / 8 × cameras). */
  nominalBytesPerSecond: number;
  journal: ServiceJournal;
  alerts: AlertSink;
  faults: FaultReporter;
  config: RecorderConfig['storage'];
  failuresBeforeFault: number;
}

export class SpaceMonitor {
  private readonly subject: BehaviorSubject<SpaceStatus>;
  readonly status$: Observable<SpaceStatus>;
  private timer: TimerHandle | null = null;
  private rate: number;
  private measured = false;
  private last: { at: number; bytes: number } | null = null;
  private failures = 0;
  private busy = false;

  constructor(private readonly o: SpaceMonitorOptions) {
    this.rate = o.nominalBytesPerSecond;
    this.subject = new BehaviorSubject<SpaceStatus>({ freeBytes: null, freeHours: null, bytesPerSecond: this.rate, measured: false, level: 'ok' });
    this.status$ = this.subject.asObservable();
  }

  get status(): SpaceStatus {
    return this.subject.value;
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    // First poll now, then on multiples of the period (shared instants with the other services).
    const first = this.o.clock.setTimeout(() => {
      this.timer = this.o.clock.setInterval(() => void this.check(), this.o.config.pollMs);
      void this.check();
    }, alignedDelay(this.o.clock.monotonic(), this.o.config.pollMs));
    this.timer = first;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.evaluate();
    } finally {
      this.busy = false;
    }
  }

  private async evaluate(): Promise<void> {
    const now = this.o.clock.monotonic();
    const bytes = this.o.bytesWritten();
    if (this.o.recording() && this.last && now > this.last.at && bytes >= this.last.bytes) {
      const sample = ((bytes - this.last.bytes) / (now - this.last.at)) * 1000;
      if (sample > 0) {
        const alpha = 1 - Math.exp(-(now - this.last.at) / this.o.config.rateSmoothingMs);
        this.rate = this.measured ? this.rate + (sample - this.rate) * alpha : sample;
        this.measured = true;
      }
    }
    this.last = { at: now, bytes };
    if (this.o.evidence.readiness() !== 'ready') return;
    let freeBytes: number;
    try {
      freeBytes = (await this.o.evidence.storage.space()).freeBytes;
      this.failures = 0;
      if (this.o.faults.isFaulty('evidence card space')) this.o.faults.clear('evidence card space');
    } catch (err) {
      if (++this.failures === this.o.failuresBeforeFault) this.o.faults.raise('evidence card space', (err as Error).message);
      return;
    }
    const freeHours = freeBytes / this.rate / 3600;
    const prev = this.subject.value.level;
    // Full: not even one more minute fits. Low: under the threshold; clears with 10 % margin.
    let level: SpaceStatus['level'] = 'ok';
    if (freeBytes < this.rate * 60) level = 'full';
    else if (freeHours < this.o.config.lowHours || (prev !== 'ok' && freeHours < this.o.config.lowHours * 1.1)) level = 'low';
    this.subject.next({ freeBytes, freeHours, bytesPerSecond: this.rate, measured: this.measured, level });
    if (level === prev) return;
    const entry = { freeBytes, freeHours: Math.round(freeHours * 100) / 100 };
    if (level === 'ok') {
      this.o.journal.note('storage-alert', { level: 'cleared', ...entry });
      this.o.alerts.clear('storage-low');
      this.o.alerts.clear('storage-full');
    } else if (level === 'low') {
      this.o.journal.note('storage-alert', { level: 'low', ...entry });
      this.o.alerts.clear('storage-full');
      this.o.alerts.raise({ kind: 'storage-low', severity: 'warning', message: `evidence card: about ${entry.freeHours} h of recording left`, details: entry });
    } else {
      this.o.journal.note('storage-alert', { level: 'full', ...entry });
      this.o.alerts.clear('storage-low');
      this.o.alerts.raise({ kind: 'storage-full', severity: 'critical', message: 'evidence card full', details: entry });
    }
  }
}
