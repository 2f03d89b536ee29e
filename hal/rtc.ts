/** The battery-backed real-time clock (DS3231-class) (R-TIME-1). */
import type { Device } from './device.ts';

export interface RtcReading {
  /** The RTC's time, ms since the Unix epoch (UTC). */
  time: number;
  /**
   * The oscillator stopped at some point since the time was last set (DS3231 OSF bit): the time
   * is not trustworthy and must not be used for evidence until an authorised person sets it.
   */
  oscillatorStopped: boolean;
  /** Die temperature in °C when the part has a sensor. */
  temperatureC?: number;
}

export interface RealTimeClock extends Device {
  read(): Promise<RtcReading>;
  /** Writes the time and clears the oscillator-stop flag. */
  set(epochMs: number): Promise<void>;
}
