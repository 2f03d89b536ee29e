/**
 * Ambient light from a light-dependent resistor (LDR, e.g. GL5528) in a voltage divider on a
 * Firmata board's analog input.
 *
 * An LDR follows R = R10 · (E / 10 lx)^(−γ): R10 is its resistance at 10 lx, γ its slope per
 * decade of light. With the LDR between the supply and the input ("top") and a fixed resistor
 * Rf to ground, the ADC reads a = adcMax · Rf / (Rf + R), so R = Rf · (adcMax / a − 1); with
 * the LDR at the bottom, R = Rf · a / (adcMax − a). Then E = 10 lx · (R10 / R)^(1/γ).
 *
 * Calibration (docs/bring-up.md): read R (or the ADC) at two known illuminances E1 < E2 from a
 * lux meter; γ = log10(R1 / R2) / log10(E2 / E1) and R10 = R1 · (E1 / 10)^γ. `calibrateLdr`
 * does the arithmetic. An LDR is a ±20 %-class sensor: good enough for day/night switching,
 * not for measurement.
 */
import { DeviceBase, check } from '../device.ts';
import { DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import type { AmbientLightSensor, LightSample } from '../light.ts';
import { requireObject } from '../linux/gpio-lines.ts';
import { analogChannel, type FirmataBoard } from './firmata-board.ts';

export interface LdrCalibration {
  /** Fixed divider resistor (Ω). */
  fixedOhms: number;
  /** LDR resistance at 10 lx (Ω). */
  r10Ohms: number;
  gamma: number;
  ldrPosition: 'top' | 'bottom';
}

export interface LdrLightOptions extends LdrCalibration {
  board: FirmataBoard;
  /** "A0".."A15" */
  pin: string;
  name?: string;
  /**
   * A sample older than this is not used; read() waits for the next report (ms, default 1000).
   * 0 never reuses a sample: every read waits for the board's next report (one sampling
   * interval at most), so each reading is fresh and stamped when the board took it.
   */
  maxAgeMs?: number;
  /** read() fails with DeviceNotRespondingError when no report arrives within this long (ms). */
  timeoutMs?: number;
}

/** LDR resistance for an ADC reading. */
export function ldrOhms(adc: number, adcMax: number, cal: Pick<LdrCalibration, 'fixedOhms' | 'ldrPosition'>): number {
  return cal.ldrPosition === 'top' ? cal.fixedOhms * (adcMax / adc - 1) : (cal.fixedOhms * adc) / (adcMax - adc);
}

/** Illuminance (lx) for an LDR resistance. */
export function ldrLux(ohms: number, cal: Pick<LdrCalibration, 'r10Ohms' | 'gamma'>): number {
  return 10 * Math.pow(cal.r10Ohms / ohms, 1 / cal.gamma);
}

/** ADC reading → sample. At the bright rail the value is a lower bound (saturated). */
export function ldrSample(adc: number, adcMax: number, cal: LdrCalibration): { lux: number; saturated: boolean } {
  const brightRail = cal.ldrPosition === 'top' ? adcMax : 0;
  const darkRail = cal.ldrPosition === 'top' ? 0 : adcMax;
  if (adc === darkRail) return { lux: 0, saturated: false };
  // Half an ADC step from the rail is the brightest light the divider can still tell apart.
  const a = adc === brightRail ? brightRail + (cal.ldrPosition === 'top' ? -0.5 : 0.5) : adc;
  return { lux: ldrLux(ldrOhms(a, adcMax, cal), cal), saturated: adc === brightRail };
}

/** γ and R10 from two (lux, ohms) points measured with a lux meter. */
export function calibrateLdr(p1: { lux: number; ohms: number }, p2: { lux: number; ohms: number }): { r10Ohms: number; gamma: number } {
  for (const p of [p1, p2]) {
    if (!(p.lux > 0 && p.ohms > 0)) throw new InvalidOptionsError('calibration points need positive lux and resistance');
  }
  if (p1.lux === p2.lux) throw new InvalidOptionsError('calibration points need two different illuminances');
  const gamma = Math.log10(p1.ohms / p2.ohms) / Math.log10(p2.lux / p1.lux);
  if (!(gamma > 0)) throw new InvalidOptionsError('resistance must fall as light rises: check the points');
  return { gamma, r10Ohms: p1.ohms * Math.pow(p1.lux / 10, gamma) };
}

export class FirmataLdrLight extends DeviceBase implements AmbientLightSensor {
  private readonly board: FirmataBoard;
  private readonly cal: LdrCalibration;
  private readonly channel: number;
  private readonly digitalPin: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private last: { adc: number; at: number } | null = null;
  private waiters: Array<() => void> = [];
  private readonly listener = (value: number) => {
    if (this.closed) return;
    this.last = { adc: value, at: this.board.clock.monotonic() };
    for (const w of this.waiters.splice(0)) w();
  };

  constructor(options: LdrLightOptions) {
    requireObject(options, 'LDR light sensor');
    super(options.name ?? 'light sensor');
    if (!options.board) throw new InvalidOptionsError(`${this.name}: board required`);
    this.board = options.board;
    this.channel = analogChannel(options.pin);
    this.cal = {
      fixedOhms: check.number(options.fixedOhms, `${this.name}: fixedOhms`, 1, 1e8),
      r10Ohms: check.number(options.r10Ohms, `${this.name}: r10Ohms`, 1, 1e8),
      gamma: check.number(options.gamma, `${this.name}: gamma`, 0.1, 3),
      ldrPosition: check.oneOf(options.ldrPosition, `${this.name}: ldrPosition`, ['top', 'bottom'] as const),
    };
    this.maxAgeMs = options.maxAgeMs === undefined ? 1000 : check.number(options.maxAgeMs, `${this.name}: maxAgeMs`, 0, 600_000);
    this.timeoutMs = options.timeoutMs === undefined ? 2000 : check.number(options.timeoutMs, `${this.name}: timeoutMs`, 1, 600_000);
    const io = this.board.io;
    const pin = io.analogPins[this.channel];
    if (pin === undefined) throw new InvalidOptionsError(`${this.name}: the board has no analog input ${options.pin}`);
    this.digitalPin = pin;
    this.board.claim(pin, `${this.name} (${options.pin})`);
    io.pinMode(this.channel, io.MODES.ANALOG);
    io.analogRead(this.channel, this.listener);
    this.board.onBoardClose(() => void this.close());
  }

  async read(): Promise<LightSample> {
    this.assertOpen();
    const clock = this.board.clock;
    const stale = !this.last || this.maxAgeMs === 0 || clock.monotonic() - this.last.at > this.maxAgeMs;
    if (stale) {
      await new Promise<void>((resolve, reject) => {
        const timer = clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== done);
          reject(new DeviceNotRespondingError(this.name, `no analog report within ${this.timeoutMs} ms`));
        }, this.timeoutMs);
        const done = () => {
          timer.cancel();
          resolve();
        };
        this.waiters.push(done);
      });
    }
    const { adc, at } = this.last!;
    return { ...ldrSample(adc, this.board.adcMax, this.cal), at };
  }

  protected override onClose(): void {
    this.board.io.removeListener?.(`analog-read-${this.channel}`, this.listener);
    this.board.io.reportAnalogPin?.(this.channel, 0);
    this.board.release(this.digitalPin);
    this.waiters = [];
  }
}
