/**
 * A Li-ion battery pack: stored charge, open-circuit voltage from the state of charge, internal
 * resistance and usable capacity that both worsen in the cold. The pack holds only its stored
 * charge; `PowerSystem` moves charge in and out (exactly, event by event).
 *
 * Model (research §3):
 * - Stored charge q ∈ [0, C] (mAh). In the cold the bottom part of it cannot be delivered:
 *   usable fraction f(T) (1.00 at 25 °C, 0.85 at 0 °C, 0.55 at −20 °C; Battery University
 *   BU-502: "50 % at −18 °C"). It comes back when the pack warms up.
 * - Effective state of charge s = (q − C·(1 − f)) / (C·f): what is usable now. OCV(s) from the
 *   sp9860g OCV table (Linux DT, 20 °C), linear in between, extrapolated below 0 %.
 * - R(T) = R25 · k(T), k rising ≈ 2.5× at −20 °C. Terminal voltage V = OCV(s) − I·R(T)
 *   (I > 0 discharging, < 0 charging).
 */

/** OCV (V) by state of charge (%), from torvalds/linux `sp9860g-1h10.dts` `ocv-capacity-table-0`. */
export const OCV_TABLE: ReadonlyArray<readonly [socPercent: number, volts: number]> = [
  [0, 3.4], [5, 3.605], [10, 3.68], [15, 3.724], [20, 3.752], [25, 3.765], [30, 3.77], [35, 3.773],
  [40, 3.777], [45, 3.787], [50, 3.805], [55, 3.835], [60, 3.864], [65, 3.889], [70, 3.917],
  [75, 3.949], [80, 3.983], [85, 4.022], [90, 4.066], [95, 4.113], [100, 4.185],
];

/** Usable fraction of the stored charge by pack temperature (°C). */
export const USABLE_CAPACITY_BY_TEMPERATURE: ReadonlyArray<readonly [celsius: number, factor: number]> = [
  [-40, 0.2], [-30, 0.38], [-20, 0.55], [-10, 0.7], [0, 0.85], [10, 0.91], [25, 1], [60, 1],
];

/** Internal resistance relative to 25 °C by pack temperature (°C). */
export const RESISTANCE_FACTOR_BY_TEMPERATURE: ReadonlyArray<readonly [celsius: number, factor: number]> = [
  [-40, 5], [-30, 3.5], [-20, 2.5], [-10, 1.9], [0, 1.5], [10, 1.25], [25, 1], [45, 0.9], [60, 0.85],
];

/** Interpolates a table sorted by x; clamps outside it. */
export function interpolate(table: ReadonlyArray<readonly [number, number]>, x: number): number {
  if (x <= table[0][0]) return table[0][1];
  const last = table[table.length - 1];
  if (x >= last[0]) return last[1];
  let lo = 0;
  let hi = table.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (table[mid][0] <= x) lo = mid;
    else hi = mid;
  }
  const [x0, y0] = table[lo];
  const [x1, y1] = table[hi];
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Slope of the OCV curve below 0 % (V per unit SOC), continuing the 0–5 % segment. */
const OCV_SLOPE_BELOW_EMPTY = (OCV_TABLE[1][1] - OCV_TABLE[0][1]) / 0.05;

/** Open-circuit voltage at effective state of charge `soc` (0–1; below 0 extrapolated). */
export function ocvAt(soc: number): number {
  if (soc < 0) return OCV_TABLE[0][1] + soc * OCV_SLOPE_BELOW_EMPTY;
  return interpolate(OCV_TABLE, soc * 100);
}

/** Inverse of `ocvAt`: the effective state of charge (≤ 1) whose OCV is `volts`. */
export function socForOcv(volts: number): number {
  if (volts >= OCV_TABLE[OCV_TABLE.length - 1][1]) return 1;
  if (volts < OCV_TABLE[0][1]) return (volts - OCV_TABLE[0][1]) / OCV_SLOPE_BELOW_EMPTY;
  for (let i = 1; i < OCV_TABLE.length; i++) {
    const [s1, v1] = OCV_TABLE[i];
    if (volts <= v1) {
      const [s0, v0] = OCV_TABLE[i - 1];
      return (s0 + ((s1 - s0) * (volts - v0)) / (v1 - v0)) / 100;
    }
  }
  return 1;
}

export function usableFactor(celsius: number): number {
  return interpolate(USABLE_CAPACITY_BY_TEMPERATURE, celsius);
}

export interface BatteryPackOptions {
  /** Label for reports ("pack 1"). */
  id?: string;
  /** Rated capacity (mAh); default 6800 (1S2P of 3400 mAh 18650 cells). */
  capacityMah?: number;
  /** Stored charge at the start, % of capacity; default 100. */
  chargePercent?: number;
  /** Internal resistance at 25 °C (Ω); default 0.15. */
  internalResistanceOhm?: number;
}

/** Default pack: see docs/sim-world.md "Battery" for the R-PWR-1 sizing. */
export const DEFAULT_PACK_CAPACITY_MAH = 6800;
export const DEFAULT_INTERNAL_RESISTANCE_OHM = 0.15;

export class BatteryPack {
  readonly id: string;
  readonly capacityMah: number;
  readonly r25: number;
  /** Stored charge (mAh), updated by the power system whenever it settles. */
  chargeMah: number;

  constructor(options: BatteryPackOptions = {}) {
    this.id = options.id ?? 'pack';
    this.capacityMah = options.capacityMah ?? DEFAULT_PACK_CAPACITY_MAH;
    if (!(Number.isFinite(this.capacityMah) && this.capacityMah > 0)) throw new RangeError(`${this.id}: capacityMah must be > 0`);
    this.r25 = options.internalResistanceOhm ?? DEFAULT_INTERNAL_RESISTANCE_OHM;
    if (!(Number.isFinite(this.r25) && this.r25 >= 0)) throw new RangeError(`${this.id}: internalResistanceOhm must be ≥ 0`);
    const pct = options.chargePercent ?? 100;
    if (!(Number.isFinite(pct) && pct >= 0 && pct <= 100)) throw new RangeError(`${this.id}: chargePercent must be in 0..100`);
    this.chargeMah = (pct / 100) * this.capacityMah;
  }

  resistance(celsius: number): number {
    return this.r25 * interpolate(RESISTANCE_FACTOR_BY_TEMPERATURE, celsius);
  }

  /** Effective state of charge (0–1 when usable; negative when only cold-locked charge is left). */
  effectiveSoc(celsius: number, charge = this.chargeMah): number {
    const f = usableFactor(celsius);
    return (charge - this.capacityMah * (1 - f)) / (this.capacityMah * f);
  }

  /** Stored charge (mAh) at which the effective state of charge is `soc` at `celsius`. */
  chargeForSoc(soc: number, celsius: number): number {
    const f = usableFactor(celsius);
    return this.capacityMah * (1 - f) + soc * this.capacityMah * f;
  }

  openCircuitVoltage(celsius: number, charge = this.chargeMah): number {
    return ocvAt(Math.min(1, this.effectiveSoc(celsius, charge)));
  }

  /** Terminal voltage with `currentMa` flowing out (negative = charging). */
  terminalVoltage(currentMa: number, celsius: number, charge = this.chargeMah): number {
    return this.openCircuitVoltage(celsius, charge) - (currentMa / 1000) * this.resistance(celsius);
  }

  /**
   * The stored charge at which the pack, delivering `currentMa`, falls to `cutoffVolts` (or to
   * 0 % effective, where the protection circuit opens, whichever comes first). Equal to the
   * capacity when it cannot deliver that current at all.
   */
  cutoffCharge(currentMa: number, celsius: number, cutoffVolts: number): number {
    const s = Math.max(0, socForOcv(cutoffVolts + (Math.max(0, currentMa) / 1000) * this.resistance(celsius)));
    return Math.min(this.capacityMah, this.chargeForSoc(s, celsius));
  }

  /** Stored charge at which a constant charging current `currentMa` reaches the CV voltage. */
  constantVoltageCharge(currentMa: number, celsius: number, cvVolts: number): number {
    const s = Math.min(1, Math.max(0, socForOcv(cvVolts - (currentMa / 1000) * this.resistance(celsius))));
    return this.chargeForSoc(s, celsius);
  }
}
