/**
 * An AlertSink that forwards to one attached later. The card guard must start before the
 * firmware app (the app records onto the card the guard vouches for), while the alert service
 * lives in the app: alerts raised in between are held and delivered, in order, on attach.
 */
import type { Alert, AlertKind, AlertSink } from './alert-sink.ts';

type Held = { op: 'raise'; alert: Omit<Alert, 'at'> } | { op: 'clear'; kind: AlertKind };

export class DeferredAlertSink implements AlertSink {
  private target: AlertSink | null = null;
  private held: Held[] = [];

  attach(target: AlertSink): void {
    this.target = target;
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (h.op === 'raise') target.raise(h.alert);
      else target.clear(h.kind);
    }
  }

  raise(alert: Omit<Alert, 'at'>): void {
    if (this.target) this.target.raise(alert);
    else this.held.push({ op: 'raise', alert });
  }

  clear(kind: AlertKind): void {
    if (this.target) this.target.clear(kind);
    else this.held.push({ op: 'clear', kind });
  }
}
