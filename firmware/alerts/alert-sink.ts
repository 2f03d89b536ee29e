/**
 * Alerts are how the device tells people something is wrong: an indicator pattern on the device
 * (R-PWR-2) and, for the duty officer, an outbound message sent over the uplink or the dock
 * link and kept until it is delivered (R-PWR-3). Services raise alerts through this interface;
 * the alert service decides patterns, repetition and delivery.
 */
export type AlertSeverity = 'info' | 'warning' | 'critical';

export type AlertKind =
  | 'battery-low'
  | 'battery-critical'
  | 'battery-empty'
  | 'battery-swap-needed'
  | 'clock-untrusted'
  | 'storage-low'
  | 'storage-full'
  | 'condensation-risk'
  | 'device-fault'
  | 'card-refused'
  | 'card-removed'
  | 'seal-opened'
  | 'certificate-expired'
  | 'recording-stopped';

export interface Alert {
  kind: AlertKind;
  severity: AlertSeverity;
  /** One line for the duty officer. */
  message: string;
  /** Device wall time when raised (ms since epoch). */
  at: number;
  /** Structured details (remaining minutes, device name, card CID, …). */
  details?: Record<string, unknown>;
}

export interface AlertSink {
  /** Raises an alert: shown/sounded on the device and queued for the duty officer. */
  raise(alert: Omit<Alert, 'at'>): void;
  /** Clears a standing alert of this kind (e.g. the pack was swapped): stops its repetition. */
  clear(kind: AlertKind): void;
}
