/**
 * Shared shape of the I2C chip drivers: one options object `{ bus, address?, clock, name? }`
 * validated before the bus is touched, one transaction at a time per device, and bus failures
 * re-thrown as typed errors that name the device (`DeviceNotRespondingError` for a NACK).
 * The drivers only know the `I2cBus` contract, so the same code runs over the Linux i2c-bus
 * adapter on a Pi and over the simulated bus.
 */
import type { I2cBus } from '../bus/i2c.ts';
import type { Clock } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { DeviceClosedError, DeviceNotRespondingError, DozorError, InvalidOptionsError } from '../errors.ts';
import { Mutex } from './mutex.ts';

export interface I2cDriverOptions {
  /** The bus the chip is on (a Linux /dev/i2c-N adapter, a multiplexer channel, or the simulated bus). */
  bus: I2cBus;
  /** 7-bit address; each driver has a default and may restrict the choice. */
  address?: number;
  /** Used for power-on and conversion waits and for reading timestamps. */
  clock: Clock;
  /** Human name for errors, the journal and `dozor doctor`. */
  name?: string;
}

interface Defaults {
  name: string;
  address: number;
  /** Addresses the part can be strapped to. */
  addresses: readonly number[];
}

const BUS_METHODS = ['readByte', 'readWord', 'writeByte', 'writeWord', 'readI2cBlock', 'writeI2cBlock', 'i2cRead', 'i2cWrite', 'sendByte', 'receiveByte'] as const;

/** Validates the common options; throws `InvalidOptionsError` naming the field. */
export function validateI2cOptions(options: unknown, defaults: Defaults): { bus: I2cBus; address: number; clock: Clock; name: string } {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError(`${defaults.name}: options object required`);
  const o = options as Record<string, unknown>;
  const name = o.name === undefined ? defaults.name : check.string(o.name, `${defaults.name}: name`);
  const bus = o.bus as Partial<I2cBus> | undefined;
  if (bus === null || typeof bus !== 'object' || BUS_METHODS.some((m) => typeof bus[m] !== 'function')) {
    throw new InvalidOptionsError(`${name}: bus must implement I2cBus`);
  }
  const clock = o.clock as Partial<Clock> | undefined;
  if (clock === null || typeof clock !== 'object' || typeof clock.sleep !== 'function' || typeof clock.monotonic !== 'function') {
    throw new InvalidOptionsError(`${name}: clock must implement Clock`);
  }
  const address = o.address === undefined ? defaults.address : check.i2cAddress(o.address, `${name}: address`);
  if (!defaults.addresses.includes(address)) {
    throw new InvalidOptionsError(`${name}: address must be one of ${defaults.addresses.map(hex).join(', ')}, got ${hex(address)}`);
  }
  return { bus: bus as I2cBus, address, clock: clock as Clock, name };
}

export abstract class I2cDriver extends DeviceBase {
  readonly address: number;
  protected readonly bus: I2cBus;
  protected readonly clock: Clock;
  private readonly lock = new Mutex();

  protected constructor(options: unknown, defaults: Defaults) {
    const v = validateI2cOptions(options, defaults);
    super(v.name);
    this.bus = v.bus;
    this.address = v.address;
    this.clock = v.clock;
  }

  /**
   * Runs `task` alone on this device, after checking the device is open; bus errors come back
   * as typed errors naming the device.
   */
  protected exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    // Plain promise chaining, not another async frame: this is every sensor poll's hot path.
    return this.lock
      .run(() => (this.closed ? Promise.reject(new DeviceClosedError(this.name)) : task()))
      .catch((e: unknown) => {
        this.onFailure(e);
        throw this.describe(e);
      });
  }

  /** Called when a transaction failed (before the error is passed on): forget chip state here. */
  protected onFailure(_error: unknown): void {}

  /** True when `e` means the chip did not acknowledge. */
  protected static isNack(e: unknown): e is DeviceNotRespondingError {
    return e instanceof DeviceNotRespondingError;
  }

  private describe(e: unknown): unknown {
    if (e instanceof DeviceNotRespondingError && e.device !== this.name) {
      return new DeviceNotRespondingError(this.name, `no answer at ${hex(this.address)} on ${this.bus.id} (${e.message})`, { cause: e });
    }
    if (e instanceof DozorError) return e;
    return new DozorError('EBUS', `${this.name}: I2C transfer failed on ${this.bus.id}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
