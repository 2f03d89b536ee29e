/** Temperature and relative humidity of the air around the device (SHT31-class) (R-REC-3). */
import type { Device } from './device.ts';

export interface ClimateSample {
  celsius: number;
  /** Relative humidity, 0–100 %. */
  humidity: number;
  at: number;
}

export interface ClimateSensor extends Device {
  /** Rejects with `ChecksumError` on a CRC failure and `DeviceNotRespondingError` when absent. */
  read(): Promise<ClimateSample>;
}
