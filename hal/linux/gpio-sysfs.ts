/**
 * GPIO through the kernel's sysfs interface, using onoff. onoff itself knows nothing of chip
 * bases (it writes the number it is given to /sys/class/gpio/export), so this controller maps
 * BCM lines through the header chip's base (see gpio-chips.ts). Edges come from onoff's epoll
 * watcher; debounce runs on the injected clock, not onoff's lodash timer, so it is testable
 * under virtual time and the same on every backend.
 *
 * onoff cannot set pull-ups: configure bias in config.txt (`gpio=17=ip,pu`; see docs/bring-up.md).
 */
import { createRequire } from 'node:module';
import type { Gpio as OnoffGpio } from 'onoff';
import type { Clock } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { BusError, DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import type { DigitalInput, DigitalOutput, GpioController, InputOptions, Level, OutputOptions } from '../bus/gpio.ts';
import { DEFAULT_SYSFS_GPIO_ROOT, pickHeaderChip, readSysfsChips, type SysfsGpioChip } from './gpio-chips.ts';
import { DebouncedInput, LineClaims, checkLevel, requireObject, validateInputOptions, validateOutputOptions, type ValidInputOptions, type ValidOutputOptions } from './gpio-lines.ts';

/** The part of the onoff module we use; injectable so tests can load onoff over a fake sysfs. */
export interface OnoffModule {
  Gpio: typeof OnoffGpio;
}

export interface SysfsGpioOptions {
  clock: Clock;
  name?: string;
  /** Where the GPIO class lives; only used to read the chips (onoff always uses /sys/class/gpio). */
  sysfsRoot?: string;
  /** Use the chip with this label instead of the first known Raspberry Pi header chip. */
  chipLabel?: string | null;
  /** The onoff module (default: `require('onoff')`). */
  onoff?: OnoffModule;
}

export class SysfsGpioController extends DeviceBase implements GpioController {
  private readonly claims = new LineClaims();
  private readonly lines = new Set<DeviceBase>();

  private constructor(
    name: string,
    readonly chip: SysfsGpioChip,
    private readonly clock: Clock,
    private readonly onoff: OnoffModule,
  ) {
    super(name);
  }

  /** Validates the options, then reads the chips from sysfs and picks the header chip. */
  static async open(options: SysfsGpioOptions): Promise<SysfsGpioController> {
    requireObject(options, 'sysfs GPIO');
    if (!options.clock) throw new InvalidOptionsError('sysfs GPIO: clock required');
    const name = options.name ?? 'GPIO (sysfs)';
    if (options.chipLabel != null) check.string(options.chipLabel, `${name}: chipLabel`);
    const chip = pickHeaderChip(await readSysfsChips(options.sysfsRoot ?? DEFAULT_SYSFS_GPIO_ROOT), options.chipLabel);
    const onoff = options.onoff ?? (createRequire(import.meta.url)('onoff') as OnoffModule);
    return new SysfsGpioController(name, chip, options.clock, onoff);
  }

  /** The kernel's sysfs number for a BCM line. */
  sysfsNumber(line: number): number {
    return this.chip.base + line;
  }

  async input(options: InputOptions): Promise<DigitalInput> {
    this.assertOpen();
    const opts = validateInputOptions(options, `${this.name} input`, this.chip.ngpio);
    this.claims.claim(opts.line, 'an input');
    try {
      const gpio = this.openLine(opts.line, 'in', opts.edge === 'none' ? 'none' : 'both', opts.activeLow);
      const input = new SysfsInput(`GPIO ${opts.line}`, gpio, this.clock, opts, () => this.forget(input, opts.line));
      this.lines.add(input);
      return input;
    } catch (err) {
      this.claims.release(opts.line);
      throw err;
    }
  }

  async output(options: OutputOptions): Promise<DigitalOutput> {
    this.assertOpen();
    const opts = validateOutputOptions(options, `${this.name} output`, this.chip.ngpio);
    this.claims.claim(opts.line, 'an output');
    try {
      // sysfs "high"/"low" set the *raw* level (gpiolib-sysfs direction_store), before active_low
      // applies, so the initial logical value has to be translated here.
      const physical = (opts.initial ^ (opts.activeLow ? 1 : 0)) as Level;
      const gpio = this.openLine(opts.line, physical ? 'high' : 'low', undefined, opts.activeLow);
      const output = new SysfsOutput(`GPIO ${opts.line}`, gpio, opts, () => this.forget(output, opts.line));
      this.lines.add(output);
      return output;
    } catch (err) {
      this.claims.release(opts.line);
      throw err;
    }
  }

  private openLine(line: number, direction: 'in' | 'high' | 'low', edge: 'none' | 'both' | undefined, activeLow: boolean): OnoffGpio {
    const n = this.sysfsNumber(line);
    try {
      // edge undefined: onoff then leaves the edge file alone (outputs may not have one).
      return new this.onoff.Gpio(n, direction, edge, { activeLow });
    } catch (err) {
      throw mapSysfsError(err, `GPIO ${line} (sysfs gpio${n} on ${this.chip.label})`);
    }
  }

  private forget(line: DeviceBase, n: number): void {
    this.lines.delete(line);
    this.claims.release(n);
  }

  protected override async onClose(): Promise<void> {
    await Promise.all([...this.lines].map((l) => l.close()));
  }
}

class SysfsInput extends DebouncedInput {
  private readonly onValue = (err: Error | null | undefined, value: 0 | 1) => {
    if (err) this.fail(mapSysfsError(err, this.name));
    else this.feed(value);
  };

  constructor(
    name: string,
    private readonly gpio: OnoffGpio,
    clock: Clock,
    opts: ValidInputOptions,
    private readonly onRelease: () => void,
  ) {
    super(name, opts.line, clock, opts);
    if (opts.edge !== 'none') {
      this.startDebounce(gpio.readSync());
      gpio.watch(this.onValue);
    }
  }

  async read(): Promise<Level> {
    this.assertOpen();
    try {
      return this.gpio.readSync();
    } catch (err) {
      throw mapSysfsError(err, this.name);
    }
  }

  protected release(): void {
    try {
      this.gpio.unwatchAll();
      this.gpio.unexport();
    } finally {
      this.onRelease();
    }
  }
}

class SysfsOutput extends DeviceBase implements DigitalOutput {
  readonly line: number;
  private current: Level;

  constructor(
    name: string,
    private readonly gpio: OnoffGpio,
    opts: ValidOutputOptions,
    private readonly onRelease: () => void,
  ) {
    super(name);
    this.line = opts.line;
    this.current = opts.initial;
  }

  get value(): Level {
    return this.current;
  }

  async write(value: Level): Promise<void> {
    this.assertOpen();
    const v = checkLevel(value, `${this.name}: value`);
    try {
      // A sysfs `value` write is handled inside the kernel (gpiolib) and returns in microseconds;
      // the synchronous call puts the level on the pin at the clock instant it was decided, so
      // an IR-cut pulse or a beep lasts exactly what the clock says, also under virtual time.
      this.gpio.writeSync(v);
    } catch (err) {
      throw mapSysfsError(err, this.name);
    }
    this.current = v;
  }

  protected override onClose(): void {
    try {
      this.gpio.unexport();
    } finally {
      this.onRelease();
    }
  }
}

/** Kernel errno → typed error, with the hint a hardware engineer needs. */
export function mapSysfsError(err: unknown, what: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EINVAL':
      return new DeviceNotFoundError(what, 'the kernel rejected the GPIO number (wrong chip base? see docs/bring-up.md, "sysfs GPIO numbers")');
    case 'EBUSY':
      return new BusError(`${what}: line is in use (a device-tree overlay or another process holds it)`, { cause: err });
    case 'EACCES':
      return new BusError(`${what}: permission denied; run as a member of the gpio group`, { cause: err });
    case 'EPERM':
      return new BusError(`${what}: operation not permitted (EPERM: writing a line that is not an output?)`, { cause: err });
    case 'ENOENT':
      return new DeviceNotFoundError(what, 'no sysfs GPIO interface (kernel built without CONFIG_GPIO_SYSFS? use the gpiod backend)');
    default:
      return new BusError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
