/**
 * A simulated GPIO controller: the device side implements `GpioController` exactly as the Linux
 * backend does (line claims, activeLow, edges, debounce on the injected clock); the world side
 * lets the simulated board drive input pins (buttons, seal switch, dock contact, charger status
 * pins, with realistic contact bounce) and watch output pins (LEDs, buzzer, IR-cut coil, pack
 * select) with an edge log and an rxjs stream.
 *
 * Levels on the world side are *physical* (the voltage on the pin: 1 = high); the device side
 * sees *logical* levels (physical XOR activeLow), as with sysfs `active_low` or libgpiod's
 * ACTIVE_LOW flag. Edge filters apply to logical levels, as the kernel does.
 */
import { EMPTY, Subject, defer, filter, map, startWith, type Observable } from 'rxjs';
import { DeviceBase, check } from '../hal/device.ts';
import { DeviceClosedError, InvalidOptionsError } from '../hal/errors.ts';
import { Debouncer } from '../hal/bus/debounce.ts';
import { assertOptionsObject, optionalBoolean } from '../hal/drivers/gpio-lines.ts';
import type { Clock, TimerHandle } from '../hal/clock.ts';
import type { Random } from '../hal/random.ts';
import type { DigitalInput, DigitalOutput, Edge, GpioController, InputOptions, Level, OutputOptions } from '../hal/bus/gpio.ts';
import { SeededRandom } from './random.ts';

export type Pull = 'up' | 'down' | 'none';

/** A physical level change on a pin. */
export interface PinChange {
  line: number;
  level: Level;
  /** Monotonic time (ms). */
  at: number;
  /** Who changed it: the device (an output write) or the world (a drive/release). */
  by: 'device' | 'world';
}

export interface DriveOptions {
  /**
   * Simulate mechanical contact bounce: the pin chatters for up to this many ms (a few
   * transitions at seeded random instants) before it settles at the driven level.
   */
  bounceMs?: number;
}

export interface SimGpioOptions {
  clock: Clock;
  name?: string;
  /** Line numbers the board has (default: BCM 0–27, the Pi's 40-pin header). */
  lines?: readonly number[];
  /** Resting level per line when nothing drives it (default 'none': reads 0). */
  pulls?: Readonly<Record<number, Pull>>;
  /** Seeds contact bounce (default: a fixed seed). */
  random?: Random;
  /** Output edges kept in the edge log; older ones are dropped (default 100,000). */
  edgeLogLimit?: number;
}

const EDGES: readonly Edge[] = ['none', 'rising', 'falling', 'both'];
const DEFAULT_LINES = Array.from({ length: 28 }, (_, i) => i);

interface Pin {
  pull: Pull;
  /** What the world drives onto the pin, or null when it leaves it alone. */
  external: Level | null;
  /** Level the device drives when the line is claimed as an output. */
  driven: Level | null;
  level: Level;
  claim: SimInput | SimOutput | null;
  bounce: TimerHandle[];
}

export class SimGpioController extends DeviceBase implements GpioController {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly pins = new Map<number, Pin>();
  private readonly pinChanges = new Subject<PinChange>();
  private readonly log: PinChange[] = [];
  private readonly logLimit: number;
  /** Output edges dropped from the front of the log because of `edgeLogLimit`. */
  droppedEdges = 0;

  /** Every physical pin change (device outputs and world drives), as it happens. */
  readonly changes$: Observable<PinChange> = this.pinChanges.asObservable();
  /** Physical level changes of claimed output lines (what LEDs, coils and select lines see). */
  readonly outputs$: Observable<PinChange> = this.changes$.pipe(filter((c) => c.by === 'device'));

  constructor(options: SimGpioOptions) {
    assertOptionsObject(options, 'SimGpioController');
    super(options.name ?? 'simulated GPIO');
    if (!options.clock) throw new InvalidOptionsError(`${this.name}: clock required`);
    this.clock = options.clock;
    this.random = options.random ?? new SeededRandom(0x6010);
    this.logLimit = options.edgeLogLimit === undefined ? 100_000 : check.int(options.edgeLogLimit, 'edgeLogLimit', 0, 10_000_000);
    const lines = options.lines ?? DEFAULT_LINES;
    if (!Array.isArray(lines) || lines.length === 0) throw new InvalidOptionsError(`${this.name}: lines must be a non-empty array`);
    for (const line of lines) {
      check.int(line, 'line', 0, 1023);
      if (this.pins.has(line)) throw new InvalidOptionsError(`${this.name}: line ${line} listed twice`);
      this.pins.set(line, { pull: 'none', external: null, driven: null, level: 0, claim: null, bounce: [] });
    }
    for (const [key, pull] of Object.entries(options.pulls ?? {})) this.pull(Number(key), pull);
  }

  // ---------------- device side (GpioController) ----------------

  async input(options: InputOptions): Promise<DigitalInput> {
    this.assertOpen();
    assertOptionsObject(options, `${this.name} input`);
    const pin = this.pinFor(options.line);
    const edge = options.edge === undefined ? 'none' : check.oneOf(options.edge, 'edge', EDGES);
    const activeLow = optionalBoolean(options.activeLow, 'activeLow', false);
    const debounceMs = options.debounceMs === undefined ? 0 : check.number(options.debounceMs, 'debounceMs', 0, 10_000);
    this.assertFree(options.line, pin);
    const input = new SimInput(this, options.line, edge, activeLow, debounceMs, this.clock);
    pin.claim = input;
    pin.driven = null;
    this.settle(options.line, pin, 'world');
    input.start(pin.level);
    return input;
  }

  async output(options: OutputOptions): Promise<DigitalOutput> {
    this.assertOpen();
    assertOptionsObject(options, `${this.name} output`);
    const pin = this.pinFor(options.line);
    const activeLow = optionalBoolean(options.activeLow, 'activeLow', false);
    const initial = options.initial === undefined ? 0 : checkLevel(options.initial, 'initial');
    this.assertFree(options.line, pin);
    const out = new SimOutput(this, options.line, activeLow, initial);
    pin.claim = out;
    this.setDriven(options.line, (initial ^ (activeLow ? 1 : 0)) as Level);
    return out;
  }

  protected override async onClose(): Promise<void> {
    for (const pin of this.pins.values()) {
      for (const t of pin.bounce) t.cancel();
      pin.bounce = [];
      if (pin.claim) await pin.claim.close();
    }
    this.pinChanges.complete();
  }

  // ---------------- world side ----------------

  /** Sets a pin's resting level (board pull-up/pull-down resistor) used when nothing drives it. */
  pull(line: number, pull: Pull): void {
    const pin = this.pinFor(line);
    pin.pull = check.oneOf(pull, `pull of line ${line}`, ['up', 'down', 'none'] as const);
    this.settle(line, pin, 'world');
  }

  /**
   * The world drives a physical level onto a pin (a button shorting to ground, a contact closing,
   * a charger's open-drain status pin pulling low). Throws when the device drives that pin.
   */
  drive(line: number, level: Level, options: DriveOptions = {}): void {
    const pin = this.pinFor(line);
    checkLevel(level, 'level');
    if (pin.driven !== null) {
      throw new InvalidOptionsError(`${this.name}: line ${line} is driven by the device (an output); the world cannot drive it`);
    }
    this.cancelBounce(pin);
    const bounceMs = options.bounceMs === undefined ? 0 : check.number(options.bounceMs, 'bounceMs', 0, 1000);
    this.setExternal(line, pin, level);
    if (bounceMs > 0) this.scheduleBounce(line, pin, level, bounceMs);
  }

  /** The world stops driving the pin (a button let go): it returns to its pull level. */
  release(line: number, options: DriveOptions = {}): void {
    const pin = this.pinFor(line);
    this.cancelBounce(pin);
    const bounceMs = options.bounceMs === undefined ? 0 : check.number(options.bounceMs, 'bounceMs', 0, 1000);
    this.setExternal(line, pin, null);
    if (bounceMs > 0 && pin.pull !== 'none') this.scheduleBounce(line, pin, null, bounceMs);
  }

  /** The physical level on a pin now. */
  level(line: number): Level {
    return this.pinFor(line).level;
  }

  /** How the device uses a line: claimed as input, output, or not at all. */
  claimOf(line: number): 'input' | 'output' | null {
    const claim = this.pinFor(line).claim;
    return claim === null ? null : claim instanceof SimOutput ? 'output' : 'input';
  }

  /** The pin's physical level now, then every change (for wiring world models to a line). */
  watch(line: number): Observable<Level> {
    const pin = this.pinFor(line);
    if (this.closed) return EMPTY;
    return defer(() =>
      this.changes$.pipe(
        filter((c) => c.line === line),
        map((c) => c.level),
        startWith(pin.level),
      ),
    );
  }

  /** Output edges (physical levels, device-driven) in time order, optionally for one line. */
  edgeLog(line?: number): readonly PinChange[] {
    return line === undefined ? this.log.slice() : this.log.filter((c) => c.line === line);
  }

  /** Empties the edge log (e.g. between test phases). */
  clearEdgeLog(): void {
    this.log.length = 0;
  }

  // ---------------- internals used by the line objects ----------------

  /** @internal */ setDriven(line: number, level: Level | null): void {
    const pin = this.pins.get(line)!;
    pin.driven = level;
    this.settle(line, pin, 'device');
  }

  /** @internal */ releaseClaim(line: number, claim: SimInput | SimOutput): void {
    const pin = this.pins.get(line)!;
    if (pin.claim !== claim) return;
    pin.claim = null;
    // A released output keeps driving its last level (the kernel does not promise to change
    // it), so drivers drive their safe level before closing; claiming the line as an input
    // turns the driver off.
  }

  /** @internal */ physical(line: number): Level {
    return this.pins.get(line)!.level;
  }

  private setExternal(line: number, pin: Pin, level: Level | null): void {
    pin.external = level;
    this.settle(line, pin, 'world');
  }

  /** Recomputes a pin's level from what drives it, and propagates a change. */
  private settle(line: number, pin: Pin, by: 'device' | 'world'): void {
    const level: Level =
      pin.driven !== null
        ? pin.driven
        : pin.external !== null
          ? pin.external
          : pin.pull === 'up'
            ? 1
            : 0;
    if (level === pin.level) return;
    pin.level = level;
    const change: PinChange = { line, level, at: this.clock.monotonic(), by };
    if (by === 'device') this.record(change);
    if (pin.claim instanceof SimInput) pin.claim.sense(level);
    this.pinChanges.next(change);
  }

  private record(change: PinChange): void {
    if (this.logLimit === 0) {
      this.droppedEdges += 1;
      return;
    }
    if (this.log.length >= this.logLimit) {
      // Drop in blocks so a long run stays O(1) amortised per edge.
      const drop = Math.max(1, this.logLimit >> 2);
      this.log.splice(0, drop);
      this.droppedEdges += drop;
    }
    this.log.push(change);
  }

  private scheduleBounce(line: number, pin: Pin, target: Level | null, bounceMs: number): void {
    // 1–3 open/close pairs at random instants inside the bounce window, ending on the target.
    const pairs = this.random.int(1, 3);
    const times = Array.from({ length: pairs * 2 }, () => this.random.next() * bounceMs).sort((a, b) => a - b);
    const settled = target;
    const opposite: Level = ((target ?? (pin.pull === 'up' ? 1 : 0)) ^ 1) as Level;
    times.forEach((t, i) => {
      const handle = this.clock.setTimeout(() => {
        if (pin.driven !== null) return;
        pin.external = i % 2 === 0 ? opposite : settled;
        this.settle(line, pin, 'world');
      }, t);
      pin.bounce.push(handle);
    });
  }

  private cancelBounce(pin: Pin): void {
    for (const t of pin.bounce) t.cancel();
    pin.bounce = [];
  }

  private pinFor(line: unknown): Pin {
    if (typeof line !== 'number' || !Number.isInteger(line)) {
      throw new InvalidOptionsError(`${this.name}: line must be an integer, got ${JSON.stringify(line)}`);
    }
    const pin = this.pins.get(line);
    if (!pin) throw new InvalidOptionsError(`${this.name}: no line ${line} on this board`);
    return pin;
  }

  private assertFree(line: number, pin: Pin): void {
    if (pin.claim) throw new InvalidOptionsError(`${this.name}: line ${line} is already claimed as ${this.claimOf(line)}`);
  }
}

class SimInput extends DeviceBase implements DigitalInput {
  private readonly changeSubject = new Subject<{ value: Level; at: number }>();
  readonly changes$: Observable<{ value: Level; at: number }> = this.changeSubject.asObservable();
  private debouncer: Debouncer | null = null;
  private readonly invert: 0 | 1;

  constructor(
    private readonly controller: SimGpioController,
    readonly line: number,
    private readonly edge: Edge,
    activeLow: boolean,
    private readonly debounceMs: number,
    private readonly clock: Clock,
  ) {
    super(`${controller.name} line ${line}`);
    this.invert = activeLow ? 1 : 0;
  }

  /** @internal */ start(physical: Level): void {
    if (this.edge === 'none') return;
    this.debouncer = new Debouncer(this.clock, this.debounceMs, (physical ^ this.invert) as Level, (value, at) => {
      if (this.edge === 'both' || (this.edge === 'rising') === (value === 1)) this.changeSubject.next({ value, at });
    });
  }

  /** @internal the physical pin level changed. */
  sense(physical: Level): void {
    this.debouncer?.input((physical ^ this.invert) as Level);
  }

  async read(): Promise<Level> {
    this.assertOpen();
    return (this.controller.physical(this.line) ^ this.invert) as Level;
  }

  protected override onClose(): void {
    this.debouncer?.dispose();
    this.changeSubject.complete();
    this.controller.releaseClaim(this.line, this);
  }
}

class SimOutput extends DeviceBase implements DigitalOutput {
  private current: Level;

  constructor(
    private readonly controller: SimGpioController,
    readonly line: number,
    private readonly activeLow: boolean,
    initial: Level,
  ) {
    super(`${controller.name} line ${line}`);
    this.current = initial;
  }

  get value(): Level {
    return this.current;
  }

  async write(value: Level): Promise<void> {
    if (this.closed) throw new DeviceClosedError(this.name);
    checkLevel(value, 'value');
    this.current = value;
    this.controller.setDriven(this.line, (value ^ (this.activeLow ? 1 : 0)) as Level);
  }

  protected override onClose(): void {
    this.controller.releaseClaim(this.line, this);
  }
}

function checkLevel(value: unknown, what: string): Level {
  if (value !== 0 && value !== 1) throw new InvalidOptionsError(`${what} must be 0 or 1, got ${JSON.stringify(value)}`);
  return value;
}
