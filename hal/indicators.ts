/** What the device shows and sounds: LEDs, buzzer and vibration motor (R-PWR-2, R-TIME-1). */
import type { Device } from './device.ts';

export type IndicatorOutput = 'led-red' | 'led-green' | 'led-amber' | 'buzzer' | 'vibration';
export const INDICATOR_OUTPUTS: readonly IndicatorOutput[] = ['led-red', 'led-green', 'led-amber', 'buzzer', 'vibration'];

/** Alternating on/off durations in ms, starting with "on": [on, off, on, off, …]. */
export type Pattern = readonly number[];

export interface Indicators extends Device {
  /** Switches an output steadily on or off (cancels a pattern playing on it). */
  set(output: IndicatorOutput, on: boolean): Promise<void>;
  /** Plays a pattern once on an output; resolves when it has finished (output left off). */
  play(output: IndicatorOutput, pattern: Pattern): Promise<void>;
  /** Current level of an output. */
  isOn(output: IndicatorOutput): boolean;
}
