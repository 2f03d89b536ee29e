/** The operator's buttons. Debounced by the driver on the injected clock. */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export type ButtonName = 'record' | 'marker' | 'pause' | 'power';
export const BUTTON_NAMES: readonly ButtonName[] = ['record', 'marker', 'pause', 'power'];

export interface ButtonEvent {
  button: ButtonName;
  action: 'press' | 'release';
  /** Monotonic time of the debounced edge (ms). */
  at: number;
}

export interface Buttons extends Device {
  readonly events$: Observable<ButtonEvent>;
  isPressed(button: ButtonName): boolean;
}
