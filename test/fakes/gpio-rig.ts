/**
 * A bench for running the GPIO contract suites on the real Linux GPIO backends: the device side
 * is the real controller (sysfs through onoff over `FakeGpioSysfs`, or the libgpiod tools over
 * `FakeGpiodKernel`), the world side plays the wires in physical levels and BCM numbers with
 * the same calls as the simulated controller's world side (`pull`, `drive` with contact bounce,
 * `release`, `watch`), so simdev's board parts (`SimIdealDiodeOr`, `SimChargerPins`) drive the
 * pins of a real backend unchanged.
 *
 * Virtual time and real I/O: a level the world puts on a line reaches the controller through
 * the fake kernel's interrupt (sysfs: an epoll notification on the next macrotask) or through a
 * gpiomon child process (libgpiod); a libgpiod write is a gpioset child process. `advance`
 * therefore moves the virtual clock one due event at a time and, before each step, waits until
 * everything in flight has landed (`quiet`): every driven edge has been seen by the controller
 * and every controller call has finished. Events then happen at the virtual instant they were
 * caused, exactly as on the simulated controller, with no real-time sleeps.
 */
import { Subject, defer, filter, map, startWith, type Observable, type Subscription } from 'rxjs';
import type { DigitalInput, DigitalOutput, GpioController, InputOptions, Level, OutputOptions } from '../../hal/bus/gpio.ts';
import { SysfsGpioController } from '../../hal/linux/gpio-sysfs.ts';
import { GpiodGpioController } from '../../hal/linux/gpio-gpiod.ts';
import type { Pull, DriveOptions } from '../../sim/gpio.ts';
import type { PinWorld } from '../../sim/power-parts.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import type { TimerHandle } from '../../hal/clock.ts';
import { FakeGpioSysfs, PI_CHIPS } from './gpio-sysfs.ts';
import { FakeGpiodKernel, PI4_GPIOD_CHIPS } from './gpiod/kernel.ts';

export type RigKind = 'sysfs' | 'gpiod-v1' | 'gpiod-v2';

export interface GpioRig extends PinWorld {
  readonly kind: RigKind;
  /** "sysfs (onoff, fake /sys/class/gpio, Pi 4 kernel 6.6)" etc. */
  readonly label: string;
  readonly clock: VirtualClock;
  /** The controller under test. */
  readonly gpio: GpioController;
  /** A line the controller's chip does not have. */
  readonly missingLine: number;
  /** The physical level on a line now (what an output drives, or what the world puts on an input). */
  level(line: number): Level;
  /** Resolves once every driven edge has reached the controller and every controller call has finished. */
  quiet(): Promise<void>;
  /** Lets `ms` of virtual time pass, event by event, with all real I/O settled between events. */
  advance(ms: number): Promise<void>;
  now(): number;
  dispose(): Promise<void>;
}

interface Backend {
  /** Puts a physical level on a line from outside. */
  setExternal(line: number, level: Level): void;
  physical(line: number): Level;
  onLevel(listener: (line: number, level: Level) => void): () => void;
  /** Resolves once the edges already driven have reached the controller. */
  delivered(): Promise<void>;
  dispose(): Promise<void>;
}

interface WorldPin {
  pull: Pull;
  external: Level | null;
  bounce: TimerHandle[];
}

const hop = () => new Promise<void>((resolve) => setImmediate(resolve));

class Rig implements GpioRig {
  private readonly pins = new Map<number, WorldPin>();
  private readonly changes = new Subject<{ line: number; level: Level }>();
  private readonly random = new SeededRandom(0x6010);
  private readonly unlisten: () => void;

  constructor(
    readonly kind: RigKind,
    readonly label: string,
    readonly clock: VirtualClock,
    readonly gpio: GpioController,
    readonly missingLine: number,
    private readonly backend: Backend,
    private readonly inFlight: () => Promise<void>,
  ) {
    this.unlisten = backend.onLevel((line, level) => this.changes.next({ line, level }));
  }

  private pin(line: number): WorldPin {
    let p = this.pins.get(line);
    if (!p) {
      p = { pull: 'none', external: null, bounce: [] };
      this.pins.set(line, p);
    }
    return p;
  }

  private apply(line: number, p: WorldPin): void {
    this.backend.setExternal(line, p.external ?? (p.pull === 'up' ? 1 : 0));
  }

  pull(line: number, pull: Pull): void {
    const p = this.pin(line);
    p.pull = pull;
    this.apply(line, p);
  }

  drive(line: number, level: Level, options: DriveOptions = {}): void {
    const p = this.pin(line);
    this.cancelBounce(p);
    p.external = level;
    this.apply(line, p);
    if (options.bounceMs) this.scheduleBounce(line, p, level, options.bounceMs);
  }

  release(line: number, options: DriveOptions = {}): void {
    const p = this.pin(line);
    this.cancelBounce(p);
    p.external = null;
    this.apply(line, p);
    if (options.bounceMs && p.pull !== 'none') this.scheduleBounce(line, p, null, options.bounceMs);
  }

  /** Contact bounce as the simulated controller makes it: 1–3 open/close pairs inside the window, ending on the target. */
  private scheduleBounce(line: number, p: WorldPin, target: Level | null, bounceMs: number): void {
    const pairs = this.random.int(1, 3);
    const times = Array.from({ length: pairs * 2 }, () => this.random.next() * bounceMs).sort((a, b) => a - b);
    const opposite = ((target ?? (p.pull === 'up' ? 1 : 0)) ^ 1) as Level;
    times.forEach((t, i) => {
      p.bounce.push(
        this.clock.setTimeout(() => {
          p.external = i % 2 === 0 ? opposite : target;
          this.apply(line, p);
        }, t),
      );
    });
  }

  private cancelBounce(p: WorldPin): void {
    for (const t of p.bounce) t.cancel();
    p.bounce = [];
  }

  level(line: number): Level {
    return this.backend.physical(line);
  }

  watch(line: number): Observable<Level> {
    return defer(() =>
      this.changes.pipe(
        filter((c) => c.line === line),
        map((c) => c.level),
        startWith(this.backend.physical(line)),
      ),
    );
  }

  async quiet(): Promise<void> {
    // Two rounds: a delivered edge can start controller work (a debounced change → a write).
    for (let i = 0; i < 2; i++) {
      await this.backend.delivered();
      await this.inFlight();
      await hop();
    }
  }

  async advance(ms: number): Promise<void> {
    const target = this.clock.monotonic() + ms;
    for (;;) {
      await this.quiet();
      const due = this.clock.nextDue();
      if (due !== undefined && due <= target) await this.clock.runUntil(due);
      else if (this.clock.monotonic() < target) await this.clock.runUntil(target);
      else break;
    }
  }

  now(): number {
    return this.clock.monotonic();
  }

  async dispose(): Promise<void> {
    for (const p of this.pins.values()) this.cancelBounce(p);
    this.unlisten();
    this.changes.complete();
    await this.backend.dispose();
  }
}

/** The real sysfs controller (onoff over the fake /sys/class/gpio of a Pi 4 on kernel 6.6: base 512). */
export async function openSysfsRig(): Promise<GpioRig> {
  const fake = new FakeGpioSysfs(PI_CHIPS.pi4Kernel66);
  const base = 512;
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = await SysfsGpioController.open({ clock, sysfsRoot: fake.root, onoff: fake.loadOnoff() });
  const backend: Backend = {
    setExternal: (line, level) => fake.drive(base + line, level),
    physical: (line) => fake.physical(base + line),
    onLevel: (listener) => fake.onLevel((n, level) => listener(n - base, level)),
    delivered: () => fake.flush(),
    dispose: async () => fake.dispose(),
  };
  // onoff's value reads and writes are synchronous: nothing else is ever in flight.
  return new Rig('sysfs', 'sysfs GPIO (onoff over a fake /sys/class/gpio, Pi 4 kernel 6.6, base 512)', clock, gpio, 58, backend, async () => {});
}

/**
 * The real libgpiod controller, running the fake gpiodetect/gpioinfo/gpioget/gpioset/gpiomon
 * (v1 or v2 syntax) against a fake kernel. The controller is instrumented only to know what is
 * in flight: its calls, and the gpiomon events each driven edge will produce.
 */
export async function openGpiodRig(version: '1.6.3' | '2.1.3' = '2.1.3'): Promise<GpioRig> {
  const kernel = new FakeGpiodKernel(PI4_GPIOD_CHIPS, version);
  await kernel.start();
  const chip = 'gpiochip0';
  const clock = new VirtualClock({ startEpochMs: 0 });
  const real = await GpiodGpioController.open({ clock, env: kernel.env() });
  const tracked = new TrackedController(real, (line) => kernel.whenRequested(chip, line));
  const backend: Backend = {
    setExternal: (line, level) => {
      const before = kernel.physical(chip, line);
      kernel.drive(chip, line, level);
      if (kernel.physical(chip, line) !== before) tracked.expectEdge(line);
    },
    physical: (line) => kernel.physical(chip, line),
    onLevel: (listener) => kernel.onLevel((c, offset, level) => c === chip && listener(offset, level)),
    delivered: () => tracked.edgesSeen(),
    dispose: () => kernel.stop(),
  };
  const label = `libgpiod ${version.startsWith('2') ? 'v2' : 'v1'} command-line tools (fake gpioset/gpioget/gpiomon over a fake kernel)`;
  return new Rig(version.startsWith('2') ? 'gpiod-v2' : 'gpiod-v1', label, clock, tracked, 58, backend, () => tracked.settled());
}

export async function openRig(kind: RigKind): Promise<GpioRig> {
  return kind === 'sysfs' ? openSysfsRig() : openGpiodRig(kind === 'gpiod-v1' ? '1.6.3' : '2.1.3');
}

type RawInput = DigitalInput & { raw$: Observable<{ value: Level; at: number }> };

/** Delegates to the real controller; counts the calls in flight and the monitor events still to come per line. */
class TrackedController implements GpioController {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly monitored = new Map<number, { expected: number; seen: number; waiters: Array<() => void>; sub: Subscription }>();

  constructor(
    private readonly real: GpioController,
    private readonly whenRequested: (line: number) => Promise<void>,
  ) {}

  get name(): string {
    return this.real.name;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  /** Every call made so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  expectEdge(line: number): void {
    const m = this.monitored.get(line);
    if (m) m.expected += 1;
  }

  /** Every edge driven on a monitored line has come out of its gpiomon. */
  async edgesSeen(): Promise<void> {
    for (const m of this.monitored.values()) {
      while (m.seen < m.expected) await new Promise<void>((resolve) => m.waiters.push(resolve));
    }
  }

  private unmonitor(line: number): void {
    const m = this.monitored.get(line);
    if (!m) return;
    m.sub.unsubscribe();
    m.seen = m.expected;
    for (const w of m.waiters.splice(0)) w();
    this.monitored.delete(line);
  }

  input(options: InputOptions): Promise<DigitalInput> {
    return this.track(
      (async () => {
        const input = (await this.real.input(options)) as RawInput;
        if (options.edge && options.edge !== 'none') {
          // The world must not drive the line before gpiomon holds it (the tool starts after the claim returns).
          await this.whenRequested(input.line);
          const m = { expected: 0, seen: 0, waiters: [] as Array<() => void>, sub: null as unknown as Subscription };
          m.sub = input.raw$.subscribe(() => {
            m.seen += 1;
            if (m.seen >= m.expected) for (const w of m.waiters.splice(0)) w();
          });
          this.monitored.set(input.line, m);
        }
        return this.wrapInput(input);
      })(),
    );
  }

  output(options: OutputOptions): Promise<DigitalOutput> {
    return this.track(this.real.output(options).then((o) => this.wrapOutput(o)));
  }

  close(): Promise<void> {
    for (const line of [...this.monitored.keys()]) this.unmonitor(line);
    return this.track(this.real.close());
  }

  private wrapInput(input: RawInput): DigitalInput {
    return {
      get name() {
        return input.name;
      },
      line: input.line,
      changes$: input.changes$,
      read: () => this.track(input.read()),
      close: () => {
        this.unmonitor(input.line);
        return this.track(input.close());
      },
    };
  }

  private wrapOutput(output: DigitalOutput): DigitalOutput {
    return {
      get name() {
        return output.name;
      },
      line: output.line,
      get value() {
        return output.value;
      },
      write: (v) => this.track(output.write(v)),
      close: () => this.track(output.close()),
    };
  }
}

