/**
 * Tracks, per camera, whether recording is physically stopped during duty (card gone or full,
 * camera failed) and why. The first stop raises the critical `recording-stopped` alert and is
 * journalled; recording starting again is journalled and the alert clears once every camera
 * records again (the vehicle recorder has three).
 */
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';

export class RecordingHealth {
  private readonly stopped = new Map<string, string>();

  constructor(
    private readonly journal: ServiceJournal,
    private readonly alerts: AlertSink,
  ) {}

  stoppedCameras(): Array<{ camera: string; reason: string }> {
    return [...this.stopped.entries()].map(([camera, reason]) => ({ camera, reason }));
  }

  isStopped(camera: string): boolean {
    return this.stopped.has(camera);
  }

  markStopped(camera: string, reason: string): void {
    if (this.stopped.has(camera)) return;
    this.stopped.set(camera, reason);
    this.journal.note('recording-stopped', { reason: `${camera}: ${reason}` });
    this.announce();
  }

  markRecording(camera: string, segment: number): void {
    if (!this.stopped.delete(camera)) return;
    this.journal.note('recording-started', { segment });
    this.announce();
  }

  /** Duty ended or the device powers off: stops are no longer alarms. */
  reset(): void {
    this.stopped.clear();
    this.alerts.clear('recording-stopped');
  }

  private announce(): void {
    if (this.stopped.size === 0) {
      this.alerts.clear('recording-stopped');
      return;
    }
    this.alerts.raise({
      kind: 'recording-stopped',
      severity: 'critical',
      message: `recording stopped: ${this.stoppedCameras().map((s) => `${s.camera} (${s.reason})`).join('; ')}`,
      details: { cameras: [...this.stopped.keys()] },
    });
  }
}
