/**
 * Board parts around the power GPIOs, for wiring the simulated world to the GPIO drivers:
 * - `SimIdealDiodeOr`: the dual ideal-diode / priority controller behind `GpioPowerPath`. It
 *   reads the firmware's select line, knows which packs are in and above cut-off and whether
 *   external power is up, decides which pack feeds the rail (failing over by itself, as the real
 *   part does), and drives the pack-present and STAT pins accordingly.
 * - `SimChargerPins`: the dock-presence contact and the charger's /PGOOD and /CHG pins behind
 *   `GpioCharger`, set by the world (docking) and the battery model (charging or not).
 * Both take the same line map and polarities as the drivers.
 */
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import { InvalidOptionsError } from '../hal/errors.ts';
import type { SlotIndex } from '../hal/battery.ts';
import type { Level } from '../hal/bus/gpio.ts';
import type { SimGpioController } from './gpio.ts';

/**
 * The world side of a GPIO controller these parts need: `SimGpioController`, or a test rig that
 * plays the wires of a real backend's fake kernel (test/fakes/gpio-rig.ts).
 */
export type PinWorld = Pick<SimGpioController, 'pull' | 'drive' | 'release' | 'watch'>;

/** Drives an open-drain / contact signal: asserted pulls to the active level, otherwise the pull resistor wins. */
class Signal {
  constructor(
    private readonly gpio: PinWorld,
    readonly line: number,
    private readonly activeLow: boolean,
  ) {
    gpio.pull(line, activeLow ? 'up' : 'down');
  }

  set(asserted: boolean, bounceMs = 0): void {
    if (asserted) this.gpio.drive(this.line, (this.activeLow ? 0 : 1) as Level, { bounceMs });
    else this.gpio.release(this.line, { bounceMs });
  }
}

export interface SimIdealDiodeOrOptions {
  gpio: PinWorld;
  lines: { select: number; present: readonly [number, number]; active: readonly [number, number] };
  activeLow?: { select?: boolean; present?: boolean; active?: boolean };
  /** Packs in their slots at start (default both). */
  packs?: readonly [boolean, boolean];
  /** Contact bounce when a pack is inserted or pulled (ms, default 3). */
  contactBounceMs?: number;
}

export class SimIdealDiodeOr {
  private readonly present: [boolean, boolean];
  private readonly usable: [boolean, boolean] = [true, true];
  private external = false;
  private readonly presentPins: [Signal, Signal];
  private readonly activePins: [Signal, Signal];
  private readonly selectLine: number;
  private readonly selectActiveLow: boolean;
  private readonly bounceMs: number;
  /** Last physical level seen on the select line. */
  private selectLevel: Level = 0;
  private readonly feedingSubject: BehaviorSubject<SlotIndex | null>;
  private readonly selectWatch: Subscription;
  /** Which pack feeds the rail now, then every change (null: external power or nothing). */
  readonly feeding$: Observable<SlotIndex | null>;

  constructor(options: SimIdealDiodeOrOptions) {
    const { gpio, lines } = options;
    const pol = options.activeLow ?? {};
    this.selectLine = lines.select;
    this.selectActiveLow = pol.select ?? false;
    this.present = [...(options.packs ?? [true, true])] as [boolean, boolean];
    this.bounceMs = options.contactBounceMs ?? 3;
    this.presentPins = [new Signal(gpio, lines.present[0], pol.present ?? true), new Signal(gpio, lines.present[1], pol.present ?? true)];
    this.activePins = [new Signal(gpio, lines.active[0], pol.active ?? true), new Signal(gpio, lines.active[1], pol.active ?? true)];
    this.presentPins.forEach((pin, i) => pin.set(this.present[i]));
    this.feedingSubject = new BehaviorSubject<SlotIndex | null>(null);
    this.feeding$ = this.feedingSubject.asObservable();
    // Watching the select line re-decides on every firmware write (and once now).
    this.selectWatch = gpio.watch(this.selectLine).subscribe((level) => this.decide(level));
  }

  /** The pack feeding the rail, or null (external power, or no usable pack: the device is dark). */
  feeding(): SlotIndex | null {
    return this.feedingSubject.value;
  }

  isPresent(slot: SlotIndex): boolean {
    return this.present[slot];
  }

  insert(slot: SlotIndex): void {
    this.setPresent(slot, true);
  }

  remove(slot: SlotIndex): void {
    this.setPresent(slot, false);
  }

  /** The battery model says whether the pack is above its cut-off (a flat pack stops conducting). */
  setUsable(slot: SlotIndex, usable: boolean): void {
    this.usable[slot] = usable;
    this.redecide();
  }

  /** External power (dock or vehicle supply) wins the OR: no pack conducts while it is up. */
  setExternalPower(on: boolean): void {
    this.external = on;
    this.redecide();
  }

  dispose(): void {
    this.selectWatch.unsubscribe();
    this.feedingSubject.complete();
  }

  private setPresent(slot: SlotIndex, present: boolean): void {
    if (slot !== 0 && slot !== 1) throw new InvalidOptionsError(`slot must be 0 or 1, got ${JSON.stringify(slot)}`);
    this.present[slot] = present;
    if (!present) this.usable[slot] = true;
    this.presentPins[slot].set(present, this.bounceMs);
    this.redecide();
  }

  private redecide(): void {
    this.decide(this.selectLevel);
  }

  private decide(selectPhysical: Level): void {
    this.selectLevel = selectPhysical;
    const preferred = (selectPhysical ^ (this.selectActiveLow ? 1 : 0)) as SlotIndex;
    const ok = (s: SlotIndex) => this.present[s] && this.usable[s];
    const other = (preferred ^ 1) as SlotIndex;
    const feeding: SlotIndex | null = this.external ? null : ok(preferred) ? preferred : ok(other) ? other : null;
    this.activePins[0].set(feeding === 0);
    this.activePins[1].set(feeding === 1);
    if (feeding !== this.feedingSubject.value) this.feedingSubject.next(feeding);
  }
}

export interface SimChargerPinsOptions {
  gpio: PinWorld;
  lines: { dock: number; powerGood: number; charging: readonly [number, number] };
  activeLow?: { dock?: boolean; powerGood?: boolean; charging?: boolean };
  /** Contact bounce of the dock contact when the device is dropped in or lifted out (ms, default 8). */
  dockBounceMs?: number;
}

export class SimChargerPins {
  private readonly dock: Signal;
  private readonly powerGood: Signal;
  private readonly charging: [Signal, Signal];
  private readonly bounceMs: number;

  constructor(options: SimChargerPinsOptions) {
    const { gpio, lines } = options;
    const pol = options.activeLow ?? {};
    this.dock = new Signal(gpio, lines.dock, pol.dock ?? true);
    this.powerGood = new Signal(gpio, lines.powerGood, pol.powerGood ?? true);
    this.charging = [new Signal(gpio, lines.charging[0], pol.charging ?? true), new Signal(gpio, lines.charging[1], pol.charging ?? true)];
    this.bounceMs = options.dockBounceMs ?? 8;
  }

  /** The device is put into (true) or lifted out of (false) the dock: the contact bounces. */
  setDocked(docked: boolean): void {
    this.dock.set(docked, this.bounceMs);
  }

  setPowerGood(good: boolean): void {
    this.powerGood.set(good);
  }

  setCharging(slot: SlotIndex, charging: boolean): void {
    this.charging[slot].set(charging);
  }
}
