/**
 * Device faults (R-PWR-3): a part that stops answering is journalled and reported to the duty
 * officer at once (through the alert queue); when it answers again the fault is cleared. Each
 * part is tracked by name; one standing `device-fault` alert lists every faulty part.
 */
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';

export class FaultReporter {
  private readonly active = new Map<string, string>();

  constructor(
    private readonly journal: ServiceJournal,
    private readonly alerts: AlertSink,
  ) {}

  raise(device: string, detail: string): void {
    if (this.active.has(device)) return;
    this.active.set(device, detail);
    this.journal.note('fault', { device, state: 'raised', detail });
    this.announce();
  }

  clear(device: string, detail = 'answers again'): void {
    if (!this.active.delete(device)) return;
    this.journal.note('fault', { device, state: 'cleared', detail });
    this.announce();
  }

  isFaulty(device: string): boolean {
    return this.active.has(device);
  }

  /** Faulty parts and what went wrong with each. */
  list(): Array<{ device: string; detail: string }> {
    return [...this.active.entries()].map(([device, detail]) => ({ device, detail }));
  }

  private announce(): void {
    if (this.active.size === 0) {
      this.alerts.clear('device-fault');
      return;
    }
    const devices = [...this.active.keys()];
    this.alerts.raise({
      kind: 'device-fault',
      severity: 'critical',
      message: `fault: ${devices.map((d) => `${d} (${this.active.get(d)})`).join('; ')}`,
      details: { devices },
    });
  }
}
