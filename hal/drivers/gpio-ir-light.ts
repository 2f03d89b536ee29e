/**
 * IR illuminator (850/940 nm LED ring) switched by one GPIO through a MOSFET or LED driver enable.
 * On/off only: any level > 0 switches it fully on and `level` reads back 1. Dimming would need a
 * PWM channel (hardware PWM on GPIO12/13/18/19 of a Pi through /sys/class/pwm), which the
 * `GpioController` contract does not carry; software PWM on the injected clock would cost an event
 * per edge and flicker against the camera's exposure, so it is deliberately not offered.
 */
import { DeviceBase } from '../device.ts';
import { InvalidOptionsError } from '../errors.ts';
import type { IrIlluminator } from '../ir.ts';
import type { DigitalOutput, GpioController } from '../bus/gpio.ts';
import { assertOptionsObject, lineNumber, optionalBoolean } from './gpio-lines.ts';

export interface GpioIrLightOptions {
  gpio: GpioController;
  name?: string;
  line: number;
  /** The enable input is active-low (default false). */
  activeLow?: boolean;
}

export class GpioIrLight extends DeviceBase implements IrIlluminator {
  static async open(options: GpioIrLightOptions): Promise<GpioIrLight> {
    assertOptionsObject(options, 'IR illuminator');
    const name = options.name ?? 'IR illuminator';
    if (!options.gpio) throw new InvalidOptionsError(`${name}: gpio controller required`);
    const line = lineNumber(options.line, `${name}: line`);
    const activeLow = optionalBoolean(options.activeLow, `${name}: activeLow`, false);
    return new GpioIrLight(name, await options.gpio.output({ line, activeLow, initial: 0 }));
  }

  private constructor(
    name: string,
    private readonly out: DigitalOutput,
  ) {
    super(name);
  }

  /** 1 when lit, 0 when dark (on/off hardware: the requested fraction is not kept). */
  get level(): number {
    return this.out.value;
  }

  async set(level: number): Promise<void> {
    this.assertOpen();
    if (typeof level !== 'number' || !Number.isFinite(level) || level < 0 || level > 1) {
      throw new InvalidOptionsError(`${this.name}: level must be a number in 0..1, got ${JSON.stringify(level)}`);
    }
    await this.out.write(level > 0 ? 1 : 0);
  }

  protected override async onClose(): Promise<void> {
    await this.out.write(0).catch(() => {});
    await this.out.close();
  }
}
