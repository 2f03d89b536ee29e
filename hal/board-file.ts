/**
 * Board files: a validated JSON or YAML description of one prototype — which device variant it
 * is, which GPIO line drives each button, LED and actuator, which I2C bus and address (and
 * multiplexer channel) each part answers on, which serial device carries GNSS, radar and the
 * dock link, the camera, storage mount points and the card device.
 *
 * `parseBoardFile` collects every problem before failing and names the offending field
 * (`pins.leds.red.line: BCM 17 is already used by pins.buttons.record`), so a hardware engineer
 * can fix a file in one pass. The parsed `BoardFile` is plain data with defaults filled in.
 */
import { parse as parseYaml } from 'yaml';
import { DozorError } from './errors.ts';
import { DEVICE_VARIANTS, type DeviceVariant } from './board.ts';

export type Platform = 'raspberry-pi' | 'firmata';
export const PLATFORMS: readonly Platform[] = ['raspberry-pi', 'firmata'];

export type Pull = 'up' | 'down' | 'none';

/** Which Raspberry Pi the prototype is built on (UART names and overlays differ). */
export type PiComputer = 'zero2w' | 'pi3' | 'pi4' | 'cm4' | 'pi5';
export const PI_COMPUTERS: readonly PiComputer[] = ['zero2w', 'pi3', 'pi4', 'cm4', 'pi5'];

export interface InputPinSpec {
  /** BCM line on a Pi; Arduino digital pin number on a Firmata board. */
  line: number;
  activeLow: boolean;
  debounceMs: number;
  /** Bias to configure (config.txt `gpio=` line on a Pi, INPUT_PULLUP on Firmata); null = leave as is. */
  pull: Pull | null;
}

export interface OutputPinSpec {
  line: number;
  activeLow: boolean;
}

export interface PinsSpec {
  buttons: Partial<Record<'record' | 'marker' | 'pause' | 'power', InputPinSpec>>;
  leds: Partial<Record<'red' | 'green' | 'amber', OutputPinSpec>>;
  buzzer: OutputPinSpec | null;
  vibration: OutputPinSpec | null;
  /** The bistable IR-cut actuator's H-bridge inputs and pulse length. */
  irCut: { a: OutputPinSpec; b: OutputPinSpec; pulseMs: number } | null;
  irLed: OutputPinSpec | null;
  sealSwitch: InputPinSpec | null;
  dockPresence: InputPinSpec | null;
  powerGood: InputPinSpec | null;
  /** Charger status per battery slot (slot A, slot B). */
  chargeStatus: [InputPinSpec, InputPinSpec] | null;
  /**
   * Power-path controller (dual ideal-diode / priority OR, LTC4415-class): the preferred-pack
   * select output, per slot the pack-present contact in the battery bay, and per slot the
   * controller's "this pack feeds the rail" status pin (LTC4415 STAT1/STAT2).
   */
  powerPath: { select: OutputPinSpec; present: [InputPinSpec, InputPinSpec]; active: [InputPinSpec, InputPinSpec] } | null;
}

export type I2cPart = 'veml7700' | 'bh1750' | 'max17048' | 'tca9548a' | 'ds3231' | 'sht31';

/** Datasheet addresses each part can answer on (see research/hardware-facts.md). */
export const I2C_PART_ADDRESSES: Readonly<Record<I2cPart, readonly number[]>> = {
  veml7700: [0x10],
  bh1750: [0x23, 0x5c],
  max17048: [0x36],
  tca9548a: [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77],
  ds3231: [0x68],
  sht31: [0x44, 0x45],
};
export const I2C_PARTS = Object.keys(I2C_PART_ADDRESSES) as I2cPart[];

/** What the board uses a part for. */
export type I2cRole = 'light' | 'battery' | 'rtc' | 'climate' | 'mux';
export const PART_ROLE: Readonly<Record<I2cPart, I2cRole>> = {
  veml7700: 'light',
  bh1750: 'light',
  max17048: 'battery',
  tca9548a: 'mux',
  ds3231: 'rtc',
  sht31: 'climate',
};

export interface I2cDeviceSpec {
  part: I2cPart;
  address: number;
  /** The multiplexer channel the part sits behind, or null when it is directly on the bus. */
  mux: { address: number; channel: number } | null;
  /** Battery slot (0 = A, 1 = B) for fuel gauges; null otherwise. */
  slot: 0 | 1 | null;
  /** Field path in the board file, for messages ("i2c[0].devices[2]"). */
  path: string;
}

export interface I2cBusSpec {
  /** /dev/i2c-N */
  bus: number;
  /** SDA and SCL lines the bus occupies (BCM 2, 3 for bus 1 on a Pi), or null when unknown. */
  pins: [number, number] | null;
  devices: I2cDeviceSpec[];
}

export interface SerialSpec {
  device: string;
  baud: number;
}

export interface SerialsSpec {
  gnss: SerialSpec | null;
  radar: (SerialSpec & { model: 'ops243' }) | null;
  dock: SerialSpec | null;
}

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  bitrate: number;
  keyframeInterval: number;
}

export interface CameraSpec {
  /** `auto` picks rpicam-* when present, the legacy raspistill stack otherwise. */
  stack: 'auto' | 'rpicam' | 'raspistill';
  /** rpicam `--camera` index. */
  index: number;
  video: VideoSpec;
  still: { width: number; height: number };
  tuningFile: string | null;
}

/** An LDR in a voltage divider on an analog input (Firmata rigs); see docs/bring-up.md for calibration. */
export interface LdrSpec {
  /** Analog pin, "A0".."A15". */
  pin: string;
  /** The fixed divider resistor (Ω). */
  fixedOhms: number;
  /** LDR resistance at 10 lx (Ω), from the datasheet or a two-point calibration. */
  r10Ohms: number;
  /** The LDR's gamma: log10(R10/R100) for a one-decade step in light. */
  gamma: number;
  /** Whether the LDR is between the supply and the ADC input (top) or between the input and ground (bottom). */
  ldrPosition: 'top' | 'bottom';
}

export interface BoardFile {
  name: string;
  description: string;
  variant: DeviceVariant;
  platform: Platform;
  /** The Raspberry Pi model, or null when not given (and on Firmata rigs). */
  computer: PiComputer | null;
  gpio: { backend: 'auto' | 'sysfs' | 'gpiod'; chipLabel: string | null };
  firmata: { port: string; baud: number } | null;
  pins: PinsSpec;
  i2c: I2cBusSpec[];
  serial: SerialsSpec;
  camera: CameraSpec | null;
  extraCameras: CameraSpec[];
  /** Analog light sensor on a Firmata rig (instead of an I2C light sensor). */
  ldr: LdrSpec | null;
  storage: { internal: string; card: string };
  card: { device: string } | null;
}

export interface BoardFileIssue {
  /** Field path, e.g. "pins.leds.red.line" or "i2c[0].devices[2].address". */
  path: string;
  message: string;
}

export class BoardFileError extends DozorError {
  constructor(
    readonly source: string,
    readonly issues: readonly BoardFileIssue[],
  ) {
    const list = issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n');
    super('EBOARDFILE', `board file ${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${list}`);
  }
}

/** Raspberry Pi 40-pin header GPIOs. 0 and 1 carry the HAT ID EEPROM bus. */
const PI_HEADER_LINES = { min: 2, max: 27 };
const HEADER_UARTS = new Set(['/dev/serial0', '/dev/ttyAMA0', '/dev/ttyS0']);
const DEFAULT_I2C_PINS: Record<number, [number, number]> = { 1: [2, 3] };

/** Parses and validates a board file given as text (JSON or YAML, chosen by `source`'s extension or content). */
export function parseBoardFile(text: string, source = 'board file'): BoardFile {
  let raw: unknown;
  try {
    raw = /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new BoardFileError(source, [{ path: '', message: `not valid ${/\.json$/i.test(source) ? 'JSON' : 'YAML'}: ${(err as Error).message}` }]);
  }
  return validateBoardFile(raw, source);
}

/** Validates an already-parsed object (from JSON, YAML or code). */
export function validateBoardFile(raw: unknown, source = 'board file'): BoardFile {
  const r = new Reader();
  const file = readBoard(r, raw);
  if (r.issues.length === 0 && file) checkConflicts(r, file);
  if (r.issues.length > 0 || !file) throw new BoardFileError(source, r.issues);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Field reader: records an issue and returns a fallback instead of throwing, so every problem
// in the file is reported at once.

class Reader {
  readonly issues: BoardFileIssue[] = [];

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`);
      return null;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.fail(join(path, key), `unknown field (expected one of: ${known.join(', ')})`);
    }
    return value as Record<string, unknown>;
  }

  string(value: unknown, path: string, fallback = ''): string {
    if (typeof value !== 'string' || value.trim().length === 0) {
      this.fail(path, `must be a non-empty string, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  int(value: unknown, path: string, min: number, max: number, what = 'an integer'): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be ${what} in ${min}..${max}, got ${describe(value)}`);
      return min;
    }
    return value;
  }

  number(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(path, `must be a number in ${min}..${max}, got ${describe(value)}`);
      return min;
    }
    return value;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') {
      this.fail(path, `must be true or false, got ${describe(value)}`);
      return false;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
      return allowed[0];
    }
    return value as T;
  }

  /** 7-bit address as a number (YAML 0x36) or a hex string ("0x36", needed in JSON). */
  address(value: unknown, path: string): number {
    const n = typeof value === 'string' && /^0x[0-9a-f]{1,2}$/i.test(value) ? parseInt(value, 16) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0x03 || n > 0x77) {
      this.fail(path, `must be a 7-bit I2C address in 0x03..0x77, got ${describeAddress(value)}`);
      return -1;
    }
    return n;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) {
      this.fail(path, `must be a list, got ${describe(value)}`);
      return [];
    }
    return value;
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function describeAddress(value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value) ? `0x${value.toString(16).padStart(2, '0')}` : describe(value);
}

// ---------------------------------------------------------------------------------------------

const TOP_FIELDS = ['name', 'description', 'variant', 'platform', 'computer', 'gpio', 'firmata', 'pins', 'i2c', 'serial', 'camera', 'extraCameras', 'ldr', 'storage', 'card'];

function readBoard(r: Reader, raw: unknown): BoardFile | null {
  const o = r.object(raw, '', TOP_FIELDS);
  if (!o) return null;
  const platform = r.oneOf(o.platform, 'platform', PLATFORMS);
  const lineRange = platform === 'raspberry-pi' ? { min: 0, max: 27, what: 'a BCM line' } : { min: 0, max: 69, what: 'an Arduino digital pin' };
  const gpio = readGpio(r, o.gpio, platform);
  const firmata = readFirmata(r, o.firmata, platform);
  return {
    name: r.string(o.name, 'name', 'unnamed'),
    description: o.description === undefined ? '' : r.string(o.description, 'description'),
    variant: r.oneOf(o.variant, 'variant', DEVICE_VARIANTS),
    platform,
    computer: o.computer === undefined ? null : r.oneOf(o.computer, 'computer', PI_COMPUTERS),
    gpio,
    firmata,
    pins: readPins(r, o.pins ?? {}, lineRange),
    i2c: o.i2c === undefined ? [] : r.array(o.i2c, 'i2c').map((b, i) => readI2cBus(r, b, join('i2c', i))),
    serial: readSerials(r, o.serial ?? {}),
    camera: o.camera === undefined || o.camera === null ? null : readCamera(r, o.camera, 'camera'),
    extraCameras: o.extraCameras === undefined ? [] : r.array(o.extraCameras, 'extraCameras').map((c, i) => readCamera(r, c, join('extraCameras', i))),
    ldr: o.ldr === undefined || o.ldr === null ? null : readLdr(r, o.ldr, platform),
    storage: readStorage(r, o.storage),
    card: o.card === undefined || o.card === null ? null : readCard(r, o.card),
  };
}

function readGpio(r: Reader, raw: unknown, platform: Platform): BoardFile['gpio'] {
  if (raw === undefined) return { backend: 'auto', chipLabel: null };
  if (platform !== 'raspberry-pi') r.fail('gpio', 'only applies to platform raspberry-pi');
  const o = r.object(raw, 'gpio', ['backend', 'chipLabel']);
  if (!o) return { backend: 'auto', chipLabel: null };
  return {
    backend: o.backend === undefined ? 'auto' : r.oneOf(o.backend, 'gpio.backend', ['auto', 'sysfs', 'gpiod'] as const),
    chipLabel: o.chipLabel === undefined ? null : r.string(o.chipLabel, 'gpio.chipLabel'),
  };
}

function readFirmata(r: Reader, raw: unknown, platform: Platform): BoardFile['firmata'] {
  if (raw === undefined) {
    if (platform === 'firmata') r.fail('firmata', 'required for platform firmata (the serial port of the Arduino)');
    return null;
  }
  if (platform !== 'firmata') r.fail('firmata', 'only applies to platform firmata');
  const o = r.object(raw, 'firmata', ['port', 'baud']);
  if (!o) return null;
  return { port: r.string(o.port, 'firmata.port'), baud: o.baud === undefined ? 57600 : r.int(o.baud, 'firmata.baud', 300, 2_000_000) };
}

type LineRange = { min: number; max: number; what: string };

function readInputPin(r: Reader, raw: unknown, path: string, range: LineRange): InputPinSpec {
  if (typeof raw === 'number') return { line: r.int(raw, path, range.min, range.max, range.what), activeLow: false, debounceMs: 0, pull: null };
  const o = r.object(raw, path, ['line', 'activeLow', 'debounceMs', 'pull']);
  if (!o) return { line: -1, activeLow: false, debounceMs: 0, pull: null };
  return {
    line: r.int(o.line, join(path, 'line'), range.min, range.max, range.what),
    activeLow: o.activeLow === undefined ? false : r.bool(o.activeLow, join(path, 'activeLow')),
    debounceMs: o.debounceMs === undefined ? 0 : r.int(o.debounceMs, join(path, 'debounceMs'), 0, 1000),
    pull: o.pull === undefined ? null : r.oneOf(o.pull, join(path, 'pull'), ['up', 'down', 'none'] as const),
  };
}

function readOutputPin(r: Reader, raw: unknown, path: string, range: LineRange): OutputPinSpec {
  if (typeof raw === 'number') return { line: r.int(raw, path, range.min, range.max, range.what), activeLow: false };
  const o = r.object(raw, path, ['line', 'activeLow']);
  if (!o) return { line: -1, activeLow: false };
  return {
    line: r.int(o.line, join(path, 'line'), range.min, range.max, range.what),
    activeLow: o.activeLow === undefined ? false : r.bool(o.activeLow, join(path, 'activeLow')),
  };
}

function readPair<T>(r: Reader, raw: unknown, path: string, one: (v: unknown, p: string) => T): [T, T] | null {
  const list = r.array(raw, path);
  if (list.length !== 2) {
    if (Array.isArray(raw)) r.fail(path, `must list exactly two entries (slot A, slot B), got ${list.length}`);
    return null;
  }
  return [one(list[0], join(path, 0)), one(list[1], join(path, 1))];
}

function readPins(r: Reader, raw: unknown, range: LineRange): PinsSpec {
  const pins: PinsSpec = {
    buttons: {},
    leds: {},
    buzzer: null,
    vibration: null,
    irCut: null,
    irLed: null,
    sealSwitch: null,
    dockPresence: null,
    powerGood: null,
    chargeStatus: null,
    powerPath: null,
  };
  const o = r.object(raw, 'pins', Object.keys(pins));
  if (!o) return pins;
  const input = (v: unknown, p: string) => readInputPin(r, v, p, range);
  const output = (v: unknown, p: string) => readOutputPin(r, v, p, range);
  if (o.buttons !== undefined) {
    const b = r.object(o.buttons, 'pins.buttons', ['record', 'marker', 'pause', 'power']);
    for (const k of ['record', 'marker', 'pause', 'power'] as const) if (b?.[k] !== undefined) pins.buttons[k] = input(b[k], `pins.buttons.${k}`);
  }
  if (o.leds !== undefined) {
    const l = r.object(o.leds, 'pins.leds', ['red', 'green', 'amber']);
    for (const k of ['red', 'green', 'amber'] as const) if (l?.[k] !== undefined) pins.leds[k] = output(l[k], `pins.leds.${k}`);
  }
  if (o.buzzer !== undefined) pins.buzzer = output(o.buzzer, 'pins.buzzer');
  if (o.vibration !== undefined) pins.vibration = output(o.vibration, 'pins.vibration');
  if (o.irLed !== undefined) pins.irLed = output(o.irLed, 'pins.irLed');
  if (o.sealSwitch !== undefined) pins.sealSwitch = input(o.sealSwitch, 'pins.sealSwitch');
  if (o.dockPresence !== undefined) pins.dockPresence = input(o.dockPresence, 'pins.dockPresence');
  if (o.powerGood !== undefined) pins.powerGood = input(o.powerGood, 'pins.powerGood');
  if (o.chargeStatus !== undefined) pins.chargeStatus = readPair(r, o.chargeStatus, 'pins.chargeStatus', input);
  if (o.irCut !== undefined) {
    const c = r.object(o.irCut, 'pins.irCut', ['a', 'b', 'pulseMs']);
    if (c) {
      pins.irCut = {
        a: output(c.a, 'pins.irCut.a'),
        b: output(c.b, 'pins.irCut.b'),
        // 10–150 ms covers the actuators in the research notes (OpenIPC 10 ms, wiki 100 ms).
        pulseMs: c.pulseMs === undefined ? 100 : r.int(c.pulseMs, 'pins.irCut.pulseMs', 10, 150),
      };
    }
  }
  if (o.powerPath !== undefined) {
    // `status` is the phase-1 name of `active` (board files written before the present pins existed).
    const p = r.object(o.powerPath, 'pins.powerPath', ['select', 'present', 'active', 'status']);
    if (p) {
      const select = output(p.select, 'pins.powerPath.select');
      if (p.active !== undefined && p.status !== undefined) r.fail('pins.powerPath.status', 'is the old name of pins.powerPath.active; give only one of them');
      const activeKey = p.active === undefined && p.status !== undefined ? 'status' : 'active';
      const need = (key: string, what: string) => {
        if (p[key] === undefined) {
          r.fail(`pins.powerPath.${key}`, `required: ${what} (two inputs: slot A, slot B); the power-path driver reads them`);
          return null;
        }
        return readPair(r, p[key], `pins.powerPath.${key}`, input);
      };
      const present = need('present', 'the pack-present contacts in the battery bays');
      const active = need(activeKey, "the controller's per-pack status pins (low while that pack feeds the device)");
      if (present && active) pins.powerPath = { select, present, active };
    }
  }
  return pins;
}

function readI2cBus(r: Reader, raw: unknown, path: string): I2cBusSpec {
  const o = r.object(raw, path, ['bus', 'pins', 'devices']);
  if (!o) return { bus: -1, pins: null, devices: [] };
  const bus = r.int(o.bus, join(path, 'bus'), 0, 255, 'an I2C bus number (/dev/i2c-N)');
  let pins: [number, number] | null = DEFAULT_I2C_PINS[bus] ?? null;
  if (o.pins !== undefined) {
    const p = r.array(o.pins, join(path, 'pins'));
    if (p.length !== 2) r.fail(join(path, 'pins'), 'must list [SDA, SCL]');
    else pins = [r.int(p[0], join(join(path, 'pins'), 0), 0, 27, 'a BCM line'), r.int(p[1], join(join(path, 'pins'), 1), 0, 27, 'a BCM line')];
  }
  const devices = r.array(o.devices ?? [], join(path, 'devices')).map((d, i) => readI2cDevice(r, d, join(join(path, 'devices'), i)));
  return { bus, pins, devices };
}

function readI2cDevice(r: Reader, raw: unknown, path: string): I2cDeviceSpec {
  const o = r.object(raw, path, ['part', 'address', 'mux', 'slot']);
  const dev: I2cDeviceSpec = { part: 'veml7700', address: -1, mux: null, slot: null, path };
  if (!o) return dev;
  if (typeof o.part !== 'string' || !(I2C_PARTS as string[]).includes(o.part)) {
    r.fail(join(path, 'part'), `unknown part ${describe(o.part)} (known parts: ${I2C_PARTS.join(', ')})`);
    return dev;
  }
  dev.part = o.part as I2cPart;
  const allowed = I2C_PART_ADDRESSES[dev.part];
  if (o.address === undefined) {
    if (allowed.length === 1) dev.address = allowed[0];
    else r.fail(join(path, 'address'), `required: a ${dev.part} can answer on ${allowed.map(hex).join(' or ')}`);
  } else {
    dev.address = r.address(o.address, join(path, 'address'));
    if (dev.address >= 0 && !allowed.includes(dev.address)) {
      r.fail(join(path, 'address'), `a ${dev.part} answers only on ${allowed.map(hex).join(', ')}, not ${hex(dev.address)}`);
    }
  }
  if (o.mux !== undefined) {
    const m = r.object(o.mux, join(path, 'mux'), ['address', 'channel']);
    if (m) dev.mux = { address: r.address(m.address, join(path, 'mux.address')), channel: r.int(m.channel, join(path, 'mux.channel'), 0, 7, 'a TCA9548A channel') };
    if (dev.part === 'tca9548a') r.fail(join(path, 'mux'), 'multiplexers behind multiplexers are not supported');
  }
  if (dev.part === 'max17048') {
    if (o.slot === undefined) r.fail(join(path, 'slot'), 'required for a fuel gauge: 0 (battery A) or 1 (battery B)');
    else dev.slot = r.int(o.slot, join(path, 'slot'), 0, 1, 'a battery slot') as 0 | 1;
  } else if (o.slot !== undefined) {
    r.fail(join(path, 'slot'), `only fuel gauges (max17048) have a battery slot, not a ${dev.part}`);
  }
  return dev;
}

function readSerial(r: Reader, raw: unknown, path: string, extra: readonly string[] = []): (SerialSpec & Record<string, unknown>) | null {
  const o = r.object(raw, path, ['device', 'baud', ...extra]);
  if (!o) return null;
  const device = r.string(o.device, join(path, 'device'));
  if (device && !device.startsWith('/dev/')) r.fail(join(path, 'device'), `must be a device path under /dev/, got ${JSON.stringify(device)}`);
  return { ...o, device, baud: r.int(o.baud, join(path, 'baud'), 300, 4_000_000, 'a baud rate') };
}

function readSerials(r: Reader, raw: unknown): SerialsSpec {
  const out: SerialsSpec = { gnss: null, radar: null, dock: null };
  const o = r.object(raw, 'serial', ['gnss', 'radar', 'dock']);
  if (!o) return out;
  if (o.gnss !== undefined) {
    const s = readSerial(r, o.gnss, 'serial.gnss');
    if (s) out.gnss = { device: s.device, baud: s.baud };
  }
  if (o.radar !== undefined) {
    const s = readSerial(r, o.radar, 'serial.radar', ['model']);
    if (s) out.radar = { device: s.device, baud: s.baud, model: s.model === undefined ? 'ops243' : r.oneOf(s.model, 'serial.radar.model', ['ops243'] as const) };
  }
  if (o.dock !== undefined) {
    const s = readSerial(r, o.dock, 'serial.dock');
    if (s) out.dock = { device: s.device, baud: s.baud };
  }
  return out;
}

function readCamera(r: Reader, raw: unknown, path: string): CameraSpec {
  const o = r.object(raw, path, ['stack', 'index', 'width', 'height', 'fps', 'bitrate', 'keyframeInterval', 'still', 'tuningFile']);
  const cam: CameraSpec = {
    stack: 'auto',
    index: 0,
    video: { width: 1920, height: 1080, fps: 30, bitrate: 8_000_000, keyframeInterval: 60 },
    still: { width: 2304, height: 1296 },
    tuningFile: null,
  };
  if (!o) return cam;
  if (o.stack !== undefined) cam.stack = r.oneOf(o.stack, join(path, 'stack'), ['auto', 'rpicam', 'raspistill'] as const);
  if (o.index !== undefined) cam.index = r.int(o.index, join(path, 'index'), 0, 7, 'a camera index');
  if (o.width !== undefined) cam.video.width = r.int(o.width, join(path, 'width'), 64, 4096, 'a width in pixels');
  if (o.height !== undefined) cam.video.height = r.int(o.height, join(path, 'height'), 64, 4096, 'a height in pixels');
  if (o.fps !== undefined) cam.video.fps = r.int(o.fps, join(path, 'fps'), 1, 120, 'a frame rate');
  if (o.bitrate !== undefined) cam.video.bitrate = r.int(o.bitrate, join(path, 'bitrate'), 100_000, 50_000_000, 'a bitrate in bit/s');
  if (o.keyframeInterval !== undefined) cam.video.keyframeInterval = r.int(o.keyframeInterval, join(path, 'keyframeInterval'), 1, 600, 'a number of frames');
  if (o.still !== undefined) {
    const s = r.object(o.still, join(path, 'still'), ['width', 'height']);
    if (s) {
      cam.still = {
        width: r.int(s.width, join(path, 'still.width'), 64, 9152, 'a width in pixels'),
        height: r.int(s.height, join(path, 'still.height'), 64, 6944, 'a height in pixels'),
      };
    }
  }
  if (o.tuningFile !== undefined) cam.tuningFile = r.string(o.tuningFile, join(path, 'tuningFile'));
  return cam;
}

function readLdr(r: Reader, raw: unknown, platform: Platform): LdrSpec | null {
  if (platform !== 'firmata') r.fail('ldr', 'an analog LDR needs an ADC: only platform firmata has one');
  const o = r.object(raw, 'ldr', ['pin', 'fixedOhms', 'r10Ohms', 'gamma', 'ldrPosition']);
  if (!o) return null;
  const pin = r.string(o.pin, 'ldr.pin');
  if (pin && !/^A(1[0-5]|[0-9])$/.test(pin)) r.fail('ldr.pin', `must be an analog pin A0..A15, got ${JSON.stringify(pin)}`);
  return {
    pin,
    fixedOhms: r.number(o.fixedOhms, 'ldr.fixedOhms', 100, 10_000_000),
    r10Ohms: r.number(o.r10Ohms, 'ldr.r10Ohms', 100, 10_000_000),
    gamma: r.number(o.gamma, 'ldr.gamma', 0.3, 1.5),
    ldrPosition: o.ldrPosition === undefined ? 'top' : r.oneOf(o.ldrPosition, 'ldr.ldrPosition', ['top', 'bottom'] as const),
  };
}

function readStorage(r: Reader, raw: unknown): BoardFile['storage'] {
  const o = r.object(raw, 'storage', ['internal', 'card']);
  if (!o) return { internal: '', card: '' };
  const internal = r.string(o.internal, 'storage.internal');
  const card = r.string(o.card, 'storage.card');
  for (const [k, v] of [['internal', internal], ['card', card]] as const) {
    if (v && !v.startsWith('/')) r.fail(`storage.${k}`, `must be an absolute path, got ${JSON.stringify(v)}`);
  }
  if (internal && card) {
    const a = internal.replace(/\/+$/, '') + '/';
    const b = card.replace(/\/+$/, '') + '/';
    if (a.startsWith(b) || b.startsWith(a)) r.fail('storage.card', `must not overlap storage.internal (${internal}): evidence on the card and internal state are separate volumes`);
  }
  return { internal, card };
}

function readCard(r: Reader, raw: unknown): BoardFile['card'] {
  const o = r.object(raw, 'card', ['device']);
  if (!o) return null;
  const device = r.string(o.device, 'card.device');
  if (device && !/^mmcblk\d+$/.test(device)) {
    r.fail('card.device', `must be an SD/MMC block device name like mmcblk1 (the CID is only visible on a native SD host, not through a USB reader), got ${JSON.stringify(device)}`);
  }
  return { device };
}

// ---------------------------------------------------------------------------------------------
// Cross-field checks: a resource used twice.

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** Every pin in the file with its field path and spec, in file order. */
export function listPins(file: BoardFile): Array<{ path: string; line: number; direction: 'in' | 'out'; pull: Pull | null }> {
  const out: Array<{ path: string; line: number; direction: 'in' | 'out'; pull: Pull | null }> = [];
  const p = file.pins;
  const input = (path: string, spec: InputPinSpec | null | undefined) => {
    if (spec) out.push({ path, line: spec.line, direction: 'in', pull: spec.pull });
  };
  const output = (path: string, spec: OutputPinSpec | null | undefined) => {
    if (spec) out.push({ path, line: spec.line, direction: 'out', pull: null });
  };
  for (const [k, v] of Object.entries(p.buttons)) input(`pins.buttons.${k}`, v);
  for (const [k, v] of Object.entries(p.leds)) output(`pins.leds.${k}`, v);
  output('pins.buzzer', p.buzzer);
  output('pins.vibration', p.vibration);
  output('pins.irCut.a', p.irCut?.a);
  output('pins.irCut.b', p.irCut?.b);
  output('pins.irLed', p.irLed);
  input('pins.sealSwitch', p.sealSwitch);
  input('pins.dockPresence', p.dockPresence);
  input('pins.powerGood', p.powerGood);
  p.chargeStatus?.forEach((s, i) => input(`pins.chargeStatus[${i}]`, s));
  output('pins.powerPath.select', p.powerPath?.select);
  p.powerPath?.present.forEach((s, i) => input(`pins.powerPath.present[${i}]`, s));
  p.powerPath?.active.forEach((s, i) => input(`pins.powerPath.active[${i}]`, s));
  return out;
}

const ROLE_NAMES: Record<Exclude<I2cRole, 'mux' | 'battery'>, string> = { light: 'light sensor', rtc: 'real-time clock', climate: 'climate sensor' };

function checkConflicts(r: Reader, file: BoardFile): void {
  // Pins: each line once, and not on a line a bus already occupies.
  const owner = new Map<number, string>();
  if (file.platform === 'raspberry-pi') {
    file.i2c.forEach((b, i) => b.pins?.forEach((line) => owner.set(line, `i2c[${i}] (bus ${b.bus} SDA/SCL)`)));
    for (const [role, s] of Object.entries(file.serial)) {
      if (s && HEADER_UARTS.has(s.device) && !(file.computer === 'pi5' && s.device !== '/dev/ttyAMA0')) {
        for (const line of [14, 15]) owner.set(line, `serial.${role} (${s.device} uses BCM 14/15 TXD/RXD)`);
      }
    }
  }
  if (file.platform === 'firmata') {
    // Firmata talks over the Arduino's hardware UART.
    owner.set(0, 'firmata (pin 0 is the Arduino serial RX)');
    owner.set(1, 'firmata (pin 1 is the Arduino serial TX)');
  }
  for (const pin of listPins(file)) {
    if (file.platform === 'raspberry-pi' && (pin.line < PI_HEADER_LINES.min || pin.line > PI_HEADER_LINES.max)) {
      r.fail(pin.path, `BCM ${pin.line} is reserved for the HAT ID EEPROM (ID_SD/ID_SC); use BCM ${PI_HEADER_LINES.min}..${PI_HEADER_LINES.max}`);
      continue;
    }
    const prev = owner.get(pin.line);
    if (prev) r.fail(pin.path, `${file.platform === 'raspberry-pi' ? 'BCM' : 'pin'} ${pin.line} is already used by ${prev}`);
    else owner.set(pin.line, pin.path);
  }

  // Serial devices: one role per device.
  const serialOwner = new Map<string, string>();
  if (file.firmata) serialOwner.set(file.firmata.port, 'firmata.port');
  for (const [role, s] of Object.entries(file.serial)) {
    if (!s) continue;
    const prev = serialOwner.get(s.device);
    if (prev) r.fail(`serial.${role}.device`, `${s.device} is already used by ${prev}`);
    else serialOwner.set(s.device, `serial.${role}`);
  }

  // I2C: bus numbers once, one part per (bus, address) as seen with any mux channel enabled,
  // muxes that exist, and at most one part per role.
  const busSeen = new Map<number, number>();
  const roles = new Map<string, string>();
  file.i2c.forEach((bus, bi) => {
    const prevBus = busSeen.get(bus.bus);
    if (prevBus !== undefined) r.fail(`i2c[${bi}].bus`, `bus ${bus.bus} is already described by i2c[${prevBus}]`);
    busSeen.set(bus.bus, bi);
    const direct = new Map<number, I2cDeviceSpec>();
    const behind = new Map<string, I2cDeviceSpec>();
    for (const d of bus.devices.filter((x) => !x.mux)) {
      const prev = direct.get(d.address);
      if (prev) r.fail(`${d.path}.address`, `${hex(d.address)} on bus ${bus.bus} is already taken by ${prev.part} (${prev.path})`);
      else direct.set(d.address, d);
    }
    for (const d of bus.devices.filter((x) => x.mux)) {
      const mux = d.mux!;
      const m = direct.get(mux.address);
      if (!m || m.part !== 'tca9548a') {
        r.fail(`${d.path}.mux.address`, `no tca9548a multiplexer at ${hex(mux.address)} directly on bus ${bus.bus}`);
        continue;
      }
      const clash = direct.get(d.address);
      if (clash) {
        // With the channel enabled both parts would answer the same address.
        r.fail(`${d.path}.address`, `${hex(d.address)} behind mux channel ${mux.channel} collides with ${clash.part} (${clash.path}) directly on bus ${bus.bus}`);
        continue;
      }
      const key = `${mux.address}/${mux.channel}/${d.address}`;
      const prev = behind.get(key);
      if (prev) r.fail(`${d.path}.mux.channel`, `${hex(d.address)} on mux ${hex(mux.address)} channel ${mux.channel} is already taken by ${prev.part} (${prev.path})`);
      else behind.set(key, d);
    }
    for (const d of bus.devices) {
      const role = PART_ROLE[d.part];
      if (role === 'mux') continue;
      const key = role === 'battery' ? `fuel gauge for battery slot ${d.slot === 1 ? 'B' : 'A'}` : ROLE_NAMES[role];
      const prev = roles.get(key);
      if (prev) r.fail(d.path, `a second ${key} (the first is ${prev})`);
      else roles.set(key, d.path);
    }
  });
  if (file.ldr && roles.has('light sensor')) r.fail('ldr', `a second light sensor (the first is ${roles.get('light sensor')})`);

  if (file.platform === 'firmata' && file.i2c.length > 0) r.fail('i2c', 'Firmata rigs have no Linux I2C bus; wire I2C parts to a Pi');
  if (file.platform === 'firmata' && file.computer) r.fail('computer', 'only applies to platform raspberry-pi');
  if (file.computer === 'pi5' && Object.values(file.serial).some((s) => s?.device === '/dev/serial0')) {
    r.fail('serial', '/dev/serial0 is the 3-pin debug connector (ttyAMA10) on a Pi 5; use /dev/ttyAMA0 for GPIO 14/15 (dtparam=uart0=on)');
  }
  if (file.variant !== 'vehicle' && file.extraCameras.length > 0) r.fail('extraCameras', `only the vehicle recorder has further cameras, not a ${file.variant}`);
  if (file.variant === 'radar' && !file.serial.radar) r.fail('serial.radar', 'required for variant radar');
}
