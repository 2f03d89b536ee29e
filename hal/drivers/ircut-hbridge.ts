/**
 * Bistable IR-cut filter on two GPIO outputs into an H-bridge (e.g. a DRV8833 half or the
 * driver on IR-cut camera boards). Driving one input high moves the filter in (day), the other
 * moves it out (night); the actuator latches, so the coil is pulsed for 10–150 ms (OpenIPC uses
 * 10 ms, other boards 100 ms; take the actuator's datasheet) and then both inputs go low: no
 * holding current, and both high (a brake/short on most bridges) never happens.
 */
import { DeviceBase } from '../device.ts';
import { DeviceClosedError, InvalidOptionsError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { DayNightMode, IrCutFilter } from '../ir.ts';
import type { DigitalOutput, GpioController } from '../bus/gpio.ts';
import { assertDistinctLines, assertOptionsObject, claimAll, lineNumber, optionalBoolean } from './gpio-lines.ts';

export const IRCUT_PULSE_MIN_MS = 10;
export const IRCUT_PULSE_MAX_MS = 150;

export interface HBridgeIrCutOptions {
  gpio: GpioController;
  clock: Clock;
  name?: string;
  /** The bridge inputs: driving `day` high pulls the filter in, driving `night` high pulls it out. */
  lines: { day: number; night: number };
  /** Coil pulse length in ms, 10–150 (default 100). */
  pulseMs?: number;
  /** The bridge inputs are active-low (default false). */
  activeLow?: boolean;
}

export class HBridgeIrCut extends DeviceBase implements IrCutFilter {
  private current: DayNightMode | 'unknown' = 'unknown';
  private queue: Promise<void> = Promise.resolve();
  /** Pulses driven so far (for reports and wear estimates). */
  pulses = 0;

  static async open(options: HBridgeIrCutOptions): Promise<HBridgeIrCut> {
    assertOptionsObject(options, 'IR-cut filter');
    const name = options.name ?? 'IR-cut filter';
    if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
    if (!options.clock) throw new InvalidOptionsError(`${name}: clock required`);
    assertOptionsObject(options.lines, `${name}: lines`);
    const day = lineNumber(options.lines.day, `${name}: lines.day`);
    const night = lineNumber(options.lines.night, `${name}: lines.night`);
    assertDistinctLines({ day, night }, name);
    const pulseMs = options.pulseMs ?? 100;
    if (typeof pulseMs !== 'number' || !Number.isFinite(pulseMs) || pulseMs < IRCUT_PULSE_MIN_MS || pulseMs > IRCUT_PULSE_MAX_MS) {
      throw new InvalidOptionsError(`${name}: pulseMs must be ${IRCUT_PULSE_MIN_MS}..${IRCUT_PULSE_MAX_MS} ms, got ${JSON.stringify(pulseMs)}`);
    }
    const activeLow = optionalBoolean(options.activeLow, `${name}: activeLow`, false);
    const [dayOut, nightOut] = await claimAll([
      () => options.gpio.output({ line: day, activeLow, initial: 0 }),
      () => options.gpio.output({ line: night, activeLow, initial: 0 }),
    ]);
    return new HBridgeIrCut(name, options.clock, pulseMs, dayOut, nightOut);
  }

  private constructor(
    name: string,
    private readonly clock: Clock,
    readonly pulseMs: number,
    private readonly dayOut: DigitalOutput,
    private readonly nightOut: DigitalOutput,
  ) {
    super(name);
  }

  get position(): DayNightMode | 'unknown' {
    return this.current;
  }

  /** Pulses the filter into `mode`. Calls made during a pulse wait for it (one pulse at a time). */
  set(mode: DayNightMode): Promise<void> {
    if (mode !== 'day' && mode !== 'night') {
      return Promise.reject(new InvalidOptionsError(`${this.name}: mode must be 'day' or 'night', got ${JSON.stringify(mode)}`));
    }
    const run = this.queue.then(() => this.pulse(mode));
    this.queue = run.catch(() => {});
    return run;
  }

  private async pulse(mode: DayNightMode): Promise<void> {
    this.assertOpen();
    const drive = mode === 'day' ? this.dayOut : this.nightOut;
    const other = mode === 'day' ? this.nightOut : this.dayOut;
    try {
      // The other input is low after every pulse; make sure anyway before driving this one.
      await other.write(0);
      await drive.write(1);
      await this.clock.sleep(this.pulseMs);
      if (this.closed) throw new DeviceClosedError(this.name);
      await drive.write(0);
    } catch (err) {
      // A pulse that did not complete leaves the filter somewhere: do not claim a position.
      this.current = 'unknown';
      if (!this.closed) await Promise.allSettled([this.dayOut.write(0), this.nightOut.write(0)]);
      throw err;
    }
    this.pulses += 1;
    this.current = mode;
  }

  protected override async onClose(): Promise<void> {
    // Cut the coil even in the middle of a pulse, then release the lines.
    await Promise.allSettled([this.dayOut.write(0), this.nightOut.write(0)]);
    await Promise.allSettled([this.dayOut.close(), this.nightOut.close()]);
  }
}
