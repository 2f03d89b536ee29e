/**
 * What the Linux GPIO backends (sysfs via onoff, libgpiod command-line tools) share: option
 * validation, line claims, and an input whose raw edges are debounced on the injected clock
 * (never on a backend's own real-time timer, so debounce runs under virtual time in tests).
 */
import { Subject, type Observable } from 'rxjs';
import type { Clock } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import { Debouncer } from '../bus/debounce.ts';
import type { DigitalInput, Edge, InputOptions, Level, OutputOptions } from '../bus/gpio.ts';

export const EDGES: readonly Edge[] = ['none', 'rising', 'falling', 'both'];
/** Longest debounce we accept; anything longer is a configuration mistake, not a bouncing contact. */
export const MAX_DEBOUNCE_MS = 10_000;

export interface ValidInputOptions {
  line: number;
  edge: Edge;
  activeLow: boolean;
  debounceMs: number;
}

export interface ValidOutputOptions {
  line: number;
  initial: Level;
  activeLow: boolean;
}

export function validateInputOptions(options: InputOptions, what: string, lineCount: number): ValidInputOptions {
  requireObject(options, what);
  const line = check.int(options.line, `${what}: line`, 0, lineCount - 1);
  return {
    line,
    edge: options.edge === undefined ? 'none' : check.oneOf(options.edge, `${what}: edge`, EDGES),
    activeLow: options.activeLow === undefined ? false : checkBool(options.activeLow, `${what}: activeLow`),
    debounceMs: options.debounceMs === undefined ? 0 : check.number(options.debounceMs, `${what}: debounceMs`, 0, MAX_DEBOUNCE_MS),
  };
}

export function validateOutputOptions(options: OutputOptions, what: string, lineCount: number): ValidOutputOptions {
  requireObject(options, what);
  const line = check.int(options.line, `${what}: line`, 0, lineCount - 1);
  return {
    line,
    initial: options.initial === undefined ? 0 : checkLevel(options.initial, `${what}: initial`),
    activeLow: options.activeLow === undefined ? false : checkBool(options.activeLow, `${what}: activeLow`),
  };
}

export function checkLevel(value: unknown, what: string): Level {
  if (value !== 0 && value !== 1) throw new InvalidOptionsError(`${what} must be 0 or 1, got ${JSON.stringify(value)}`);
  return value;
}

/** Throws `InvalidOptionsError` unless `value` is an options object. */
export function requireObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') throw new InvalidOptionsError(`${what}: options object required`);
}

export function checkBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionsError(`${what} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** One owner per line within a controller. */
export class LineClaims {
  private readonly owners = new Map<number, string>();

  claim(line: number, owner: string): void {
    const prev = this.owners.get(line);
    if (prev) throw new InvalidOptionsError(`GPIO line ${line} is already claimed by ${prev}`);
    this.owners.set(line, owner);
  }

  release(line: number): void {
    this.owners.delete(line);
  }

  get size(): number {
    return this.owners.size;
  }
}

/**
 * An input line fed with raw logical levels by a backend (`feed`), reporting debounced edges
 * that match the requested edge on `changes$`. `raw$` shows every raw level seen (the doctor
 * uses it to show contact bounce).
 */
export abstract class DebouncedInput extends DeviceBase implements DigitalInput {
  private readonly changes = new Subject<{ value: Level; at: number }>();
  private readonly raw = new Subject<{ value: Level; at: number }>();
  readonly changes$: Observable<{ value: Level; at: number }> = this.changes.asObservable();
  readonly raw$: Observable<{ value: Level; at: number }> = this.raw.asObservable();
  private debouncer: Debouncer | null = null;

  protected constructor(
    name: string,
    readonly line: number,
    protected readonly clock: Clock,
    protected readonly options: ValidInputOptions,
  ) {
    super(name);
  }

  /** Starts debouncing from the level the line has when it is claimed. */
  protected startDebounce(initial: Level): void {
    this.debouncer = new Debouncer(this.clock, this.options.debounceMs, initial, (value, at) => {
      const edge = this.options.edge;
      if (edge === 'both' || (edge === 'rising' && value === 1) || (edge === 'falling' && value === 0)) {
        this.changes.next({ value, at });
      }
    });
  }

  /** A raw logical level from the backend (an interrupt, a monitor event). */
  protected feed(value: Level): void {
    if (this.closed) return;
    this.raw.next({ value, at: this.clock.monotonic() });
    this.debouncer?.input(value);
  }

  /** The backend failed: end the stream with a typed error. */
  protected fail(err: Error): void {
    if (this.closed) return;
    this.changes.error(err);
  }

  /** The last debounced level (the raw level when edges are off). */
  get debouncedLevel(): Level | null {
    return this.debouncer ? this.debouncer.level : null;
  }

  abstract read(): Promise<Level>;

  protected override async onClose(): Promise<void> {
    this.debouncer?.dispose();
    await this.release();
    this.changes.complete();
    this.raw.complete();
  }

  /** Releases the kernel line. */
  protected abstract release(): Promise<void> | void;
}
