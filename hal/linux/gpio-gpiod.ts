/**
 * GPIO through the libgpiod command-line tools, for systems where sysfs GPIO is gone (kernels
 * built without CONFIG_GPIO_SYSFS). Lines are addressed by offset on the header chip's
 * character device, which on a Raspberry Pi equals the BCM number (no base to add).
 *
 * Outputs are written with a set-and-exit gpioset per write, serialised per line. Inputs with
 * edges run one gpiomon per line and track the level from its events; inputs without edges
 * are read with gpioget. Debounce runs on the injected clock.
 */
import type { Clock } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { BusError, InvalidOptionsError } from '../errors.ts';
import type { DigitalInput, DigitalOutput, GpioController, InputOptions, Level, OutputOptions } from '../bus/gpio.ts';
import { pickHeaderChip } from './gpio-chips.ts';
import { GpiodTools, type GpiodChip, type GpiodLineInfo, type GpiodMonitor } from './gpiod-tools.ts';
import { DebouncedInput, LineClaims, checkLevel, requireObject, validateInputOptions, validateOutputOptions, type ValidInputOptions, type ValidOutputOptions } from './gpio-lines.ts';

export interface GpiodGpioOptions {
  clock: Clock;
  name?: string;
  /** Use the chip with this label instead of the first known Raspberry Pi header chip. */
  chipLabel?: string | null;
  /** Environment for the tools (PATH). */
  env?: NodeJS.ProcessEnv;
  /** Timeout for each short-lived tool call (ms), on `clock`. */
  timeoutMs?: number;
}

export class GpiodGpioController extends DeviceBase implements GpioController {
  private readonly claims = new LineClaims();
  private readonly lines = new Set<DeviceBase>();

  private constructor(
    name: string,
    readonly chip: GpiodChip,
    readonly tools: GpiodTools,
    private readonly lineInfo: readonly GpiodLineInfo[],
    private readonly clock: Clock,
  ) {
    super(name);
  }

  static async open(options: GpiodGpioOptions): Promise<GpiodGpioController> {
    requireObject(options, 'gpiod GPIO');
    if (!options.clock) throw new InvalidOptionsError('gpiod GPIO: clock required');
    const name = options.name ?? 'GPIO (libgpiod)';
    if (options.chipLabel != null) check.string(options.chipLabel, `${name}: chipLabel`);
    if (options.timeoutMs !== undefined) check.number(options.timeoutMs, `${name}: timeoutMs`, 1, 60_000);
    const tools = await GpiodTools.probe({ clock: options.clock, env: options.env, timeoutMs: options.timeoutMs });
    const chip = pickHeaderChip(await tools.detect(), options.chipLabel);
    const info = await tools.info(chip.name);
    return new GpiodGpioController(name, chip, tools, info, options.clock);
  }

  async input(options: InputOptions): Promise<DigitalInput> {
    this.assertOpen();
    const opts = validateInputOptions(options, `${this.name} input`, this.chip.ngpio);
    this.checkFree(opts.line);
    this.claims.claim(opts.line, 'an input');
    try {
      const input = new GpiodInput(`GPIO ${opts.line}`, this.chip.name, this.tools, this.clock, opts, () => this.forget(input, opts.line));
      await input.start();
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
    this.checkFree(opts.line);
    this.claims.claim(opts.line, 'an output');
    try {
      await this.tools.set(this.chip.name, opts.line, opts.initial, opts.activeLow);
      const output = new GpiodOutput(`GPIO ${opts.line}`, this.chip.name, this.tools, opts, () => this.forget(output, opts.line));
      this.lines.add(output);
      return output;
    } catch (err) {
      this.claims.release(opts.line);
      throw err;
    }
  }

  /** A line a kernel driver holds (gpio-keys, an LED overlay, SPI chip select) cannot be ours. */
  private checkFree(line: number): void {
    const info = this.lineInfo.find((l) => l.offset === line);
    if (info?.used && info.consumer !== 'gpioset' && info.consumer !== 'gpiomon') {
      throw new BusError(`${this.name}: GPIO ${line}${info.name ? ` (${info.name})` : ''} is in use by "${info.consumer ?? 'the kernel'}"; free it in config.txt`);
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

class GpiodInput extends DebouncedInput {
  private monitor: GpiodMonitor | null = null;
  /** Level tracked from monitor events (tools cannot read a line gpiomon holds). */
  private level: Level = 0;

  constructor(
    name: string,
    private readonly chip: string,
    private readonly tools: GpiodTools,
    clock: Clock,
    opts: ValidInputOptions,
    private readonly onRelease: () => void,
  ) {
    super(name, opts.line, clock, opts);
  }

  async start(): Promise<void> {
    if (this.options.edge === 'none') return;
    this.level = await this.tools.get(this.chip, this.line, this.options.activeLow);
    this.startDebounce(this.level);
    // Monitor both edges: the debouncer needs to see bounce in both directions.
    this.monitor = await this.tools.monitor(
      this.chip,
      this.line,
      this.options.activeLow,
      'both',
      (e) => {
        this.level = e.edge === 'rising' ? 1 : 0;
        this.feed(this.level);
      },
      (err) => this.fail(err),
    );
  }

  async read(): Promise<Level> {
    this.assertOpen();
    if (this.monitor) return this.level;
    return this.tools.get(this.chip, this.line, this.options.activeLow);
  }

  protected async release(): Promise<void> {
    try {
      await this.monitor?.stop();
    } finally {
      this.onRelease();
    }
  }
}

class GpiodOutput extends DeviceBase implements DigitalOutput {
  readonly line: number;
  private current: Level;
  /** Writes run one after another so the line ends at the last value written. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    name: string,
    private readonly chip: string,
    private readonly tools: GpiodTools,
    private readonly opts: ValidOutputOptions,
    private readonly onRelease: () => void,
  ) {
    super(name);
    this.line = opts.line;
    this.current = opts.initial;
  }

  get value(): Level {
    return this.current;
  }

  write(value: Level): Promise<void> {
    try {
      this.assertOpen();
      checkLevel(value, `${this.name}: value`);
    } catch (err) {
      return Promise.reject(err);
    }
    const done = this.queue.then(async () => {
      await this.tools.set(this.chip, this.line, value, this.opts.activeLow);
      this.current = value;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  protected override async onClose(): Promise<void> {
    await this.queue;
    this.onRelease();
  }
}
