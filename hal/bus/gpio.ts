/**
 * GPIO lines by their board numbering (BCM numbers on a Pi). The Linux backend maps them to the
 * kernel's numbering (sysfs chip base 512 on a Pi 4, 571 on a Pi 5, or libgpiod chip offsets);
 * the simulator wires them to virtual buttons, LEDs, the IR-cut coil and the seal switch.
 */
import type { Observable } from 'rxjs';
import type { Device } from '../device.ts';

export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface InputOptions {
  line: number;
  edge?: Edge;
  /** Invert the logical value (a button to ground with a pull-up reads 1 when pressed). */
  activeLow?: boolean;
  /** Report an edge only after the level has been stable this long (ms), on the injected clock. */
  debounceMs?: number;
}

export interface OutputOptions {
  line: number;
  initial?: Level;
  activeLow?: boolean;
}

export interface DigitalInput extends Device {
  readonly line: number;
  read(): Promise<Level>;
  /** Debounced logical level changes (requires an edge other than 'none'). */
  readonly changes$: Observable<{ value: Level; at: number }>;
}

export interface DigitalOutput extends Device {
  readonly line: number;
  write(value: Level): Promise<void>;
  /** Last written logical value. */
  readonly value: Level;
}

export interface GpioController extends Device {
  /** Claims a line as input. Rejects with `InvalidOptionsError` when the line is already claimed. */
  input(options: InputOptions): Promise<DigitalInput>;
  output(options: OutputOptions): Promise<DigitalOutput>;
}
