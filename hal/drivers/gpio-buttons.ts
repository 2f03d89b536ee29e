/**
 * The operator's buttons on GPIO inputs: each button shorts its line to ground against a
 * pull-up (set in the board's device tree / config.txt: onoff and sysfs cannot set pulls), so
 * the lines are active-low, and contacts bounce, so each line is debounced on the injected clock
 * (default 20 ms: longer than the 1–10 ms a tactile switch chatters, shorter than a deliberate
 * press).
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import { BUTTON_NAMES, type ButtonEvent, type ButtonName, type Buttons } from '../buttons.ts';
import type { DigitalInput, GpioController } from '../bus/gpio.ts';
import { assertDistinctLines, assertOptionsObject, claimAll, lineNumber, optionalBoolean } from './gpio-lines.ts';

export interface GpioButtonsOptions {
  gpio: GpioController;
  name?: string;
  /** Line per button; a board may leave out buttons it does not have (at least one). */
  lines: Partial<Record<ButtonName, number>>;
  /** Buttons short the line to ground against a pull-up (default true). */
  activeLow?: boolean;
  /** Debounce time in ms (0–1000, default 20). */
  debounceMs?: number;
}

interface Validated {
  name: string;
  lines: Array<[ButtonName, number]>;
  activeLow: boolean;
  debounceMs: number;
}

function validate(options: GpioButtonsOptions): Validated {
  assertOptionsObject(options, 'GPIO buttons');
  const name = options.name ?? 'buttons';
  if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
  assertOptionsObject(options.lines, `${name}: lines`);
  const lines: Array<[ButtonName, number]> = [];
  for (const [button, line] of Object.entries(options.lines)) {
    if (!(BUTTON_NAMES as readonly string[]).includes(button)) {
      throw new InvalidOptionsError(`${name}: unknown button ${JSON.stringify(button)} (known: ${BUTTON_NAMES.join(', ')})`);
    }
    if (line === undefined) continue;
    lines.push([button as ButtonName, lineNumber(line, `${name}: line of ${button}`)]);
  }
  if (lines.length === 0) throw new InvalidOptionsError(`${name}: at least one button line required`);
  assertDistinctLines(Object.fromEntries(lines), name);
  const debounceMs = options.debounceMs ?? 20;
  if (typeof debounceMs !== 'number' || !Number.isFinite(debounceMs) || debounceMs < 0 || debounceMs > 1000) {
    throw new InvalidOptionsError(`${name}: debounceMs must be a number in 0..1000, got ${JSON.stringify(debounceMs)}`);
  }
  return { name, lines, activeLow: optionalBoolean(options.activeLow, `${name}: activeLow`, true), debounceMs };
}

export class GpioButtons extends DeviceBase implements Buttons {
  private readonly eventSubject = new Subject<ButtonEvent>();
  readonly events$: Observable<ButtonEvent> = this.eventSubject.asObservable();
  private readonly pressed = new Map<ButtonName, boolean>();
  private readonly subscriptions: Subscription[] = [];
  /** The buttons this board has. */
  readonly buttons: readonly ButtonName[];

  /** Validates the options, then claims the lines (all or none). */
  static async open(options: GpioButtonsOptions): Promise<GpioButtons> {
    const v = validate(options);
    const inputs = await claimAll(
      v.lines.map(([, line]) => () => options.gpio.input({ line, edge: 'both', activeLow: v.activeLow, debounceMs: v.debounceMs })),
    );
    const buttons = new GpioButtons(v.name, v.lines.map(([b]) => b), inputs);
    try {
      await buttons.start();
    } catch (err) {
      await buttons.close();
      throw err;
    }
    return buttons;
  }

  private constructor(
    name: string,
    names: ButtonName[],
    private readonly inputs: DigitalInput[],
  ) {
    super(name);
    this.buttons = names;
  }

  private async start(): Promise<void> {
    for (let i = 0; i < this.inputs.length; i++) {
      const button = this.buttons[i];
      const input = this.inputs[i];
      // A button held at power-on is pressed, but it was never pressed *now*: no event.
      this.pressed.set(button, (await input.read()) === 1);
      this.subscriptions.push(
        input.changes$.subscribe(({ value, at }) => {
          const down = value === 1;
          if (this.pressed.get(button) === down) return;
          this.pressed.set(button, down);
          this.eventSubject.next({ button, action: down ? 'press' : 'release', at });
        }),
      );
    }
  }

  isPressed(button: ButtonName): boolean {
    this.assertOpen();
    if (!(BUTTON_NAMES as readonly string[]).includes(button)) throw new InvalidOptionsError(`${this.name}: unknown button ${JSON.stringify(button)}`);
    return this.pressed.get(button) ?? false;
  }

  protected override async onClose(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.allSettled(this.inputs.map((i) => i.close()));
    this.eventSubject.complete();
  }
}
