/**
 * The HAL power devices of the simulated board, over the power model: the power-path controller
 * (which pack feeds the device, the preferred-pack select line) and the charger / dock presence.
 * On a real board these are GPIO lines (select, dock contact, charger status pins); here they
 * read the model directly.
 */
import { BehaviorSubject, Observable, distinctUntilChanged } from 'rxjs';
import type { Charger, DockState, PowerPath, SlotIndex } from '../../hal/battery.ts';
import { DeviceBase } from '../../hal/device.ts';
import { DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../../hal/errors.ts';
import type { PowerSystem } from './power.ts';

export class SimPowerPath extends DeviceBase implements PowerPath {
  constructor(private readonly power: PowerSystem, name = 'power path') {
    super(name);
  }

  async active(): Promise<SlotIndex | null> {
    this.assertOpen();
    const s = this.power.source();
    return typeof s === 'number' ? s : null;
  }

  async select(slot: SlotIndex): Promise<void> {
    this.assertOpen();
    if (slot !== 0 && slot !== 1) throw new InvalidOptionsError(`${this.name}: slot must be 0 or 1, got ${JSON.stringify(slot)}`);
    if (!this.power.pack(slot)) throw new DeviceNotFoundError(this.name, `no pack in slot ${slot}`);
    this.power.setPreferred(slot);
  }
}

export class SimCharger extends DeviceBase implements Charger {
  private readonly state: BehaviorSubject<DockState>;
  readonly changes$: Observable<DockState>;
  private readonly subscription: { unsubscribe(): void };

  constructor(private readonly power: PowerSystem, name = 'charger') {
    super(name);
    this.state = new BehaviorSubject(this.snapshot());
    // Emit on every change (skip the current state, as the contract asks for changes).
    this.changes$ = new Observable<DockState>((sub) => {
      let first = true;
      return this.state.pipe(distinctUntilChanged(sameDockState)).subscribe({
        next: (v) => {
          if (first) first = false;
          else sub.next(v);
        },
        complete: () => sub.complete(),
      });
    });
    this.subscription = this.power.events$.subscribe(() => this.state.next(this.snapshot()));
  }

  async read(): Promise<DockState> {
    if (this.closed) throw new DeviceClosedError(this.name);
    return this.snapshot();
  }

  protected override onClose(): void {
    this.subscription.unsubscribe();
    this.state.complete();
  }

  private snapshot(): DockState {
    return { docked: this.power.docked, externalPower: this.power.externalPower, charging: [this.power.charging(0), this.power.charging(1)] };
  }
}

function sameDockState(a: DockState, b: DockState): boolean {
  return a.docked === b.docked && a.externalPower === b.externalPower && a.charging[0] === b.charging[0] && a.charging[1] === b.charging[1];
}
