/**
 * A `GpioController` over a Firmata board's digital pins, so the GPIO-level drivers (IR-cut
 * H-bridge, IR illuminator, charger and power-path lines) run on a Firmata rig unchanged.
 * Line numbers are Arduino digital pin numbers. Edges come from Firmata's port reports;
 * debounce runs on the injected clock.
 */
import { DeviceBase } from '../device.ts';
import { DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
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

/** How long a read right after claiming waits for the board's first report of the pin. */
const FIRST_REPORT_TIMEOUT_MS = 1000;

class FirmataInput extends DebouncedInput {
  /** The level once the starting level is known; null before. */
  private level: Level | null = null;
  /** The newest raw report before the starting level is known. */
  private early: number | null = null;
  private readonly listener = (raw: number) => {
    if (this.level === null) {
      this.early = raw;
      if (!this.syncing) this.start(raw);
      return;
    }
    this.level = this.logical(raw);
    this.feed(this.level);
  };
  /** Waiting for the board to answer a message sent after this pin was configured. */
  private syncing = false;

  constructor(
    private readonly board: FirmataBoard,
    opts: ValidInputOptions,
    private readonly onRelease: () => void,
  ) {
    super(`pin ${opts.line}`, opts.line, board.clock, opts);
    const io = board.io;
    io.pinMode(opts.line, io.MODES.INPUT);
    io.digitalRead(opts.line, this.listener);
    // Firmata reports whole ports: a report already on its way when this pin was configured
    // shows the pin as it was before (0). Once the board has answered everything sent up to
    // now, the reports so far include the one it sent when this pin's reporting started: the
    // newest report is then the true level.
    this.syncing = board.afterPending(() => {
      this.syncing = false;
      this.start(this.early ?? io.pins[opts.line]?.value ?? 0);
    });
  }

  private logical(raw: number): Level {
    return ((raw ? 1 : 0) ^ (this.options.activeLow ? 1 : 0)) as Level;
  }

  /** The starting level: not an edge. */
  private start(raw: number): void {
    if (this.level !== null || this.closed) return;
    this.level = this.logical(raw);
    if (this.options.edge !== 'none') this.startDebounce(this.level);
    for (const w of this.firstReport.splice(0)) w();
  }

  /** Reads waiting for the first port report. */
  private firstReport: Array<() => void> = [];

  async read(): Promise<Level> {
    this.assertOpen();
    // Firmata has no one-shot digital read: the level is the last port report. StandardFirmata
    // reports the port as soon as reporting starts, so right after the claim wait for that one.
    if (this.level === null) await this.awaitFirstReport();
    this.assertOpen();
    return this.level!;
  }

  private awaitFirstReport(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.board.clock.setTimeout(() => {
        this.firstReport = this.firstReport.filter((w) => w !== done);
        reject(new DeviceNotRespondingError(this.name, `${this.board.name} sent no report for pin ${this.line} within ${FIRST_REPORT_TIMEOUT_MS} ms`));
      }, FIRST_REPORT_TIMEOUT_MS);
      const done = () => {
        timer.cancel();
        resolve();
      };
      this.firstReport.push(done);
    });
  }

  protected release(): void {
    for (const w of this.firstReport.splice(0)) w();
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
