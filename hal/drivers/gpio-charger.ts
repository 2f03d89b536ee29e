/**
 * Dock presence and charging state from GPIO inputs:
 * - the dock-presence contact (closes to ground when the device sits in the dock: active-low);
 * - the charger's power-good pin (BQ2407x /PGOOD: open-drain, low while a valid input supply is
 *   present: active-low);
 * - one charge-status pin per pack (BQ2407x /CHG: open-drain, low while the first charge cycle
 *   after power-up runs, released when charge is done, suspended, faulted or without supply:
 *   active-low). A board with one charger per slot wires both /CHG pins.
 * Contacts bounce when the device is dropped into the dock, so the dock line is debounced longer
 * (default 50 ms) than the status pins (default 10 ms).
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { Charger, DockState } from '../battery.ts';
import type { DigitalInput, GpioController, Level } from '../bus/gpio.ts';
import { assertDistinctLines, assertOptionsObject, claimAll, lineNumber, optionalBoolean } from './gpio-lines.ts';

export interface GpioChargerOptions {
  gpio: GpioController;
  name?: string;
  lines: { dock: number; powerGood: number; charging: readonly [number, number] };
  /** Polarity per signal (default: all active-low, as open-drain status pins and contacts to ground are). */
  activeLow?: { dock?: boolean; powerGood?: boolean; charging?: boolean };
  /** Debounce in ms (defaults: dock 50, status pins 10). */
  debounceMs?: { dock?: number; status?: number };
}

type Signal = 'dock' | 'powerGood' | 'charging0' | 'charging1';

function debounce(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1000) {
    throw new InvalidOptionsError(`${what} must be a number in 0..1000 ms, got ${JSON.stringify(value)}`);
  }
  return value;
}

export class GpioCharger extends DeviceBase implements Charger {
  private readonly changeSubject = new Subject<DockState>();
  readonly changes$: Observable<DockState> = this.changeSubject.asObservable();
  private readonly levels: Record<Signal, Level> = { dock: 0, powerGood: 0, charging0: 0, charging1: 0 };
  private readonly subscriptions: Subscription[] = [];

  static async open(options: GpioChargerOptions): Promise<GpioCharger> {
    assertOptionsObject(options, 'charger');
    const name = options.name ?? 'charger';
    if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
    assertOptionsObject(options.lines, `${name}: lines`);
    const charging = options.lines.charging;
    if (!Array.isArray(charging) || charging.length !== 2) throw new InvalidOptionsError(`${name}: lines.charging must list two lines (slot A, slot B)`);
    const lines: Record<Signal, number> = {
      dock: lineNumber(options.lines.dock, `${name}: lines.dock`),
      powerGood: lineNumber(options.lines.powerGood, `${name}: lines.powerGood`),
      charging0: lineNumber(charging[0], `${name}: lines.charging[0]`),
      charging1: lineNumber(charging[1], `${name}: lines.charging[1]`),
    };
    assertDistinctLines(lines, name);
    const pol = options.activeLow ?? {};
    assertOptionsObject(pol, `${name}: activeLow`);
    const deb = options.debounceMs ?? {};
    assertOptionsObject(deb, `${name}: debounceMs`);
    const dockLow = optionalBoolean(pol.dock, `${name}: activeLow.dock`, true);
    const pgLow = optionalBoolean(pol.powerGood, `${name}: activeLow.powerGood`, true);
    const chgLow = optionalBoolean(pol.charging, `${name}: activeLow.charging`, true);
    const dockMs = debounce(deb.dock, 50, `${name}: debounceMs.dock`);
    const statusMs = debounce(deb.status, 10, `${name}: debounceMs.status`);
    const signals: Signal[] = ['dock', 'powerGood', 'charging0', 'charging1'];
    const inputs = await claimAll(
      signals.map(
        (s) => () =>
          options.gpio.input({
            line: lines[s],
            edge: 'both',
            activeLow: s === 'dock' ? dockLow : s === 'powerGood' ? pgLow : chgLow,
            debounceMs: s === 'dock' ? dockMs : statusMs,
          }),
      ),
    );
    const charger = new GpioCharger(name, signals, inputs);
    try {
      await charger.start();
    } catch (err) {
      await charger.close();
      throw err;
    }
    return charger;
  }

  private constructor(
    name: string,
    private readonly signals: Signal[],
    private readonly inputs: DigitalInput[],
  ) {
    super(name);
  }

  private async start(): Promise<void> {
    for (let i = 0; i < this.inputs.length; i++) {
      const signal = this.signals[i];
      this.levels[signal] = await this.inputs[i].read();
      this.subscriptions.push(
        this.inputs[i].changes$.subscribe(({ value }) => {
          if (this.levels[signal] === value) return;
          this.levels[signal] = value;
          this.changeSubject.next(this.state());
        }),
      );
    }
  }

  /** The debounced state (what `changes$` last reported). */
  async read(): Promise<DockState> {
    this.assertOpen();
    return this.state();
  }

  private state(): DockState {
    return {
      docked: this.levels.dock === 1,
      externalPower: this.levels.powerGood === 1,
      charging: [this.levels.charging0 === 1, this.levels.charging1 === 1],
    };
  }

  protected override async onClose(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.allSettled(this.inputs.map((i) => i.close()));
    this.changeSubject.complete();
  }
}
