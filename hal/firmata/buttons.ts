/**
 * Operator buttons on a Firmata rig. StandardFirmata reports a digital port's value when
 * reporting is switched on and whenever it changes; the first report sets each button's
 * starting level (no event), later reports go through a debouncer on the injected clock.
 *
 * Pull-ups: INPUT_PULLUP when the firmware offers it; otherwise the classic AVR way (INPUT,
 * then write HIGH to switch the internal pull-up on).
 */
import { Subject, type Observable } from 'rxjs';
import { DeviceBase, check } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import { BUTTON_NAMES, type ButtonEvent, type ButtonName, type Buttons } from '../buttons.ts';
import { Debouncer } from '../bus/debounce.ts';
import type { Level } from '../bus/gpio.ts';
import { checkBool, requireObject } from '../linux/gpio-lines.ts';
import type { FirmataBoard } from './firmata-board.ts';

export interface FirmataButtonSpec {
  pin: number;
  activeLow?: boolean;
  debounceMs?: number;
  pull?: 'up' | 'none' | null;
}

export interface FirmataButtonsOptions {
  board: FirmataBoard;
  name?: string;
  buttons: Partial<Record<ButtonName, FirmataButtonSpec>>;
}

interface ButtonLine {
  button: ButtonName;
  pin: number;
  activeLow: boolean;
  debouncer: Debouncer | null;
  debounceMs: number;
  /** The newest raw report before the baseline was taken. */
  early: number | null;
  listener: (value: number) => void;
}

export class FirmataButtons extends DeviceBase implements Buttons {
  private readonly events = new Subject<ButtonEvent>();
  readonly events$: Observable<ButtonEvent> = this.events.asObservable();
  private readonly lines = new Map<ButtonName, ButtonLine>();
  private readonly board: FirmataBoard;

  constructor(options: FirmataButtonsOptions) {
    requireObject(options, 'Firmata buttons');
    super(options.name ?? 'buttons');
    if (!options.board) throw new InvalidOptionsError(`${this.name}: board required`);
    this.board = options.board;
    requireObject(options.buttons, `${this.name}: buttons`);
    const specs: Array<[ButtonName, Required<FirmataButtonSpec>]> = [];
    for (const [button, spec] of Object.entries(options.buttons) as Array<[string, FirmataButtonSpec | undefined]>) {
      if (!spec) continue;
      const b = check.oneOf(button, `${this.name}: button`, BUTTON_NAMES);
      requireObject(spec, `${this.name}: ${b}`);
      specs.push([
        b,
        {
          pin: check.int(spec.pin, `${this.name}: ${b}.pin`, 0, 127),
          activeLow: spec.activeLow === undefined ? false : checkBool(spec.activeLow, `${this.name}: ${b}.activeLow`),
          debounceMs: spec.debounceMs === undefined ? 0 : check.number(spec.debounceMs, `${this.name}: ${b}.debounceMs`, 0, 10_000),
          pull: spec.pull == null ? 'none' : check.oneOf(spec.pull, `${this.name}: ${b}.pull`, ['up', 'none'] as const),
        },
      ]);
    }
    const claimed: number[] = [];
    try {
      for (const [button, spec] of specs) {
        this.board.claim(spec.pin, `button ${button}`);
        claimed.push(spec.pin);
      }
    } catch (err) {
      claimed.forEach((p) => this.board.release(p));
      throw err;
    }
    // Every pin is an input (with its pull-up) before any reporting starts: StandardFirmata
    // reports whole ports, and a pin of the port not yet configured would read as 0 in the
    // first report, which is every button's baseline (an active-low button would start pressed).
    for (const [, spec] of specs) this.configure(spec);
    for (const [button, spec] of specs) this.listen(button, spec);
    // A report already on its way (other pins of the port being set up) still shows these pins
    // as they were: take the baseline once the board has answered everything sent so far.
    this.syncing = this.board.afterPending(() => {
      this.syncing = false;
      for (const line of this.lines.values()) this.baseline(line, line.early ?? this.board.io.pins[line.pin]?.value ?? 0);
    });
    this.board.onBoardClose(() => void this.close());
  }

  /** Waiting for the board to answer what was sent while setting up. */
  private syncing = false;

  private configure(spec: Required<FirmataButtonSpec>): void {
    const io = this.board.io;
    if (spec.pull === 'up' && io.MODES.PULLUP !== undefined) {
      io.pinMode(spec.pin, io.MODES.PULLUP);
    } else {
      io.pinMode(spec.pin, io.MODES.INPUT);
      if (spec.pull === 'up') io.digitalWrite(spec.pin, 1);
    }
  }

  private listen(button: ButtonName, spec: Required<FirmataButtonSpec>): void {
    const line: ButtonLine = {
      button,
      pin: spec.pin,
      activeLow: spec.activeLow,
      debouncer: null,
      debounceMs: spec.debounceMs,
      early: null,
      listener: (value: number) => this.onReport(line, value),
    };
    this.lines.set(button, line);
    this.board.io.digitalRead(spec.pin, line.listener);
  }

  private onReport(line: ButtonLine, raw: number): void {
    if (this.closed) return;
    if (!line.debouncer) {
      line.early = raw;
      if (!this.syncing) this.baseline(line, raw);
      return;
    }
    line.debouncer.input(((raw ? 1 : 0) ^ (line.activeLow ? 1 : 0)) as Level);
  }

  /** The level the button had when we started listening: not a press. */
  private baseline(line: ButtonLine, raw: number): void {
    if (line.debouncer || this.closed) return;
    const value = ((raw ? 1 : 0) ^ (line.activeLow ? 1 : 0)) as Level;
    line.debouncer = new Debouncer(this.board.clock, line.debounceMs, value, (v, at) => {
      this.events.next({ button: line.button, action: v ? 'press' : 'release', at });
    });
  }

  isPressed(button: ButtonName): boolean {
    this.assertOpen();
    return this.lines.get(button)?.debouncer?.level === 1;
  }

  protected override onClose(): void {
    const io = this.board.io;
    for (const line of this.lines.values()) {
      line.debouncer?.dispose();
      // Reporting stays on: Firmata reports whole ports, other pins of the port may still listen.
      io.removeListener?.(`digital-read-${line.pin}`, line.listener);
      this.board.release(line.pin);
    }
    this.events.complete();
  }
}
