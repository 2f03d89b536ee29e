/**
 * The default drivers of a Linux board: each `LinuxBoardFactories` entry builds the real driver
 * (hal/drivers, hal/linux) from exactly what the board file says — the bus and address of an I2C
 * part, the pins and polarities of a GPIO part, the block device of the card slot.
 *
 * Where a driver takes one setting for a group of lines and the board file has one per line, the
 * factory maps it and refuses what the driver cannot do (two IR-cut bridge inputs of opposite
 * polarity) with `InvalidOptionsError` before any line is claimed; buttons with different
 * polarity or debounce open one driver per group behind a single `Buttons`.
 *
 * Serial parts (GNSS, radar) get a `ByteLink` over the serial device from `openSerial`: by
 * default the serial port itself (hal/linux/serial-link.ts); tests hand in in-memory links.
 */
import { merge, type Observable } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { ByteLink } from '../link.ts';
import type { InputPinSpec, PinsSpec } from '../board-file.ts';
import { BUTTON_NAMES, type ButtonEvent, type ButtonName, type Buttons } from '../buttons.ts';
import { Bh1750 } from '../drivers/bh1750.ts';
import { Ds3231 } from '../drivers/ds3231.ts';
import { Max17048 } from '../drivers/max17048.ts';
import { Sht31 } from '../drivers/sht31.ts';
import { Tca9548a } from '../drivers/tca9548a.ts';
import { Veml7700 } from '../drivers/veml7700.ts';
import { GpioButtons } from '../drivers/gpio-buttons.ts';
import { GpioIndicators, type IndicatorLine } from '../drivers/gpio-indicators.ts';
import { HBridgeIrCut } from '../drivers/ircut-hbridge.ts';
import { GpioIrLight } from '../drivers/gpio-ir-light.ts';
import { GpioCharger } from '../drivers/gpio-charger.ts';
import { GpioPowerPath } from '../drivers/gpio-power-path.ts';
import { NmeaGnss } from '../drivers/nmea-gnss.ts';
import { Ops243Radar } from '../drivers/ops243.ts';
import { SysfsCardSlot, type SysfsCardSlotOptions } from './sysfs-card-slot.ts';
import { TiedLinesController } from './tied-lines.ts';
import type { GpioContext, LinuxBoardFactories, SerialContext } from './board.ts';

/** Opens the serial device a board file names as a byte link (serialport underneath). */
export type OpenByteLink = (ctx: SerialContext) => Promise<ByteLink>;

/** The serial transport of a real board: the device the board file names, at its baud rate (serialport). */
export const openSerialLink: OpenByteLink = async (ctx) => {
  // Loaded when a serial part is opened: boards without one never load serialport.
  const { SerialLink } = await import('./serial-link.ts');
  return SerialLink.open({ path: ctx.serial.device, baudRate: ctx.serial.baud, name: `${ctx.name} (${ctx.serial.device})` });
};

export interface LinuxDriverFactoriesOptions {
  /** Serial transport for GNSS and radar (default: `openSerialLink`, the real serial port); null leaves them without a factory. */
  openSerial?: OpenByteLink | null;
  /** Root of sysfs for the card slot (default "/sys"; tests point it at a fake tree). */
  sysfsRoot?: string;
  /** The mounts table the card slot checks (default "/proc/self/mounts"). */
  mountsFile?: string;
  /** Card presence / identity poll period (ms, default the slot's 500). */
  cardPollMs?: number;
}

/** One polarity for a group of lines, or an `InvalidOptionsError` naming the odd one out. */
function samePolarity(what: string, pins: ReadonlyArray<readonly [string, { activeLow: boolean }]>): boolean {
  const first = pins[0][1].activeLow;
  const odd = pins.find(([, p]) => p.activeLow !== first);
  if (odd) {
    throw new InvalidOptionsError(`${what}: ${pins[0][0]} is ${first ? 'active-low' : 'active-high'} but ${odd[0]} is not; the driver drives these lines with one polarity`);
  }
  return first;
}

export function linuxDriverFactories(options: LinuxDriverFactoriesOptions = {}): LinuxBoardFactories {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('Linux driver factories: options object required');
  const openSerial = options.openSerial === undefined ? openSerialLink : options.openSerial;
  if (openSerial !== null && typeof openSerial !== 'function') throw new InvalidOptionsError('Linux driver factories: openSerial must be a function or null');

  const factories: LinuxBoardFactories = {
    mux: (ctx) => new Tca9548a({ bus: ctx.bus, address: ctx.address, name: ctx.name }),
    light: (ctx) =>
      ctx.part === 'bh1750'
        ? new Bh1750({ bus: ctx.bus, clock: ctx.clock, address: ctx.address, name: ctx.name })
        : new Veml7700({ bus: ctx.bus, clock: ctx.clock, address: ctx.address, name: ctx.name }),
    batteryGauge: (ctx) => new Max17048({ bus: ctx.bus, clock: ctx.clock, address: ctx.address, name: ctx.name, slot: ctx.slot }),
    rtc: (ctx) => new Ds3231({ bus: ctx.bus, clock: ctx.clock, address: ctx.address, name: ctx.name }),
    climate: (ctx) => new Sht31({ bus: ctx.bus, clock: ctx.clock, address: ctx.address, name: ctx.name }),

    buttons: (ctx) => openButtons(ctx),

    indicators: (ctx) => {
      const outputs: Record<string, IndicatorLine> = {};
      for (const [output, pin] of Object.entries(ctx.outputs)) outputs[output] = { line: pin.line, activeLow: pin.activeLow };
      return GpioIndicators.open({ gpio: ctx.gpio, clock: ctx.clock, name: ctx.name, outputs });
    },

    irCut: (ctx) => {
      // Board files name the bridge inputs a and b: night = a driven, day = b driven (docs/bring-up.md §3).
      const activeLow = samePolarity(ctx.name, [
        ['pins.irCut.a', ctx.a],
        ['pins.irCut.b', ctx.b],
      ]);
      return HBridgeIrCut.open({ gpio: ctx.gpio, clock: ctx.clock, name: ctx.name, lines: { night: ctx.a.line, day: ctx.b.line }, pulseMs: ctx.pulseMs, activeLow });
    },

    irLight: (ctx) => GpioIrLight.open({ gpio: ctx.gpio, name: ctx.name, line: ctx.pin.line, activeLow: ctx.pin.activeLow }),

    charger: (ctx) => {
      const gpio = new TiedLinesController(ctx.gpio);
      const line = (pin: InputPinSpec | null, what: string) => (pin ? pin.line : gpio.tie(what));
      const charging = ctx.chargeStatus;
      const chargingLow = charging
        ? samePolarity(ctx.name, [
            ['pins.chargeStatus[0]', charging[0]],
            ['pins.chargeStatus[1]', charging[1]],
          ])
        : true;
      // The driver debounces all status pins alike: take the longest asked for.
      const statusMs = Math.max(ctx.powerGood?.debounceMs ?? 0, charging?.[0].debounceMs ?? 0, charging?.[1].debounceMs ?? 0);
      return GpioCharger.open({
        gpio,
        name: ctx.name,
        lines: {
          dock: line(ctx.dockPresence, 'dock presence'),
          powerGood: line(ctx.powerGood, 'power good'),
          charging: [line(charging?.[0] ?? null, 'charge status A'), line(charging?.[1] ?? null, 'charge status B')],
        },
        activeLow: { dock: ctx.dockPresence?.activeLow ?? true, powerGood: ctx.powerGood?.activeLow ?? true, charging: chargingLow },
        // A pin without debounceMs (0) gets the driver's default: 50 ms for the dock's pogo pins, 10 ms for status pins.
        debounceMs: { dock: ctx.dockPresence?.debounceMs || 50, status: statusMs || 10 },
      });
    },

    powerPath: (ctx) => {
      const present = samePolarity(ctx.name, [
        ['pins.powerPath.present[0]', ctx.present[0]],
        ['pins.powerPath.present[1]', ctx.present[1]],
      ]);
      const active = samePolarity(ctx.name, [
        ['pins.powerPath.active[0]', ctx.active[0]],
        ['pins.powerPath.active[1]', ctx.active[1]],
      ]);
      return GpioPowerPath.open({
        gpio: ctx.gpio,
        name: ctx.name,
        lines: { select: ctx.select.line, present: [ctx.present[0].line, ctx.present[1].line], active: [ctx.active[0].line, ctx.active[1].line] },
        activeLow: { select: ctx.select.activeLow, present, active },
      });
    },

    card: async (ctx) => {
      if (!ctx.sealSwitch) {
        throw new InvalidOptionsError(`${ctx.name}: the board file has a card but no pins.sealSwitch; the slot reports its seal (R-CARD) and needs that input`);
      }
      const s = ctx.sealSwitch;
      const seal = await ctx.gpio.input({ line: s.line, edge: 'both', activeLow: s.activeLow, debounceMs: s.debounceMs });
      try {
        return new OwnSealCardSlot({
          name: ctx.name,
          blockDevice: ctx.device,
          mountPoint: ctx.mountPoint,
          seal,
          clock: ctx.clock,
          sysfsRoot: options.sysfsRoot,
          mountsFile: options.mountsFile,
          pollMs: options.cardPollMs,
        });
      } catch (err) {
        await seal.close();
        throw err;
      }
    },
  };

  if (openSerial) {
    factories.gnss = async (ctx) => withLink(await openSerial(ctx), (link) => new NmeaGnss({ link, clock: ctx.clock, name: ctx.name }));
    factories.radar = async (ctx) => withLink(await openSerial(ctx), (link) => new Ops243Radar({ link, clock: ctx.clock, name: ctx.name }));
  }
  return factories;
}

/** Builds the driver on the link; a driver that refuses its options must not leak the open port. */
async function withLink<T>(link: ByteLink, make: (link: ByteLink) => T): Promise<T> {
  try {
    return make(link);
  } catch (err) {
    await link.close();
    throw err;
  }
}

/** The card slot closes the seal input it was given, since the factory opened it for it. */
class OwnSealCardSlot extends SysfsCardSlot {
  constructor(private readonly options: SysfsCardSlotOptions) {
    super(options);
  }

  protected override async onClose(): Promise<void> {
    try {
      await super.onClose();
    } finally {
      await this.options.seal.close();
    }
  }
}

/** Buttons grouped by polarity and debounce, one `GpioButtons` per group. */
async function openButtons(ctx: GpioContext & { buttons: PinsSpec['buttons'] }): Promise<Buttons> {
  const groups = new Map<string, { activeLow: boolean; debounceMs: number; lines: Partial<Record<ButtonName, number>> }>();
  for (const [button, pin] of Object.entries(ctx.buttons) as Array<[ButtonName, InputPinSpec]>) {
    // A button without debounceMs (0) gets the driver's default (20 ms): an undebounced contact is never wanted.
    const debounceMs = pin.debounceMs || 20;
    const key = `${pin.activeLow}/${debounceMs}`;
    const g = groups.get(key) ?? { activeLow: pin.activeLow, debounceMs, lines: {} };
    g.lines[button] = pin.line;
    groups.set(key, g);
  }
  const opened: GpioButtons[] = [];
  try {
    for (const g of groups.values()) {
      opened.push(await GpioButtons.open({ gpio: ctx.gpio, name: ctx.name, lines: g.lines, activeLow: g.activeLow, debounceMs: g.debounceMs }));
    }
  } catch (err) {
    await Promise.allSettled(opened.map((b) => b.close()));
    throw err;
  }
  return opened.length === 1 ? opened[0] : new ButtonGroups(ctx.name, opened);
}

/** Several button drivers behind one `Buttons`. */
export class ButtonGroups extends DeviceBase implements Buttons {
  readonly events$: Observable<ButtonEvent>;
  /** The buttons this board has. */
  readonly buttons: readonly ButtonName[];

  constructor(
    name: string,
    private readonly groups: readonly GpioButtons[],
  ) {
    super(name);
    this.events$ = merge(...groups.map((g) => g.events$));
    this.buttons = groups.flatMap((g) => g.buttons);
  }

  isPressed(button: ButtonName): boolean {
    this.assertOpen();
    if (!(BUTTON_NAMES as readonly string[]).includes(button)) throw new InvalidOptionsError(`${this.name}: unknown button ${JSON.stringify(button)}`);
    return this.groups.find((g) => g.buttons.includes(button))?.isPressed(button) ?? false;
  }

  protected override async onClose(): Promise<void> {
    await Promise.allSettled(this.groups.map((g) => g.close()));
  }
}
