/**
 * A `GpioController` over a Firmata board's digital pins, so the GPIO-level drivers (IR-cut
 * H-bridge, IR illuminator, charger and power-path lines) run on a Firmata rig unchanged.
 * Line numbers are Arduino digital pin numbers. Edges come from Firmata's port reports;
 * debounce runs on the injected clock.
 */
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { DigitalInput, DigitalOutput, GpioController, InputOptions, Level, OutputOptions } from '../bus/gpio.ts';
import { DebouncedInput, checkLevel, validateInputOptions, validateOutputOptions, type ValidInputOptions, type ValidOutputOptions } from '../linux/gpio-lines.ts';
import type { FirmataBoard } from './firmata-board.ts';

export class FirmataGpioController extends DeviceBase implements GpioController {
  private readonly lines = new Set<DeviceBase>();

  constructor(private readonly board: FirmataBoard) {
    super(`${board.name} GPIO`);
    if (!board) throw new InvalidOptionsError('Firmata GPIO: board required');
    board.onBoardClose(() => void this.close());
  }

  async input(options: InputOptions): Promise<DigitalInput> {
    this.assertOpen();
    const opts = validateInputOptions(options, `${this.name} input`, this.board.io.pins.length);
    this.board.claim(opts.line, `input ${opts.line}`);
    const input = new FirmataInput(this.board, opts, () => this.forget(input, opts.line));
    this.lines.add(input);
    return input;
  }

  async output(options: OutputOptions): Promise<DigitalOutput> {
    this.assertOpen();
    const opts = validateOutputOptions(options, `${this.name} output`, this.board.io.pins.length);
    this.board.claim(opts.line, `output ${opts.line}`);
    const output = new FirmataOutput(this.board, opts, () => this.forget(output, opts.line));
    this.lines.add(output);
    return output;
  }

  private forget(line: DeviceBase, pin: number): void {
    this.lines.delete(line);
    this.board.release(pin);
  }

  protected override async onClose(): Promise<void> {
    await Promise.all([...this.lines].map((l) => l.close()));
  }
}

class FirmataInput extends DebouncedInput {
  private level: Level | null = null;
  private readonly listener = (raw: number) => {
    const v = ((raw ? 1 : 0) ^ (this.options.activeLow ? 1 : 0)) as Level;
    if (this.level === null) {
      // First report: the level at start, not an edge.
      this.level = v;
      if (this.options.edge !== 'none') this.startDebounce(v);
      return;
    }
    this.level = v;
    this.feed(v);
  };

  constructor(
    private readonly board: FirmataBoard,
    opts: ValidInputOptions,
    private readonly onRelease: () => void,
  ) {
    super(`pin ${opts.line}`, opts.line, board.clock, opts);
    board.io.pinMode(opts.line, board.io.MODES.INPUT);
    board.io.digitalRead(opts.line, this.listener);
  }

  async read(): Promise<Level> {
    this.assertOpen();
    // Firmata has no one-shot digital read: the level is the last port report.
    const raw = this.level ?? (((this.board.io.pins[this.line]?.value ?? 0) ? 1 : 0) ^ (this.options.activeLow ? 1 : 0));
    return raw as Level;
  }

  protected release(): void {
    this.board.io.removeListener?.(`digital-read-${this.line}`, this.listener);
    this.onRelease();
  }
}

class FirmataOutput extends DeviceBase implements DigitalOutput {
  readonly line: number;
  private current: Level;

  constructor(
    private readonly board: FirmataBoard,
    private readonly opts: ValidOutputOptions,
    private readonly onRelease: () => void,
  ) {
    super(`pin ${opts.line}`);
    this.line = opts.line;
    this.current = opts.initial;
    board.io.pinMode(opts.line, board.io.MODES.OUTPUT);
    board.io.digitalWrite(opts.line, opts.initial ^ (opts.activeLow ? 1 : 0));
  }

  get value(): Level {
    return this.current;
  }

  async write(value: Level): Promise<void> {
    this.assertOpen();
    const v = checkLevel(value, `${this.name}: value`);
    this.board.io.digitalWrite(this.line, v ^ (this.opts.activeLow ? 1 : 0));
    this.current = v;
  }

  protected override onClose(): void {
    this.onRelease();
  }
}
