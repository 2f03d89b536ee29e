/**
 * LEDs, an active buzzer (self-oscillating: a DC level sounds it) and a vibration motor (through
 * a transistor), each on one GPIO output. Patterns are timed on the injected clock, one timer
 * per step, so an alert repeated every 20 s for a whole shift costs a handful of events each time.
 *
 * A pattern plays once and leaves the output off; `set` or a new `play` on the same output
 * cancels it (the cancelled `play` resolves: it ended, just early). Every "on" period is kept in
 * a bounded playback log (which output, from when, for how long, steady or pattern) for tests,
 * the shift report and `dozor doctor`.
 */
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError, UnsupportedError } from '../errors.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { INDICATOR_OUTPUTS, type IndicatorOutput, type Indicators, type Pattern } from '../indicators.ts';
import type { DigitalOutput, GpioController, Level } from '../bus/gpio.ts';
import { assertDistinctLines, assertOptionsObject, claimAll, lineNumber, optionalBoolean } from './gpio-lines.ts';

export type IndicatorLine = number | { line: number; activeLow?: boolean };

export interface GpioIndicatorsOptions {
  gpio: GpioController;
  clock: Clock;
  name?: string;
  /** Line per output; a board leaves out what it does not have (at least one). */
  outputs: Partial<Record<IndicatorOutput, IndicatorLine>>;
  /** "On" periods kept in the playback log (default 10,000; oldest dropped first). */
  logLimit?: number;
}

/** One period during which an output was on. */
export interface IndicatorPeriod {
  output: IndicatorOutput;
  /** Monotonic time it went on (ms). */
  at: number;
  /** How long it stayed on; null while it still is. */
  durationMs: number | null;
  /** Switched on steadily by `set`, or by a pattern from `play`. */
  via: 'set' | 'play';
}

export const PATTERN_MAX_STEPS = 1000;
export const PATTERN_MAX_STEP_MS = 600_000;

interface Playback {
  timer: TimerHandle | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface OutputState {
  out: DigitalOutput;
  on: boolean;
  playback: Playback | null;
  period: IndicatorPeriod | null;
  /** Writes are chained so levels reach the line in the order they were decided. */
  writes: Promise<void>;
}

export class GpioIndicators extends DeviceBase implements Indicators {
  private readonly states = new Map<IndicatorOutput, OutputState>();
  private readonly periodLog: IndicatorPeriod[] = [];
  private readonly periodSubject = new Subject<IndicatorPeriod>();
  /** Each "on" period when it ends (with its duration). */
  readonly periods$: Observable<IndicatorPeriod> = this.periodSubject.asObservable();
  /** Log entries dropped because of `logLimit`. */
  droppedPeriods = 0;
  /** The outputs this board has. */
  readonly outputs: readonly IndicatorOutput[];

  static async open(options: GpioIndicatorsOptions): Promise<GpioIndicators> {
    assertOptionsObject(options, 'indicators');
    const name = options.name ?? 'indicators';
    if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
    if (!options.clock) throw new InvalidOptionsError(`${name}: clock required`);
    assertOptionsObject(options.outputs, `${name}: outputs`);
    const wiring: Array<{ output: IndicatorOutput; line: number; activeLow: boolean }> = [];
    for (const [output, spec] of Object.entries(options.outputs)) {
      if (!(INDICATOR_OUTPUTS as readonly string[]).includes(output)) {
        throw new InvalidOptionsError(`${name}: unknown output ${JSON.stringify(output)} (known: ${INDICATOR_OUTPUTS.join(', ')})`);
      }
      if (spec === undefined) continue;
      const what = `${name}: ${output}`;
      if (typeof spec === 'number') wiring.push({ output: output as IndicatorOutput, line: lineNumber(spec, `${what} line`), activeLow: false });
      else {
        assertOptionsObject(spec, what);
        wiring.push({ output: output as IndicatorOutput, line: lineNumber(spec.line, `${what} line`), activeLow: optionalBoolean(spec.activeLow, `${what} activeLow`, false) });
      }
    }
    if (wiring.length === 0) throw new InvalidOptionsError(`${name}: at least one output required`);
    assertDistinctLines(Object.fromEntries(wiring.map((w) => [w.output, w.line])), name);
    const logLimit = options.logLimit ?? 10_000;
    if (!Number.isInteger(logLimit) || logLimit < 0) throw new InvalidOptionsError(`${name}: logLimit must be a non-negative integer`);
    const outs = await claimAll(wiring.map((w) => () => options.gpio.output({ line: w.line, activeLow: w.activeLow, initial: 0 })));
    return new GpioIndicators(name, options.clock, logLimit, wiring.map((w, i) => [w.output, outs[i]]));
  }

  private constructor(
    name: string,
    private readonly clock: Clock,
    private readonly logLimit: number,
    outs: Array<[IndicatorOutput, DigitalOutput]>,
  ) {
    super(name);
    for (const [output, out] of outs) this.states.set(output, { out, on: false, playback: null, period: null, writes: Promise.resolve() });
    this.outputs = outs.map(([o]) => o);
  }

  isOn(output: IndicatorOutput): boolean {
    this.assertOpen();
    this.assertKnown(output);
    return this.states.get(output)?.on ?? false;
  }

  async set(output: IndicatorOutput, on: boolean): Promise<void> {
    this.assertOpen();
    const state = this.stateOf(output);
    if (typeof on !== 'boolean') throw new InvalidOptionsError(`${this.name}: set(${output}) needs a boolean, got ${JSON.stringify(on)}`);
    this.cancel(state);
    await this.apply(output, state, on, 'set');
  }

  play(output: IndicatorOutput, pattern: Pattern): Promise<void> {
    try {
      this.assertOpen();
      const state = this.stateOf(output);
      checkPattern(pattern, `${this.name}: pattern for ${output}`);
      this.cancel(state);
      return new Promise<void>((resolve, reject) => {
        const playback: Playback = { timer: null, resolve, reject };
        state.playback = playback;
        const step = (i: number) => {
          if (state.playback !== playback) return;
          if (i >= pattern.length) {
            state.playback = null;
            this.apply(output, state, false, 'play').then(resolve, reject);
            return;
          }
          const on = i % 2 === 0;
          // A zero-length step changes nothing on the wire.
          if (pattern[i] > 0) this.apply(output, state, on, 'play').catch((err: unknown) => this.fail(state, playback, err));
          playback.timer = this.clock.setTimeout(() => step(i + 1), pattern[i]);
        };
        step(0);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The playback log: every "on" period, oldest first (the current ones with durationMs null). */
  log(output?: IndicatorOutput): readonly IndicatorPeriod[] {
    return output === undefined ? this.periodLog.slice() : this.periodLog.filter((p) => p.output === output);
  }

  clearLog(): void {
    this.periodLog.length = 0;
  }

  protected override async onClose(): Promise<void> {
    for (const [output, state] of this.states) {
      this.cancel(state);
      await this.apply(output, state, false, 'set').catch(() => {});
    }
    await Promise.allSettled([...this.states.values()].map((s) => s.out.close()));
    this.periodSubject.complete();
  }

  /** Stops a pattern in progress; its promise resolves (it ended early). */
  private cancel(state: OutputState): void {
    const p = state.playback;
    if (!p) return;
    state.playback = null;
    p.timer?.cancel();
    p.resolve();
  }

  private fail(state: OutputState, playback: Playback, err: unknown): void {
    if (state.playback !== playback) return;
    state.playback = null;
    playback.timer?.cancel();
    playback.reject(err);
  }

  private apply(output: IndicatorOutput, state: OutputState, on: boolean, via: 'set' | 'play'): Promise<void> {
    if (state.on !== on) {
      state.on = on;
      const now = this.clock.monotonic();
      if (on) {
        state.period = { output, at: now, durationMs: null, via };
        this.remember(state.period);
      } else if (state.period) {
        state.period.durationMs = now - state.period.at;
        this.periodSubject.next(state.period);
        state.period = null;
      }
    }
    const level: Level = on ? 1 : 0;
    state.writes = state.writes.catch(() => {}).then(() => state.out.write(level));
    return state.writes;
  }

  private remember(period: IndicatorPeriod): void {
    if (this.logLimit === 0) {
      this.droppedPeriods += 1;
      return;
    }
    if (this.periodLog.length >= this.logLimit) {
      const drop = Math.max(1, this.logLimit >> 2);
      this.periodLog.splice(0, drop);
      this.droppedPeriods += drop;
    }
    this.periodLog.push(period);
  }

  private assertKnown(output: IndicatorOutput): void {
    if (!(INDICATOR_OUTPUTS as readonly string[]).includes(output)) {
      throw new InvalidOptionsError(`${this.name}: unknown output ${JSON.stringify(output)}`);
    }
  }

  private stateOf(output: IndicatorOutput): OutputState {
    this.assertKnown(output);
    const state = this.states.get(output);
    if (!state) throw new UnsupportedError(`${this.name}: this board has no ${output}`);
    return state;
  }
}

function checkPattern(pattern: unknown, what: string): asserts pattern is Pattern {
  if (!Array.isArray(pattern) || pattern.length === 0 || pattern.length > PATTERN_MAX_STEPS) {
    throw new InvalidOptionsError(`${what}: 1..${PATTERN_MAX_STEPS} durations required`);
  }
  for (const d of pattern) {
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > PATTERN_MAX_STEP_MS) {
      throw new InvalidOptionsError(`${what}: each duration must be 0..${PATTERN_MAX_STEP_MS} ms, got ${JSON.stringify(d)}`);
    }
  }
}
