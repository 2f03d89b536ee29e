/**
 * The shape every HAL device follows (after ECMA-419's base class pattern): one options object,
 * validated before any hardware is touched; `close()` safe to call twice; every other call after
 * close throws `DeviceClosedError`.
 */
import { DeviceClosedError, InvalidOptionsError } from './errors.ts';

export interface Device {
  /** A short human name used in errors, the journal and `dozor doctor` ("light sensor", "battery B"). */
  readonly name: string;
  /** Releases the hardware. Idempotent. */
  close(): Promise<void>;
}

export abstract class DeviceBase implements Device {
  private closing: Promise<void> | null = null;

  protected constructor(readonly name: string) {}

  get closed(): boolean {
    return this.closing !== null;
  }

  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => this.onClose());
    return this.closing;
  }

  /** Releases resources; runs once. */
  protected onClose(): Promise<void> | void {}

  protected assertOpen(): void {
    if (this.closing) throw new DeviceClosedError(this.name);
  }
}

/** Helpers that make option validation one line each and the error messages uniform. */
export const check = {
  object(value: unknown, what: string): asserts value is Record<string, unknown> {
    if (value === null || typeof value !== 'object') throw new InvalidOptionsError(`${what}: options object required`);
  },
  int(value: unknown, what: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidOptionsError(`${what} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  },
  number(value: unknown, what: string, min = -Infinity, max = Infinity): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidOptionsError(`${what} must be a number in ${min}..${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  },
  oneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw new InvalidOptionsError(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value as T;
  },
  string(value: unknown, what: string): string {
    if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionsError(`${what} must be a non-empty string`);
    return value;
  },
  /** 7-bit I2C addresses usable by devices (0x00–0x02 and 0x78–0x7F are reserved). */
  i2cAddress(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0x03 || value > 0x77) {
      throw new InvalidOptionsError(`${what} must be a 7-bit I2C address in 0x03..0x77, got ${JSON.stringify(value)}`);
    }
    return value;
  },
};
