/**
 * mock-firmata (the Firmata stand-in johnny-five's own tests use) with the reporting behaviour
 * of firmata-io added, so inputs can be driven the way a StandardFirmata board reports them:
 * `digitalRead`/`analogRead` register `digital-read-N`/`analog-read-N` listeners like
 * firmata-io; `reportDigital`/`reportAnalog` emit what a port/analog message would. Writes and
 * mode changes are recorded with the injected clock's time.
 */
import mock from 'mock-firmata';
import type { Clock } from '../../hal/clock.ts';

export class TestFirmata extends mock.Firmata {
  /** [time, pin, value] for every digitalWrite. */
  readonly writes: Array<[number, number, number]> = [];
  readonly modes = new Map<number, number>();

  constructor(private readonly clock?: Clock) {
    super();
  }

  /** Completes the handshake (what StandardFirmata's version + capability replies do). */
  handshake(): this {
    this.emit('connect');
    this.emit('ready');
    return this;
  }

  override pinMode(pin: number, mode: number): void {
    this.modes.set(pin, mode);
  }

  override digitalWrite(pin: number, value: number): void {
    this.pins[pin].value = value;
    this.writes.push([this.clock?.monotonic() ?? 0, pin, value]);
  }

  override digitalRead(pin: number, callback: (value: number) => void): void {
    this.pins[pin].report = 1;
    this.addListener(`digital-read-${pin}`, callback);
  }

  override analogRead(pin: number, callback: (value: number) => void): void {
    this.addListener(`analog-read-${pin}`, callback);
  }

  /** The board reports a digital input level. */
  reportDigital(pin: number, value: 0 | 1): void {
    this.pins[pin].value = value;
    this.emit(`digital-read-${pin}`, value);
  }

  /** The board reports an analog channel (0..1023 on an Uno). */
  reportAnalog(channel: number, value: number): void {
    this.emit(`analog-read-${channel}`, value);
  }

  /** Level last written to a pin. */
  level(pin: number): number {
    return this.pins[pin].value;
  }
}
