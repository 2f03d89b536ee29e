/**
 * Power: two swappable battery packs, each with a fuel gauge (MAX17048-class), the power-path
 * switch that chooses which pack feeds the device, and the charger / dock presence (R-PWR-*).
 */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export type SlotIndex = 0 | 1;

export interface BatteryReading {
  /** False when no pack is in the slot (a MAX17048 is powered by its cell: no pack, no ACK). */
  present: boolean;
  /** Cell voltage under the present load (V); 0 when absent. */
  voltage: number;
  /** State of charge (0–100 %) as the gauge estimates it; 0 when absent. */
  socPercent: number;
  /** Charge (+) or discharge (−) rate in %/h as the gauge reports it. */
  ratePercentPerHour: number;
  /** Monotonic time of the reading (ms). */
  at: number;
}

export interface BatteryGauge extends Device {
  readonly slot: SlotIndex;
  read(): Promise<BatteryReading>;
}

/**
 * The power-path controller (ideal-diode OR of the two packs with a preferred-pack select line).
 * The hardware fails over by itself when the selected pack is pulled or reaches cut-off, so a
 * swap never browns the device out; the firmware chooses which pack to drain.
 */
export interface PowerPath extends Device {
  /** The pack currently feeding the device, or null when running from external power only. */
  active(): Promise<SlotIndex | null>;
  /** Prefer this pack. Rejects with `DeviceNotFoundError` when no pack is in that slot. */
  select(slot: SlotIndex): Promise<void>;
}

export interface DockState {
  /** The device sits in a dock (dock-presence contact closed). */
  docked: boolean;
  /** External power is present (dock or vehicle supply). */
  externalPower: boolean;
  /** Per slot: the charger is currently charging that pack. */
  charging: readonly [boolean, boolean];
}

export interface Charger extends Device {
  read(): Promise<DockState>;
  /** Emits on every change of dock presence, external power or charging state. */
  readonly changes$: Observable<DockState>;
}
