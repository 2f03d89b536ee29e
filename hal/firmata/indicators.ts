/**
 * LEDs, buzzer and vibration motor on a Firmata rig's digital outputs. Patterns are played on
 * the injected clock (never johnny-five's real-time Led.blink), so an alarm cadence
 * (R-PWR-2) is exact in virtual time and testable.
 */
import { DeviceBase, check } from '../device.ts';
import { InvalidOptionsError, UnsupportedError } from '../errors.ts';
import type { TimerHandle } from '../clock.ts';
import { INDICATOR_OUTPUTS, type IndicatorOutput, type Indicators, type Pattern } from '../indicators.ts';
import { checkBool, requireObject } from '../linux/gpio-lines.ts';
import type { FirmataBoard } from './firmata-board.ts';

export interface FirmataOutputSpec {
  pin: number;
  activeLow?: boolean;
}

export interface FirmataIndicatorsOptions {
  board: FirmataBoard;
  name?: string;
  outputs: Partial<Record<IndicatorOutput, FirmataOutputSpec>>;
}

interface OutputLine {
  pin: number;
  activeLow: boolean;
  on: boolean;
  /** The pattern playing, if any: its timer and how to end its promise. */
  playing: { timer: TimerHandle | null; finish: () => void } | null;
}

/** Longest single step of a pattern; longer is a configuration mistake. */
const MAX_STEP_MS = 60 * 60 * 1000;

export class FirmataIndicators extends DeviceBase implements Indicators {
  private readonly board: FirmataBoard;
  private readonly lines = new Map<IndicatorOutput, OutputLine>();

  constructor(options: FirmataIndicatorsOptions) {
    requireObject(options, 'Firmata indicators');
    super(options.name ?? 'indicators');
    if (!options.board) throw new InvalidOptionsError(`${this.name}: board required`);
    this.board = options.board;
    requireObject(options.outputs, `${this.name}: outputs`);
    const specs: Array<[IndicatorOutput, OutputLine]> = [];
    for (const [output, spec] of Object.entries(options.outputs) as Array<[string, FirmataOutputSpec | undefined]>) {
      if (!spec) continue;
      const o = check.oneOf(output, `${this.name}: output`, INDICATOR_OUTPUTS);
      requireObject(spec, `${this.name}: ${o}`);
      const pin = check.int(spec.pin, `${this.name}: ${o}.pin`, 0, 127);
      const activeLow = spec.activeLow === undefined ? false : checkBool(spec.activeLow, `${this.name}: ${o}.activeLow`);
      specs.push([o, { pin, activeLow, on: false, playing: null }]);
    }
    const claimed: number[] = [];
    try {
      for (const [o, line] of specs) {
        this.board.claim(line.pin, o);
        claimed.push(line.pin);
      }
    } catch (err) {
      claimed.forEach((p) => this.board.release(p));
      throw err;
    }
    const io = this.board.io;
    for (const [o, line] of specs) {
      io.pinMode(line.pin, io.MODES.OUTPUT);
      this.lines.set(o, line);
      this.drive(line, false);
    }
    this.board.onBoardClose(() => void this.close());
  }

  isOn(output: IndicatorOutput): boolean {
    this.assertOpen();
    return this.line(output).on;
  }

  async set(output: IndicatorOutput, on: boolean): Promise<void> {
    this.assertOpen();
    const line = this.line(output);
    checkBool(on, `${this.name}: on`);
    this.stop(line);
    this.drive(line, on);
  }

  play(output: IndicatorOutput, pattern: Pattern): Promise<void> {
    try {
      this.assertOpen();
      const line = this.line(output);
      if (!Array.isArray(pattern) || pattern.length === 0) throw new InvalidOptionsError(`${this.name}: pattern must be a non-empty list of durations`);
      pattern.forEach((ms, i) => check.number(ms, `${this.name}: pattern[${i}]`, 0, MAX_STEP_MS));
      this.stop(line);
      return new Promise<void>((resolve) => {
        const playing: NonNullable<OutputLine['playing']> = {
          timer: null,
          finish: () => {
            if (line.playing === playing) line.playing = null;
            resolve();
          },
        };
        line.playing = playing;
        const step = (i: number) => {
          if (line.playing !== playing) return;
          if (i >= pattern.length) {
            this.drive(line, false);
            playing.finish();
            return;
          }
          // Even steps are "on", odd steps "off".
          this.drive(line, i % 2 === 0);
          playing.timer = this.board.clock.setTimeout(() => step(i + 1), pattern[i]);
        };
        step(0);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private line(output: IndicatorOutput): OutputLine {
    const o = check.oneOf(output, `${this.name}: output`, INDICATOR_OUTPUTS);
    const line = this.lines.get(o);
    if (!line) throw new UnsupportedError(`${this.name}: this board has no ${o}`);
    return line;
  }

  /** Cancels a playing pattern; its promise resolves (it ended early). */
  private stop(line: OutputLine): void {
    const p = line.playing;
    if (!p) return;
    p.timer?.cancel();
    line.playing = null;
    p.finish();
  }

  private drive(line: OutputLine, on: boolean): void {
    line.on = on;
    this.board.io.digitalWrite(line.pin, (on ? 1 : 0) ^ (line.activeLow ? 1 : 0));
  }

  protected override onClose(): void {
    for (const line of this.lines.values()) {
      this.stop(line);
      this.drive(line, false);
      this.board.release(line.pin);
    }
  }
}
