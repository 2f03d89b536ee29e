/**
 * The power path of a two-pack device on GPIO: a dual ideal-diode / priority controller ORs the
 * packs (and external power) onto the system rail and fails over by itself; the firmware only
 * says which pack it prefers and reads what happens.
 * - `select` output: logical 0 prefers slot A (0), logical 1 prefers slot B (1);
 * - per slot a pack-present input (a contact in the battery bay closing to ground: active-low);
 * - per slot a "pack active" input: the controller's forward-conduction status pin (LTC4415
 *   STAT1/STAT2: open-drain, low while that diode conducts: active-low).
 */
import { DeviceBase } from '../device.ts';
import { DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import type { PowerPath, SlotIndex } from '../battery.ts';
import type { DigitalInput, DigitalOutput, GpioController, Level } from '../bus/gpio.ts';
import { assertDistinctLines, assertOptionsObject, claimAll, lineNumber, optionalBoolean } from './gpio-lines.ts';

export interface GpioPowerPathOptions {
  gpio: GpioController;
  name?: string;
  lines: { select: number; present: readonly [number, number]; active: readonly [number, number] };
  /** Polarity per signal (defaults: select active-high, present and active active-low). */
  activeLow?: { select?: boolean; present?: boolean; active?: boolean };
  /** Pack preferred at start-up (default 0). */
  initialSlot?: SlotIndex;
}

function pair(value: unknown, what: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw new InvalidOptionsError(`${what} must list two lines (slot A, slot B)`);
  return [lineNumber(value[0], `${what}[0]`), lineNumber(value[1], `${what}[1]`)];
}

function slotIndex(value: unknown, what: string): SlotIndex {
  if (value !== 0 && value !== 1) throw new InvalidOptionsError(`${what} must be slot 0 or 1, got ${JSON.stringify(value)}`);
  return value;
}

export class GpioPowerPath extends DeviceBase implements PowerPath {
  static async open(options: GpioPowerPathOptions): Promise<GpioPowerPath> {
    assertOptionsObject(options, 'power path');
    const name = options.name ?? 'power path';
    if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
    assertOptionsObject(options.lines, `${name}: lines`);
    const select = lineNumber(options.lines.select, `${name}: lines.select`);
    const present = pair(options.lines.present, `${name}: lines.present`);
    const active = pair(options.lines.active, `${name}: lines.active`);
    assertDistinctLines({ select, presentA: present[0], presentB: present[1], activeA: active[0], activeB: active[1] }, name);
    const pol = options.activeLow ?? {};
    assertOptionsObject(pol, `${name}: activeLow`);
    const selectLow = optionalBoolean(pol.select, `${name}: activeLow.select`, false);
    const presentLow = optionalBoolean(pol.present, `${name}: activeLow.present`, true);
    const activeLow = optionalBoolean(pol.active, `${name}: activeLow.active`, true);
    const initial = options.initialSlot === undefined ? 0 : slotIndex(options.initialSlot, `${name}: initialSlot`);
    const devices = await claimAll<DigitalInput | DigitalOutput>([
      () => options.gpio.output({ line: select, activeLow: selectLow, initial }),
      () => options.gpio.input({ line: present[0], activeLow: presentLow }),
      () => options.gpio.input({ line: present[1], activeLow: presentLow }),
      () => options.gpio.input({ line: active[0], activeLow }),
      () => options.gpio.input({ line: active[1], activeLow }),
    ]);
    const [sel, p0, p1, a0, a1] = devices;
    return new GpioPowerPath(name, sel as DigitalOutput, [p0 as DigitalInput, p1 as DigitalInput], [a0 as DigitalInput, a1 as DigitalInput]);
  }

  private constructor(
    name: string,
    private readonly selectOut: DigitalOutput,
    private readonly presentIn: readonly [DigitalInput, DigitalInput],
    private readonly activeIn: readonly [DigitalInput, DigitalInput],
  ) {
    super(name);
  }

  /** The pack the firmware currently prefers. */
  get preferred(): SlotIndex {
    return this.selectOut.value;
  }

  /** True when a pack sits in the slot. */
  async present(slot: SlotIndex): Promise<boolean> {
    this.assertOpen();
    return (await this.presentIn[slotIndex(slot, `${this.name}: slot`)].read()) === 1;
  }

  async active(): Promise<SlotIndex | null> {
    this.assertOpen();
    const [a, b] = await Promise.all([this.activeIn[0].read(), this.activeIn[1].read()]);
    // Both conduct for an instant during a switch-over: report the one we asked for.
    if (a === 1 && b === 1) return this.selectOut.value;
    if (a === 1) return 0;
    if (b === 1) return 1;
    return null;
  }

  async select(slot: SlotIndex): Promise<void> {
    this.assertOpen();
    slotIndex(slot, `${this.name}: select`);
    if ((await this.presentIn[slot].read()) !== 1) throw new DeviceNotFoundError(this.name, `no pack in slot ${slot === 0 ? 'A' : 'B'}`);
    await this.selectOut.write(slot as Level);
  }

  protected override async onClose(): Promise<void> {
    // The select line keeps its level when released: the hardware keeps the chosen pack.
    await Promise.allSettled([this.selectOut, ...this.presentIn, ...this.activeIn].map((d) => d.close()));
  }
}
