/** Ambient light sensor (VEML7700, BH1750, an analog LDR on a Firmata board, or the simulated sky). */
import type { Device } from './device.ts';

export interface LightSample {
  /** Illuminance in lux (≥ 0). */
  lux: number;
  /** True when the reading hit the top of the sensor's range: the real value is at least `lux`. */
  saturated: boolean;
  /** Monotonic time of the reading (ms). */
  at: number;
}

export interface AmbientLightSensor extends Device {
  /** One fresh reading. Rejects with `DeviceNotRespondingError` when the sensor does not answer. */
  read(): Promise<LightSample>;
}
