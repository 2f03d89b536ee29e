/** Satellite positioning (NMEA 0183 GGA + RMC over a serial line). */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export interface GnssFix {
  /** RMC status A and GGA quality > 0. */
  valid: boolean;
  /** UTC time of the fix (ms since epoch) from RMC date + time; null when unknown. */
  utc: number | null;
  latitude: number | null;
  longitude: number | null;
  altitudeM: number | null;
  speedKmh: number | null;
  courseDeg: number | null;
  satellites: number | null;
  hdop: number | null;
  /** Monotonic time the sentence arrived. */
  at: number;
}

export interface GnssStats {
  /** Sentences accepted. */
  sentences: number;
  /** Sentences rejected (bad checksum, malformed, too long). */
  rejected: number;
}

export interface Gnss extends Device {
  readonly fixes$: Observable<GnssFix>;
  stats(): GnssStats;
}
