/** Doppler speed radar sensor (OmniPreSense OPS243-class over serial) (R-RAD-*). */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export type RadarDirection = 'inbound' | 'outbound';

export interface RadarReading {
  /** Line-of-sight speed in km/h (≥ 0), not yet corrected for the mounting angle. */
  speedKmh: number;
  direction: RadarDirection;
  /** Signal magnitude when the sensor reports it. */
  magnitude: number | null;
  /** Monotonic time the report arrived (ms). */
  at: number;
}

export interface RadarConfig {
  /** Which directions to report. */
  directions: 'inbound' | 'outbound' | 'both';
  /** Ignore readings below this speed (km/h). */
  minSpeedKmh: number;
}

export interface RadarSensor extends Device {
  readonly readings$: Observable<RadarReading>;
  configure(config: RadarConfig): Promise<void>;
  /** Readings the driver could not parse. */
  rejected(): number;
}
