/**
 * Builds a `Board` for a real prototype from its board file: opens the GPIO controller (sysfs
 * or libgpiod, or a Firmata board), the I2C buses, the camera and the internal storage, and
 * hands each part to its driver.
 *
 * Chip drivers (VEML7700, MAX17048, DS3231, …), the GPIO-level drivers (buttons, IR-cut, …),
 * the card slot and the serial devices live in other modules; they come in as `factories`
 * (default: the real drivers, hal/linux/factories.ts), each receiving exactly the bus,
 * address, pins or serial device the board file names. Parts the board file does not list become "not fitted" stand-ins; a listed part with
 * no factory is an error before any hardware is touched (or, with `allowMissingDrivers`, a
 * stand-in that names the missing driver — for `dozor doctor`).
 */
import path from 'node:path';
import type { Clock } from '../clock.ts';
import type { Device } from '../device.ts';
import { DozorError, InvalidOptionsError } from '../errors.ts';
import type { Board } from '../board.ts';
import type { AmbientLightSensor } from '../light.ts';
import type { IrCutFilter, IrIlluminator } from '../ir.ts';
import type { BatteryGauge, Charger, PowerPath, SlotIndex } from '../battery.ts';
import type { RealTimeClock } from '../rtc.ts';
import type { ClimateSensor } from '../climate.ts';
import type { Buttons } from '../buttons.ts';
import type { IndicatorOutput, Indicators } from '../indicators.ts';
import type { CardSlot } from '../card.ts';
import type { Storage } from '../storage.ts';
import type { Camera } from '../camera.ts';
import type { Microphone } from '../microphone.ts';
import type { Gnss } from '../gnss.ts';
import type { RadarSensor } from '../radar.ts';
import type { LinkPort } from '../link.ts';
import type { I2cBus } from '../bus/i2c.ts';
import type { GpioController } from '../bus/gpio.ts';
import type { BoardFile, CameraSpec, I2cDeviceSpec, I2cPart, InputPinSpec, OutputPinSpec, PinsSpec, SerialSpec } from '../board-file.ts';
import { FsStorage } from './fs-storage.ts';
import { LinuxI2cBus, type OpenPromisified } from './i2c-bus.ts';
import { openLinuxGpio } from './gpio.ts';
import type { OnoffModule } from './gpio-sysfs.ts';
import { RpicamCamera } from './rpicam-camera.ts';
import {
  AbsentButtons,
  AbsentCamera,
  AbsentCard,
  AbsentCharger,
  AbsentClimate,
  AbsentGauge,
  AbsentIndicators,
  AbsentIrCut,
  AbsentIrLight,
  AbsentLight,
  AbsentMicrophone,
  AbsentPowerPath,
  AbsentRtc,
  AbsentGnss,
  AbsentRadar,
  AbsentLinkPort,
} from './absent.ts';
import { FirmataBoard, type FirmataIo } from '../firmata/firmata-board.ts';
import { FirmataButtons } from '../firmata/buttons.ts';
import { FirmataIndicators } from '../firmata/indicators.ts';
import { FirmataLdrLight } from '../firmata/ldr-light.ts';
import { FirmataGpioController } from '../firmata/gpio.ts';
import { linuxDriverFactories, type OpenByteLink } from './factories.ts';

type Maybe<T> = T | Promise<T>;

/** An I2C part as the board file places it. */
export interface I2cPartContext {
  clock: Clock;
  /** HAL device name ("light sensor", "battery A"). */
  name: string;
  part: I2cPart;
  /** The bus to talk on: the Linux bus, or a multiplexer channel. */
  bus: I2cBus;
  address: number;
  /** "veml7700 at 0x10 on /dev/i2c-1" or "… behind mux 0x70 channel 1", for messages. */
  where: string;
}

export interface GpioContext {
  clock: Clock;
  name: string;
  gpio: GpioController;
}

export interface SerialContext {
  clock: Clock;
  name: string;
  serial: SerialSpec;
}

/** What the TCA9548A driver must provide: a bus per channel (it selects the channel per transfer). */
export interface I2cMux {
  channel(n: number): I2cBus;
  close?(): Promise<void>;
}

export interface LinuxBoardFactories {
  mux?(ctx: I2cPartContext): Maybe<I2cMux>;
  light?(ctx: I2cPartContext): Maybe<AmbientLightSensor>;
  batteryGauge?(ctx: I2cPartContext & { slot: SlotIndex }): Maybe<BatteryGauge>;
  rtc?(ctx: I2cPartContext): Maybe<RealTimeClock>;
  climate?(ctx: I2cPartContext): Maybe<ClimateSensor>;
  buttons?(ctx: GpioContext & { buttons: PinsSpec['buttons'] }): Maybe<Buttons>;
  indicators?(ctx: GpioContext & { outputs: Partial<Record<IndicatorOutput, OutputPinSpec>> }): Maybe<Indicators>;
  irCut?(ctx: GpioContext & { a: OutputPinSpec; b: OutputPinSpec; pulseMs: number }): Maybe<IrCutFilter>;
  irLight?(ctx: GpioContext & { pin: OutputPinSpec }): Maybe<IrIlluminator>;
  charger?(ctx: GpioContext & { dockPresence: InputPinSpec | null; powerGood: InputPinSpec | null; chargeStatus: readonly [InputPinSpec, InputPinSpec] | null }): Maybe<Charger>;
  powerPath?(ctx: GpioContext & { select: OutputPinSpec; present: readonly [InputPinSpec, InputPinSpec]; active: readonly [InputPinSpec, InputPinSpec]; gauges: readonly [BatteryGauge, BatteryGauge] }): Maybe<PowerPath>;
  card?(ctx: GpioContext & { device: string; sealSwitch: InputPinSpec | null; mountPoint: string }): Maybe<CardSlot>;
  gnss?(ctx: SerialContext): Maybe<Gnss>;
  radar?(ctx: SerialContext & { model: 'ops243' }): Maybe<RadarSensor>;
  dockPort?(ctx: SerialContext): Maybe<LinkPort>;
}

export interface LinuxBoardOptions {
  clock: Clock;
  /** The drivers per part; default `linuxDriverFactories()` (hal/linux/factories.ts) with the options below. */
  factories?: LinuxBoardFactories;
  /** Serial transport for GNSS and radar, for the default factories (default: the serial port, hal/linux/serial-link.ts; null: none). */
  openSerial?: OpenByteLink | null;
  /** Root of sysfs for the card slot (default "/sys"), for the default factories. */
  sysfsRoot?: string;
  /** Mounts table the card slot checks (default "/proc/self/mounts"), for the default factories. */
  mountsFile?: string;
  /** Use stand-ins naming the missing driver instead of failing (bring-up self-test). */
  allowMissingDrivers?: boolean;
  /**
   * Bring-up: a part whose driver fails to open (a serial module not plugged in, a wiring the
   * driver refuses) becomes a stand-in that fails with that error, and the rest of the board
   * still opens. The GPIO controller and the I2C buses are still required.
   */
  isolateFailures?: boolean;
  /** Prefix for the board file's absolute paths (storage mount points): a chroot for tests and staging. */
  rootDir?: string;
  /** Environment for the command-line tools (libgpiod, rpicam) — PATH. */
  env?: NodeJS.ProcessEnv;
  sysfsGpioRoot?: string;
  onoff?: OnoffModule;
  /** i2c-bus's openPromisified or a stand-in. */
  i2cOpen?: OpenPromisified;
  /** A Firmata IO plugin instead of opening `firmata.port`. */
  firmataIo?: FirmataIo;
}

/** The board file lists a part whose driver this build does not provide. */
export class MissingDriverError extends DozorError {
  constructor(
    readonly board: string,
    readonly missing: readonly string[],
  ) {
    super('ENODRIVER', `board ${board}: no driver wired for ${missing.join('; ')}`);
  }
}

const NOT_FITTED = 'not fitted on this board (see the board file)';

/** Makes the stand-in for a part: why it is missing, and whether it failed to open. */
type Stand<T> = (reason: string, failed?: boolean) => T;
const SLOT_NAMES = ['battery A', 'battery B'] as const;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

class LinuxBoard implements Board {
  light!: AmbientLightSensor;
  irCut!: IrCutFilter;
  irLight!: IrIlluminator;
  batteries!: readonly [BatteryGauge, BatteryGauge];
  powerPath!: PowerPath;
  charger!: Charger;
  rtc!: RealTimeClock;
  climate!: ClimateSensor;
  buttons!: Buttons;
  indicators!: Indicators;
  card!: CardSlot;
  internal!: Storage;
  camera!: Camera;
  extraCameras: readonly Camera[] = [];
  microphone!: Microphone;
  gnss: Gnss | null = null;
  radar: RadarSensor | null = null;
  dockPort: LinkPort | null = null;
  readonly uplink: LinkPort | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly variant: Board['variant'],
    readonly model: string,
    /** Everything opened, in opening order; closed in reverse. */
    private readonly opened: Array<{ close(): Promise<void> }>,
  ) {}

  close(): Promise<void> {
    this.closing ??= closeAll(this.opened);
    return this.closing;
  }
}

async function closeAll(opened: Array<{ close(): Promise<void> }>): Promise<void> {
  const errors: unknown[] = [];
  for (const d of [...opened].reverse()) {
    try {
      await d.close();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
}

/** What each fitted part needs from `factories`; checked before any hardware is opened. */
function requiredFactories(file: BoardFile): Array<{ factory: keyof LinuxBoardFactories; what: string }> {
  const need: Array<{ factory: keyof LinuxBoardFactories; what: string }> = [];
  for (const bus of file.i2c) {
    for (const d of bus.devices) {
      const where = describeI2c(d, bus.bus);
      const factory = ({ veml7700: 'light', bh1750: 'light', max17048: 'batteryGauge', tca9548a: 'mux', ds3231: 'rtc', sht31: 'climate' } as const)[d.part];
      need.push({ factory, what: where });
    }
  }
  const p = file.pins;
  const pi = file.platform === 'raspberry-pi';
  if (pi && Object.keys(p.buttons).length) need.push({ factory: 'buttons', what: 'buttons (GPIO)' });
  if (pi && (Object.keys(p.leds).length || p.buzzer || p.vibration)) need.push({ factory: 'indicators', what: 'indicators (GPIO)' });
  if (p.irCut) need.push({ factory: 'irCut', what: 'IR-cut filter (H-bridge on GPIO)' });
  if (p.irLed) need.push({ factory: 'irLight', what: 'IR illuminator (GPIO)' });
  if (p.dockPresence || p.powerGood || p.chargeStatus) need.push({ factory: 'charger', what: 'charger (GPIO)' });
  if (p.powerPath) need.push({ factory: 'powerPath', what: 'power path (GPIO)' });
  if (file.card) need.push({ factory: 'card', what: `card slot (${file.card.device})` });
  if (file.serial.gnss) need.push({ factory: 'gnss', what: `GNSS (${file.serial.gnss.device})` });
  if (file.serial.radar) need.push({ factory: 'radar', what: `radar (${file.serial.radar.model} on ${file.serial.radar.device})` });
  if (file.serial.dock) need.push({ factory: 'dockPort', what: `dock port (${file.serial.dock.device})` });
  return need;
}

function describeI2c(d: I2cDeviceSpec, bus: number): string {
  return `${d.part} at ${hex(d.address)} on /dev/i2c-${bus}${d.mux ? ` behind mux ${hex(d.mux.address)} channel ${d.mux.channel}` : ''}`;
}

export async function createLinuxBoard(file: BoardFile, options: LinuxBoardOptions): Promise<Board> {
  if (!options?.clock) throw new InvalidOptionsError('createLinuxBoard: clock required');
  const factories = options.factories ?? linuxDriverFactories({ openSerial: options.openSerial, sysfsRoot: options.sysfsRoot, mountsFile: options.mountsFile });
  const allowMissing = options.allowMissingDrivers ?? false;
  const missing = requiredFactories(file).filter((n) => !factories[n.factory]);
  if (missing.length && !allowMissing) throw new MissingDriverError(file.name, missing.map((m) => m.what));
  const noDriver = (what: string) => `no driver for ${what} wired in this build`;

  const clock = options.clock;
  const opened: Array<{ close(): Promise<void> }> = [];
  const keep = <T extends { close(): Promise<void> }>(d: T): T => {
    opened.push(d);
    return d;
  };
  const board = new LinuxBoard(file.variant, file.description ? `${file.name} (${file.description})` : file.name, opened);
  try {
    // ---- GPIO: the Pi's controller, or the Firmata board's pins ----
    let gpio: GpioController | null = null;
    let firmata: FirmataBoard | null = null;
    if (file.platform === 'firmata') {
      firmata = keep(await FirmataBoard.open({ clock, io: options.firmataIo, port: file.firmata!.port, baud: file.firmata!.baud }));
      gpio = keep(new FirmataGpioController(firmata));
    } else if (needsGpio(file)) {
      gpio = keep(await openLinuxGpio({ clock, backend: file.gpio.backend, chipLabel: file.gpio.chipLabel, sysfsRoot: options.sysfsGpioRoot, onoff: options.onoff, env: options.env }));
    }

    // ---- I2C: buses, multiplexers, then the parts on them ----
    /** bus is null when the part sits behind a multiplexer we have no driver for. */
    const i2cParts: Array<{ spec: I2cDeviceSpec; bus: I2cBus | null; where: string }> = [];
    for (const b of file.i2c) {
      const bus = keep(await LinuxI2cBus.open({ bus: b.bus, open: options.i2cOpen }));
      const muxes = new Map<number, I2cMux | null>();
      for (const d of b.devices.filter((x) => x.part === 'tca9548a')) {
        const where = describeI2c(d, b.bus);
        const mux = factories.mux ? await factories.mux({ clock, name: `I2C mux ${hex(d.address)}`, part: d.part, bus, address: d.address, where }) : null;
        if (mux?.close) keep({ close: () => mux.close!() });
        muxes.set(d.address, mux);
      }
      for (const d of b.devices.filter((x) => x.part !== 'tca9548a')) {
        const mux = d.mux ? muxes.get(d.mux.address) : undefined;
        const reach = d.mux ? (mux ? mux.channel(d.mux.channel) : null) : bus;
        i2cParts.push({ spec: d, bus: reach, where: describeI2c(d, b.bus) });
      }
    }
    const i2cCtx = (x: (typeof i2cParts)[number], bus: I2cBus, name: string): I2cPartContext => ({ clock, name, part: x.spec.part, bus, address: x.spec.address, where: x.where });
    const viaFactory = async <T extends Device>(x: (typeof i2cParts)[number] | undefined, name: string, make: ((ctx: I2cPartContext) => Maybe<T>) | undefined, absent: Stand<T>): Promise<T> => {
      if (!x) return absent(NOT_FITTED);
      if (!make) return absent(noDriver(x.where));
      if (!x.bus) return absent(noDriver(`the multiplexer in front of ${x.where}`));
      const bus = x.bus;
      return openPart(() => make(i2cCtx(x, bus, name)), absent);
    };
    const find = (parts: I2cPart[]) => i2cParts.find((x) => parts.includes(x.spec.part));

    if (file.ldr) {
      board.light = keep(new FirmataLdrLight({ board: firmata!, name: 'light sensor', pin: file.ldr.pin, fixedOhms: file.ldr.fixedOhms, r10Ohms: file.ldr.r10Ohms, gamma: file.ldr.gamma, ldrPosition: file.ldr.ldrPosition }));
    } else {
      board.light = await viaFactory(find(['veml7700', 'bh1750']), 'light sensor', factories.light, (r, f) => new AbsentLight('light sensor', r, f));
    }
    board.rtc = await viaFactory(find(['ds3231']), 'real-time clock', factories.rtc, (r, f) => new AbsentRtc('real-time clock', r, f));
    board.climate = await viaFactory(find(['sht31']), 'climate sensor', factories.climate, (r, f) => new AbsentClimate('climate sensor', r, f));
    const gauges: BatteryGauge[] = [];
    for (const slot of [0, 1] as const) {
      const x = i2cParts.find((p) => p.spec.part === 'max17048' && p.spec.slot === slot);
      const make = factories.batteryGauge;
      gauges.push(await viaFactory(x, SLOT_NAMES[slot], make && ((ctx) => make({ ...ctx, slot })), (r, f) => new AbsentGauge(SLOT_NAMES[slot], r, slot, f)));
    }
    board.batteries = [gauges[0], gauges[1]];

    // ---- GPIO-level parts ----
    const p = file.pins;
    const gctx = (name: string): GpioContext => ({ clock, name, gpio: gpio! });
    if (firmata) {
      board.buttons = Object.keys(p.buttons).length
        ? keep(new FirmataButtons({ board: firmata, buttons: Object.fromEntries(Object.entries(p.buttons).map(([k, v]) => [k, { pin: v.line, activeLow: v.activeLow, debounceMs: v.debounceMs, pull: v.pull === 'up' ? 'up' : 'none' }])) }))
        : new AbsentButtons('buttons', NOT_FITTED);
      const outputs = indicatorOutputs(p);
      board.indicators = Object.keys(outputs).length
        ? keep(new FirmataIndicators({ board: firmata, outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { pin: v.line, activeLow: v.activeLow }])) }))
        : new AbsentIndicators('indicators', NOT_FITTED);
    } else {
      board.buttons = await gpioPart(Object.keys(p.buttons).length > 0, 'buttons', factories.buttons, () => factories.buttons!({ ...gctx('buttons'), buttons: p.buttons }), (r, f) => new AbsentButtons('buttons', r, f));
      const outputs = indicatorOutputs(p);
      board.indicators = await gpioPart(Object.keys(outputs).length > 0, 'indicators', factories.indicators, () => factories.indicators!({ ...gctx('indicators'), outputs }), (r, f) => new AbsentIndicators('indicators', r, f));
    }
    board.irCut = await gpioPart(!!p.irCut, 'IR-cut filter', factories.irCut, () => factories.irCut!({ ...gctx('IR-cut filter'), ...p.irCut! }), (r, f) => new AbsentIrCut('IR-cut filter', r, f));
    board.irLight = await gpioPart(!!p.irLed, 'IR illuminator', factories.irLight, () => factories.irLight!({ ...gctx('IR illuminator'), pin: p.irLed! }), (r, f) => new AbsentIrLight('IR illuminator', r, f));
    board.charger = await gpioPart(
      !!(p.dockPresence || p.powerGood || p.chargeStatus),
      'charger',
      factories.charger,
      () => factories.charger!({ ...gctx('charger'), dockPresence: p.dockPresence, powerGood: p.powerGood, chargeStatus: p.chargeStatus }),
      (r, f) => new AbsentCharger('charger', r, f),
    );
    board.powerPath = await gpioPart(!!p.powerPath, 'power path', factories.powerPath, () => factories.powerPath!({ ...gctx('power path'), select: p.powerPath!.select, present: p.powerPath!.present, active: p.powerPath!.active, gauges: board.batteries }), (r, f) => new AbsentPowerPath('power path', r, f));

    // ---- storage, card, cameras ----
    const root = (abs: string) => (options.rootDir ? path.join(options.rootDir, abs) : abs);
    board.internal = keep(new FsStorage({ name: 'internal storage', root: root(file.storage.internal) }));
    board.card = await gpioPart(
      !!file.card,
      'card slot',
      factories.card,
      () => factories.card!({ ...gctx('card slot'), device: file.card!.device, sealSwitch: p.sealSwitch, mountPoint: root(file.storage.card) }),
      (r, f) => new AbsentCard('card slot', r, f),
    );
    const camera = (spec: CameraSpec, name: string) => keep(new RpicamCamera({ clock, name, index: spec.index, stack: spec.stack, tuningFile: spec.tuningFile, env: options.env }));
    board.camera = file.camera ? camera(file.camera, 'camera') : new AbsentCamera('camera', NOT_FITTED);
    board.extraCameras = file.extraCameras.map((c, i) => camera(c, `camera ${i + 2}`));
    board.microphone = new AbsentMicrophone('microphone', 'no microphone driver on Linux boards yet (audio is recorded with the video)');

    // ---- serial devices ----
    const s = file.serial;
    if (s.gnss) board.gnss = await serialPart(factories.gnss, () => factories.gnss!({ clock, name: 'GNSS', serial: s.gnss! }), (r, f) => new AbsentGnss('GNSS', r, f));
    if (s.radar) board.radar = await serialPart(factories.radar, () => factories.radar!({ clock, name: 'radar', serial: s.radar!, model: s.radar!.model }), (r, f) => new AbsentRadar('radar', r, f));
    if (s.dock) board.dockPort = await serialPart(factories.dockPort, () => factories.dockPort!({ clock, name: 'dock port', serial: s.dock! }), (r, f) => new AbsentLinkPort('dock port', r, f));
    return board;
  } catch (err) {
    await closeAll(opened).catch(() => undefined);
    throw err;
  }

  /** Opens a part; with `isolateFailures` a failure becomes a stand-in that reports it. */
  async function openPart<T extends Device>(make: () => Maybe<T>, absent: Stand<T>): Promise<T> {
    try {
      return keep(await make());
    } catch (err) {
      if (!options.isolateFailures) throw err;
      return absent(`failed to open: ${err instanceof Error ? err.message : String(err)}`, true);
    }
  }

  async function gpioPart<T extends Device>(fitted: boolean, what: string, factory: unknown, make: () => Maybe<T>, absent: Stand<T>): Promise<T> {
    if (!fitted) return absent(NOT_FITTED);
    if (!factory) return absent(noDriver(what));
    return openPart(make, absent);
  }

  async function serialPart<T extends Device>(factory: unknown, make: () => Maybe<T>, absent: Stand<T>): Promise<T | null> {
    // Without a driver a serial part is simply missing from the board (the contract allows null).
    if (!factory) return null;
    return openPart(make, absent);
  }
}

function needsGpio(file: BoardFile): boolean {
  const p = file.pins;
  return Object.keys(p.buttons).length > 0 || Object.keys(p.leds).length > 0 || !!(p.buzzer || p.vibration || p.irCut || p.irLed || p.sealSwitch || p.dockPresence || p.powerGood || p.chargeStatus || p.powerPath);
}

function indicatorOutputs(p: PinsSpec): Partial<Record<IndicatorOutput, OutputPinSpec>> {
  const out: Partial<Record<IndicatorOutput, OutputPinSpec>> = {};
  if (p.leds.red) out['led-red'] = p.leds.red;
  if (p.leds.green) out['led-green'] = p.leds.green;
  if (p.leds.amber) out['led-amber'] = p.leds.amber;
  if (p.buzzer) out.buzzer = p.buzzer;
  if (p.vibration) out.vibration = p.vibration;
  return out;
}
