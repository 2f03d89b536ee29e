/**
 * The device's power path: two battery slots OR-ed by ideal diodes with a preferred-pack select
 * line, external power (dock or vehicle) that feeds the device and charges both packs, and a
 * registry of loads (piecewise-constant currents).
 *
 * Integration is event-driven and exact: between two changes every pack follows a closed-form
 * law (constant discharge current; CC then CV charging), so charge is computed on query and a
 * timer is set only for the next thing that will happen on its own — the active pack reaching
 * cut-off (failover or brown-out), a charge finishing, or a re-check while the pack temperature
 * is still moving. No per-tick loop.
 */
import { Subject, filter, type Observable } from 'rxjs';
import type { SlotIndex } from '../../hal/battery.ts';
import type { TimerHandle } from '../../hal/clock.ts';
import { DozorError, InvalidOptionsError } from '../../hal/errors.ts';
import { ocvAt, usableFactor, type BatteryPack } from './battery.ts';
import type { WorldClock } from './world-clock.ts';

export type PowerSource = SlotIndex | 'external' | null;

export type PowerEvent =
  | { kind: 'source'; at: number; source: PowerSource }
  | { kind: 'brownout'; at: number }
  | { kind: 'restored'; at: number; source: PowerSource }
  | { kind: 'depleted'; at: number; slot: SlotIndex }
  | { kind: 'charging'; at: number; slot: SlotIndex; charging: boolean }
  | { kind: 'external'; at: number; present: boolean }
  | { kind: 'dock'; at: number; docked: boolean }
  | { kind: 'inserted'; at: number; slot: SlotIndex }
  | { kind: 'removed'; at: number; slot: SlotIndex };

export interface ChargerOptions {
  /** Constant-current phase (mA per pack); default 2000. */
  currentMa?: number;
  /** Constant-voltage level (V); default 4.2. */
  cvVolts?: number;
  /** Charging ends when the CV current falls below this (mA); default currentMa / 20. */
  terminationMa?: number;
  /** Charging only within this pack temperature window (°C); default 0…45 (no charging below 0 °C). */
  minCelsius?: number;
  maxCelsius?: number;
}

export interface PowerSystemOptions {
  clock: WorldClock;
  /** Pack temperature (°C) at true time t; usually `climate.deviceTemperature`. */
  temperature: (t: number) => number;
  packs?: readonly [BatteryPack | null, BatteryPack | null];
  preferredSlot?: SlotIndex;
  externalPower?: boolean;
  /** Under-voltage lock-out of each pack's power path, under load (V); default 3.3. */
  cutoffVolts?: number;
  /** A pack that hit cut-off is used again only above cut-off + this (V); default 0.1. */
  recoveryMarginVolts?: number;
  charger?: ChargerOptions;
  /** Re-check interval while the pack temperature is changing (ms); default 60 s. */
  recheckMs?: number;
}

export interface PackSnapshot {
  present: boolean;
  /** Terminal voltage under the present current (V); 0 when absent. */
  voltage: number;
  /** Effective state of charge, 0–100 % (what can be delivered at the present temperature). */
  socPercent: number;
  /** Change of the effective state of charge, %/h (negative while discharging). */
  ratePercentPerHour: number;
  /** Current out of the pack (mA; negative while charging). */
  currentMa: number;
  /** Stored charge (mAh). */
  chargeMah: number;
  celsius: number;
  charging: boolean;
  /** Counts insertions into this slot, so a gauge can tell a swapped pack (power-on reset). */
  insertion: number;
}

type Law =
  | { kind: 'idle' }
  | { kind: 'discharge'; currentMa: number }
  | {
      kind: 'charge';
      ccMa: number;
      /** End of the constant-current phase (true ms). */
      tCv: number;
      /** Charge at tCv (mAh). */
      qCv: number;
      /** CV time constant (ms). */
      tau: number;
      tEnd: number;
    };

interface Slot {
  pack: BatteryPack | null;
  start: number;
  q0: number;
  law: Law;
  lockedOut: boolean;
  chargeDone: boolean;
  insertion: number;
}

const MS_PER_HOUR = 3_600_000;

export class PowerSystem {
  private readonly clock: WorldClock;
  private readonly temperature: (t: number) => number;
  private readonly slots: [Slot, Slot];
  private readonly loads = new Map<string, number>();
  private loadMa = 0;
  private preferredSlot: SlotIndex;
  private external: boolean;
  private inDock = false;
  private holding = false;
  private readonly held: PowerEvent[] = [];
  private current: PowerSource = null;
  private isPowered = false;
  private timer: TimerHandle | null = null;
  private readonly events = new Subject<PowerEvent>();

  readonly cutoffVolts: number;
  readonly recoveryMarginVolts: number;
  readonly charger: Required<ChargerOptions>;
  private readonly recheckMs: number;

  /** Every power event, in time order. */
  readonly events$: Observable<PowerEvent> = this.events.asObservable();
  /** The device lost power: no pack can supply the load and there is no external power. */
  readonly brownout$: Observable<{ kind: 'brownout'; at: number }>;

  constructor(options: PowerSystemOptions) {
    this.clock = options.clock;
    this.temperature = options.temperature;
    this.cutoffVolts = volts(options.cutoffVolts ?? 3.3, 'cutoffVolts', 2.5, 4);
    this.recoveryMarginVolts = volts(options.recoveryMarginVolts ?? 0.1, 'recoveryMarginVolts', 0, 1);
    const cc = options.charger?.currentMa ?? 2000;
    if (!(cc > 0)) throw new InvalidOptionsError(`charger.currentMa must be > 0, got ${cc}`);
    this.charger = {
      currentMa: cc,
      cvVolts: volts(options.charger?.cvVolts ?? 4.2, 'charger.cvVolts', 3.6, 4.4),
      terminationMa: options.charger?.terminationMa ?? cc / 20,
      minCelsius: options.charger?.minCelsius ?? 0,
      maxCelsius: options.charger?.maxCelsius ?? 45,
    };
    if (!(this.charger.terminationMa > 0 && this.charger.terminationMa < cc)) {
      throw new InvalidOptionsError('charger.terminationMa must be between 0 and charger.currentMa');
    }
    this.recheckMs = options.recheckMs ?? 60_000;
    this.preferredSlot = options.preferredSlot ?? 0;
    this.external = options.externalPower ?? false;
    const t = this.clock.trueTime();
    const mk = (pack: BatteryPack | null): Slot => ({
      pack,
      start: t,
      q0: pack?.chargeMah ?? 0,
      law: { kind: 'idle' },
      lockedOut: false,
      chargeDone: false,
      insertion: pack ? 1 : 0,
    });
    this.slots = [mk(options.packs?.[0] ?? null), mk(options.packs?.[1] ?? null)];
    this.brownout$ = this.events$.pipe(filter((e): e is { kind: 'brownout'; at: number } => e.kind === 'brownout'));
    this.plan(t, true);
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** Sets the current drawn by one consumer (mA ≥ 0); 0 removes it. */
  setLoad(name: string, currentMa: number): void {
    if (!(Number.isFinite(currentMa) && currentMa >= 0)) throw new InvalidOptionsError(`load ${name}: current must be ≥ 0 mA, got ${currentMa}`);
    if ((this.loads.get(name) ?? 0) === currentMa) return;
    this.update(() => {
      if (currentMa === 0) this.loads.delete(name);
      else this.loads.set(name, currentMa);
      let sum = 0;
      for (const v of this.loads.values()) sum += v;
      this.loadMa = sum;
    });
  }

  load(name: string): number {
    return this.loads.get(name) ?? 0;
  }

  /** Total current drawn by the device while it is powered (mA). */
  get totalLoadMa(): number {
    return this.loadMa;
  }

  /** Puts a pack into an empty slot (hot swap). */
  insert(slot: SlotIndex, pack: BatteryPack): void {
    const s = this.slots[slot];
    if (s.pack) throw new DozorError('ESLOTBUSY', `battery slot ${slot} already holds ${s.pack.id}`);
    this.update((t) => {
      s.pack = pack;
      s.q0 = pack.chargeMah;
      s.lockedOut = false;
      s.chargeDone = false;
      s.insertion += 1;
      this.emit({ kind: 'inserted', at: t, slot });
    });
  }

  /** Pulls the pack out of a slot and returns it with its charge. */
  remove(slot: SlotIndex): BatteryPack {
    const s = this.slots[slot];
    const pack = s.pack;
    if (!pack) throw new DozorError('ESLOTEMPTY', `battery slot ${slot} is empty`);
    this.update((t) => {
      s.pack = null;
      s.lockedOut = false;
      s.chargeDone = false;
      this.emit({ kind: 'removed', at: t, slot });
    });
    return pack;
  }

  pack(slot: SlotIndex): BatteryPack | null {
    return this.slots[slot].pack;
  }

  /** The select line: which pack to drain first. */
  setPreferred(slot: SlotIndex): void {
    if (slot !== 0 && slot !== 1) throw new InvalidOptionsError(`slot must be 0 or 1, got ${slot}`);
    if (slot === this.preferredSlot) return;
    this.update(() => {
      this.preferredSlot = slot;
    });
  }

  get preferred(): SlotIndex {
    return this.preferredSlot;
  }

  /** Dock or vehicle supply connected or not. */
  setExternalPower(present: boolean): void {
    if (present === this.external) return;
    this.update((t) => {
      this.external = present;
      if (!present) this.inDock = false;
      this.emit({ kind: 'external', at: t, present });
    });
  }

  get externalPower(): boolean {
    return this.external;
  }

  /** The device is put into (true) or taken out of (false) a dock, which also supplies power. */
  setDocked(docked: boolean): void {
    if (docked === this.inDock) return;
    this.update((t) => {
      this.inDock = docked;
      this.emit({ kind: 'dock', at: t, docked });
      if (this.external !== docked) {
        this.external = docked;
        this.emit({ kind: 'external', at: t, present: docked });
      }
    });
  }

  /** Dock-presence contact closed. */
  get docked(): boolean {
    return this.inDock;
  }

  /** Re-evaluates after a change the system cannot see (environment temperature step). */
  refresh(): void {
    this.update(() => {});
  }

  /** Cancels the pending timer; the model stops scheduling. */
  dispose(): void {
    this.timer?.cancel();
    this.timer = null;
    this.events.complete();
  }

  // ---- outputs --------------------------------------------------------------------------------

  source(): PowerSource {
    return this.current;
  }

  powered(): boolean {
    return this.isPowered;
  }

  /** When the active pack will reach cut-off at the present load and temperature (true ms), if it will. */
  nextCutoffAt(): number | null {
    if (typeof this.current !== 'number') return null;
    const s = this.slots[this.current];
    if (s.law.kind !== 'discharge' || !s.pack) return null;
    const T = this.temperature(s.start);
    const qCut = s.pack.cutoffCharge(s.law.currentMa, T, this.cutoffVolts);
    return s.start + ((s.q0 - qCut) / s.law.currentMa) * MS_PER_HOUR;
  }

  snapshot(slot: SlotIndex, t = this.clock.trueTime()): PackSnapshot {
    const s = this.slots[slot];
    if (!s.pack) {
      return { present: false, voltage: 0, socPercent: 0, ratePercentPerHour: 0, currentMa: 0, chargeMah: 0, celsius: this.temperature(t), charging: false, insertion: s.insertion };
    }
    const celsius = this.temperature(t);
    const q = this.chargeAt(s, t);
    const i = this.currentAt(s, t);
    const pack = s.pack;
    // Inline of pack.terminalVoltage with the temperature factors looked up once (a hot path:
    // every fuel-gauge sample lands here).
    const f = usableFactor(celsius);
    const soc = (q - pack.capacityMah * (1 - f)) / (pack.capacityMah * f);
    return {
      present: true,
      voltage: ocvAt(Math.min(1, soc)) - (i / 1000) * pack.resistance(celsius),
      socPercent: Math.min(100, Math.max(0, soc * 100)),
      ratePercentPerHour: (-i / (pack.capacityMah * f)) * 100,
      currentMa: i,
      chargeMah: q,
      celsius,
      charging: s.law.kind === 'charge' && t < s.law.tEnd,
      insertion: s.insertion,
    };
  }

  /** Insertion count of the pack in the slot, or null when it is empty (cheap presence check). */
  insertion(slot: SlotIndex): number | null {
    const s = this.slots[slot];
    return s.pack ? s.insertion : null;
  }

  charging(slot: SlotIndex): boolean {
    const s = this.slots[slot];
    return s.law.kind === 'charge' && this.clock.trueTime() < s.law.tEnd;
  }

  // ---- integration ----------------------------------------------------------------------------

  private chargeAt(s: Slot, t: number): number {
    const law = s.law;
    const dt = Math.max(0, t - s.start);
    switch (law.kind) {
      case 'idle':
        return s.q0;
      case 'discharge':
        return Math.max(0, s.q0 - (law.currentMa * dt) / MS_PER_HOUR);
      case 'charge': {
        if (t <= law.tCv) return s.q0 + (law.ccMa * dt) / MS_PER_HOUR;
        const cap = s.pack!.capacityMah;
        const x = Math.min(t, law.tEnd) - law.tCv;
        return cap - (cap - law.qCv) * Math.exp(-x / law.tau);
      }
    }
  }

  /** Current out of the pack at t (mA, negative while charging). */
  private currentAt(s: Slot, t: number): number {
    const law = s.law;
    switch (law.kind) {
      case 'idle':
        return 0;
      case 'discharge':
        return law.currentMa;
      case 'charge': {
        if (t < law.tCv) return -law.ccMa;
        if (t >= law.tEnd) return 0;
        const cap = s.pack!.capacityMah;
        return (-(cap - law.qCv) / (law.tau / MS_PER_HOUR)) * Math.exp(-(t - law.tCv) / law.tau);
      }
    }
  }

  private update(change: (t: number) => void): void {
    const t = this.clock.trueTime();
    const wasCharging = this.slots.map((s) => s.law.kind === 'charge');
    // Events wait until the new state is complete, so listeners never see a half-updated model.
    this.holding = true;
    try {
      this.settle(t);
      change(t);
      this.plan(t, false, wasCharging);
    } finally {
      this.holding = false;
      const out = this.held.splice(0);
      for (const e of out) this.events.next(e);
    }
  }

  /** Brings every pack's charge up to t and restarts its law from there. */
  private settle(t: number): void {
    for (const s of this.slots) {
      if (s.pack) {
        const q = this.chargeAt(s, t);
        if (s.law.kind === 'charge' && t >= s.law.tEnd) s.chargeDone = true;
        s.pack.chargeMah = q;
        s.q0 = q;
      }
      s.start = t;
      s.law = { kind: 'idle' };
    }
  }

  /** Slack (mAh) so a pack exactly at its cut-off instant counts as depleted despite rounding. */
  private epsilon(currentMa: number): number {
    return Math.max(1e-9, currentMa / MS_PER_HOUR);
  }

  private canSupply(s: Slot, currentMa: number, celsius: number, recovering: boolean): boolean {
    if (!s.pack) return false;
    const margin = recovering ? this.recoveryMarginVolts : 0;
    const qCut = s.pack.cutoffCharge(currentMa, celsius, this.cutoffVolts + margin);
    const slack = recovering ? 0.01 * s.pack.capacityMah : this.epsilon(currentMa);
    return s.q0 - qCut > slack;
  }

  private chargePlan(s: Slot, t: number, celsius: number): Extract<Law, { kind: 'charge' }> | null {
    const pack = s.pack!;
    const ch = this.charger;
    if (celsius < ch.minCelsius || celsius > ch.maxCelsius) return null;
    const cap = pack.capacityMah;
    const qCvIdeal = Math.min(cap, pack.constantVoltageCharge(ch.currentMa, celsius, ch.cvVolts));
    const tauH = (cap - qCvIdeal) / ch.currentMa;
    if (!(tauH > 0)) return null;
    const qTerm = cap - ch.terminationMa * tauH;
    const restartBelow = s.chargeDone ? qTerm - 0.03 * cap : qTerm;
    if (s.q0 >= restartBelow) return null;
    s.chargeDone = false;
    const tau = tauH * MS_PER_HOUR;
    let tCv: number;
    let qCv: number;
    if (s.q0 < qCvIdeal) {
      tCv = t + ((qCvIdeal - s.q0) / ch.currentMa) * MS_PER_HOUR;
      qCv = qCvIdeal;
    } else {
      tCv = t;
      qCv = s.q0;
    }
    const i0 = (cap - qCv) / tauH;
    const tEnd = tCv + (i0 > ch.terminationMa ? tau * Math.log(i0 / ch.terminationMa) : 0);
    return { kind: 'charge', ccMa: ch.currentMa, tCv, qCv, tau, tEnd };
  }

  private plan(t: number, initial: boolean, wasCharging: readonly boolean[] = [false, false]): void {
    const celsius = this.temperature(t);
    const I = this.loadMa;
    const prevSource = this.current;
    const prevPowered = this.isPowered;

    // The pack feeding the device hit its cut-off: the power path locks it out.
    if (!this.external && typeof prevSource === 'number' && !initial) {
      const s = this.slots[prevSource];
      if (s.pack && !s.lockedOut && !this.canSupply(s, I, celsius, false)) {
        s.lockedOut = true;
        this.emit({ kind: 'depleted', at: t, slot: prevSource });
      }
    }
    for (const s of this.slots) {
      if (s.lockedOut && this.canSupply(s, I, celsius, true)) s.lockedOut = false;
    }

    let source: PowerSource = null;
    if (this.external) source = 'external';
    else {
      const order: SlotIndex[] = this.preferredSlot === 0 ? [0, 1] : [1, 0];
      for (const k of order) {
        const s = this.slots[k];
        if (s.pack && !s.lockedOut && this.canSupply(s, I, celsius, false)) {
          source = k;
          break;
        }
      }
    }
    this.current = source;
    this.isPowered = source !== null;

    let next = Infinity;
    this.slots.forEach((s, k) => {
      if (!s.pack) return;
      if (source === k && I > 0) {
        s.law = { kind: 'discharge', currentMa: I };
        const qCut = s.pack.cutoffCharge(I, celsius, this.cutoffVolts);
        next = Math.min(next, t + Math.max(1, ((s.q0 - qCut) / I) * MS_PER_HOUR));
      } else if (this.external) {
        const law = this.chargePlan(s, t, celsius);
        if (law) {
          s.law = law;
          next = Math.min(next, Math.max(law.tEnd, t + 1));
        }
      }
    });

    // A moving pack temperature changes usable capacity, resistance and the charging window.
    const anyPack = this.slots.some((s) => s.pack);
    if (anyPack && Math.abs(this.temperature(t + this.recheckMs) - celsius) > 0.02) next = Math.min(next, t + this.recheckMs);
    // A locked-out pack may recover as it warms or the load drops; check now and then.
    if (!this.isPowered && this.slots.some((s) => s.lockedOut)) next = Math.min(next, t + this.recheckMs * 10);

    if (!initial) {
      this.slots.forEach((s, k) => {
        const now = s.law.kind === 'charge';
        if (now !== wasCharging[k]) this.emit({ kind: 'charging', at: t, slot: k as SlotIndex, charging: now });
      });
      if (prevPowered && !this.isPowered) this.emit({ kind: 'brownout', at: t });
      else if (!prevPowered && this.isPowered) this.emit({ kind: 'restored', at: t, source });
      else if (prevSource !== source) this.emit({ kind: 'source', at: t, source });
    }

    this.timer?.cancel();
    this.timer = Number.isFinite(next) ? this.clock.setTimeout(() => this.update(() => {}), next - t) : null;
  }

  private emit(e: PowerEvent): void {
    if (this.holding) this.held.push(e);
    else this.events.next(e);
  }
}

function volts(v: number, what: string, lo: number, hi: number): number {
  if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new InvalidOptionsError(`${what} must be in ${lo}..${hi} V, got ${v}`);
  return v;
}
