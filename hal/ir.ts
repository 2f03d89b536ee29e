/** Day/night optics: the bistable IR-cut filter and the IR illuminator (R-REC-5). */
import type { Device } from './device.ts';

/** Day = filter in (blocks IR), colour image; night = filter out, IR lit, black and white. */
export type DayNightMode = 'day' | 'night';

export interface IrCutFilter extends Device {
  /**
   * Moves the filter. Bistable actuators are pulsed (one polarity for 10–150 ms, then both lines
   * low, no holding current); resolves when the pulse has ended.
   */
  set(mode: DayNightMode): Promise<void>;
  /** Last commanded position; `unknown` until the first `set` after power-on. */
  readonly position: DayNightMode | 'unknown';
}

export interface IrIlluminator extends Device {
  /** 0 = off, 1 = full power; boards without PWM treat any level > 0 as on. */
  set(level: number): Promise<void>;
  readonly level: number;
}
