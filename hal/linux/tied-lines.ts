/**
 * A GPIO controller view in which some status inputs are not wired on this board and read as
 * permanently deasserted (logical 0), as a status pin tied to its inactive level would.
 *
 * Drivers that read a fixed set of signals (the charger reads dock presence, power good and both
 * charge-status pins) can then run on a board that lacks some of them: a radar on vehicle power
 * has no dock contact. Inputs on real lines and all outputs go to the real controller, which
 * this view does not own (closing the view closes only its tied inputs).
 */
import { NEVER, Subject, takeUntil, type Observable } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { DigitalInput, DigitalOutput, GpioController, InputOptions, Level, OutputOptions } from '../bus/gpio.ts';

/** Line numbers handed out for unwired signals; above every header line, within the drivers' range. */
export const FIRST_TIED_LINE = 1000;

class TiedInput extends DeviceBase implements DigitalInput {
  private readonly closedSubject = new Subject<void>();
  readonly changes$: Observable<{ value: Level; at: number }> = NEVER.pipe(takeUntil(this.closedSubject));

  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`${what} (not wired)`);
  }

  async read(): Promise<Level> {
    this.assertOpen();
    return 0;
  }

  protected override onClose(): void {
    this.closedSubject.next();
    this.closedSubject.complete();
  }
}

export class TiedLinesController extends DeviceBase implements GpioController {
  private readonly tied = new Map<number, string>();
  private readonly claimed = new Set<number>();
  private readonly opened = new Set<TiedInput>();
  private next = FIRST_TIED_LINE;

  constructor(private readonly real: GpioController) {
    super(`${real.name} (with unwired inputs)`);
  }

  /** A line number that reads as deasserted; `what` names the missing signal. */
  tie(what: string): number {
    if (this.next > 1023) throw new InvalidOptionsError(`${this.name}: too many unwired inputs`);
    const line = this.next++;
    this.tied.set(line, what);
    return line;
  }

  async input(options: InputOptions): Promise<DigitalInput> {
    this.assertOpen();
    const what = options && typeof options === 'object' ? this.tied.get(options.line) : undefined;
    if (what === undefined) return this.real.input(options);
    if (this.claimed.has(options.line)) throw new InvalidOptionsError(`GPIO line ${options.line} (${what}, not wired) is already claimed`);
    this.claimed.add(options.line);
    const input = new TiedInput(options.line, what);
    this.opened.add(input);
    return input;
  }

  output(options: OutputOptions): Promise<DigitalOutput> {
    if (options && typeof options === 'object' && this.tied.has(options.line)) {
      return Promise.reject(new InvalidOptionsError(`GPIO line ${options.line} (${this.tied.get(options.line)}) is not wired; it cannot be an output`));
    }
    return this.real.output(options);
  }

  protected override async onClose(): Promise<void> {
    await Promise.all([...this.opened].map((i) => i.close()));
  }
}
