/**
 * A fake Arduino Uno running StandardFirmata 2.5, at the serial-byte level: it answers the
 * host's version, firmware, capability and analog-mapping queries, applies SET_PIN_MODE and
 * digital port writes, reports a digital port when reporting is switched on and whenever an
 * input on it changes, and reports analog channels that have reporting on. It is a transport
 * for the real firmata-io (`new Firmata(transport)`), so the whole protocol path runs in tests.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../hal/clock.ts';

const REPORT_VERSION = 0xf9;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const SET_PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;
const REPORT_ANALOG = 0xc0;
const REPORT_DIGITAL = 0xd0;

export const MODE = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, PULLUP: 0x0b } as const;

const PWM_PINS = new Set([3, 5, 6, 9, 10, 11]);
const PIN_COUNT = 20; // D0–D13, A0–A5 as D14–D19

export class FakeStandardFirmata extends EventEmitter {
  readonly modes: number[] = Array(PIN_COUNT).fill(MODE.OUTPUT);
  /** Level written by the host (outputs) or the pull-up flag (inputs). */
  readonly written: number[] = Array(PIN_COUNT).fill(0);
  /** Level the outside world puts on each pin; null = floating. */
  private readonly external: Array<0 | 1 | null> = Array(PIN_COUNT).fill(null);
  private readonly analog: number[] = Array(6).fill(0);
  private readonly reportPorts = new Set<number>();
  private readonly reportAnalog = new Set<number>();
  private rx: number[] = [];
  isOpen = false;
  /** Host messages as text, for assertions ("pinMode 3 11", "digitalPort 1 0x04"). */
  readonly log: string[] = [];

  /** Opens the "port" and sends what StandardFirmata sends after reset. */
  open(): this {
    setImmediate(() => {
      this.isOpen = true;
      this.emit('open');
      this.send([REPORT_VERSION, 2, 5]);
      this.sendFirmware();
    });
    return this;
  }

  write(data: Buffer | number[], callback?: (err?: Error | null) => void): boolean {
    for (const b of data) this.receive(b);
    if (callback) setImmediate(() => callback(null));
    return true;
  }

  close(callback?: (err?: Error | null) => void): void {
    this.isOpen = false;
    setImmediate(() => {
      this.emit('close');
      callback?.(null);
    });
  }

  // ---- the outside world ----

  /** A switch or button puts a level on an input pin. */
  setInput(pin: number, level: 0 | 1 | null): void {
    const port = pin >> 3;
    const before = this.portValue(port);
    this.external[pin] = level;
    if (this.reportPorts.has(port) && this.portValue(port) !== before) this.sendPort(port);
  }

  /** The voltage on an analog channel changes (0..1023); reported like the sampling loop would. */
  setAnalog(channel: number, value: number): void {
    this.analog[channel] = value;
    if (this.reportAnalog.has(channel)) this.send([ANALOG_MESSAGE | channel, value & 0x7f, (value >> 7) & 0x7f]);
  }

  /**
   * Runs StandardFirmata's sampling loop on `clock`: every `intervalMs` (the firmware's default
   * samplingInterval is 19 ms) each analog channel with reporting on is sampled through
   * `sample` and reported. Returns the stop (the board unplugged: reports stop).
   */
  startSampling(clock: Clock, sample: (channel: number) => number, intervalMs = 19): () => void {
    this.sampler = sample;
    const timer = clock.setInterval(() => {
      for (const ch of this.reportAnalog) this.sendAnalog(ch);
    }, intervalMs);
    return () => {
      timer.cancel();
      if (this.sampler === sample) this.sampler = null;
    };
  }

  private sampler: ((channel: number) => number) | null = null;

  /** Reads the channel (through the sampler when one runs) and reports it. */
  private sendAnalog(ch: number): void {
    if (this.sampler) this.analog[ch] = Math.max(0, Math.min(1023, Math.round(this.sampler(ch))));
    const v = this.analog[ch];
    this.send([ANALOG_MESSAGE | ch, v & 0x7f, (v >> 7) & 0x7f]);
  }

  /** The level an output pin drives. */
  level(pin: number): number {
    return this.written[pin];
  }

  // ---- StandardFirmata ----

  private readLevel(pin: number): 0 | 1 {
    const ext = this.external[pin];
    if (ext !== null) return ext;
    // A floating input reads high with the pull-up on (INPUT_PULLUP, or HIGH written to an INPUT).
    return this.modes[pin] === MODE.PULLUP || (this.modes[pin] === MODE.INPUT && this.written[pin] === 1) ? 1 : 0;
  }

  private portValue(port: number): number {
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      if (pin >= PIN_COUNT) break;
      if (this.modes[pin] === MODE.INPUT || this.modes[pin] === MODE.PULLUP) v |= this.readLevel(pin) << i;
    }
    return v;
  }

  private sendPort(port: number): void {
    const v = this.portValue(port);
    this.send([DIGITAL_MESSAGE | port, v & 0x7f, (v >> 7) & 0x7f]);
  }

  private send(bytes: number[]): void {
    const data = Buffer.from(bytes);
    setImmediate(() => this.emit('data', data));
  }

  private sendFirmware(): void {
    const name = [...Buffer.from('StandardFirmata.ino')].flatMap((c) => [c & 0x7f, c >> 7]);
    this.send([START_SYSEX, QUERY_FIRMWARE, 2, 5, ...name, END_SYSEX]);
  }

  private receive(b: number): void {
    if (this.rx.length === 0 && b < 0x80) return; // stray data byte
    this.rx.push(b);
    const [cmd] = this.rx;
    if (cmd === START_SYSEX) {
      if (b === END_SYSEX) this.sysex(this.rx.slice(1, -1));
      else return;
    } else if (cmd === REPORT_VERSION) {
      this.send([REPORT_VERSION, 2, 5]);
    } else if (cmd === SET_PIN_MODE || cmd === SET_DIGITAL_PIN_VALUE || (cmd & 0xf0) === DIGITAL_MESSAGE) {
      if (this.rx.length < 3) return;
      this.command(this.rx);
    } else if ((cmd & 0xf0) === REPORT_DIGITAL || (cmd & 0xf0) === REPORT_ANALOG) {
      if (this.rx.length < 2) return;
      this.command(this.rx);
    } else if (cmd === 0xff) {
      // system reset: nothing to model
    }
    this.rx = [];
  }

  private sysex(msg: number[]): void {
    switch (msg[0]) {
      case QUERY_FIRMWARE:
        this.sendFirmware();
        break;
      case CAPABILITY_QUERY: {
        const out = [START_SYSEX, CAPABILITY_RESPONSE];
        for (let pin = 0; pin < PIN_COUNT; pin++) {
          out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1);
          if (PWM_PINS.has(pin)) out.push(MODE.PWM, 8);
          if (pin >= 14) out.push(MODE.ANALOG, 10);
          out.push(0x7f);
        }
        out.push(END_SYSEX);
        this.send(out);
        break;
      }
      case ANALOG_MAPPING_QUERY:
        this.send([START_SYSEX, ANALOG_MAPPING_RESPONSE, ...Array.from({ length: PIN_COUNT }, (_, p) => (p >= 14 ? p - 14 : 0x7f)), END_SYSEX]);
        break;
      default:
        this.log.push(`sysex 0x${msg[0]?.toString(16)}`);
    }
  }

  private command(m: number[]): void {
    const [cmd, a, b] = m;
    if (cmd === SET_PIN_MODE) {
      const port = a >> 3;
      const before = this.portValue(port);
      this.modes[a] = b;
      this.log.push(`pinMode ${a} ${b}`);
      // The main loop's checkDigitalInputs() reports a port whenever its input bits change.
      if (this.reportPorts.has(port) && this.portValue(port) !== before) this.sendPort(port);
      if (b === MODE.ANALOG && a >= 14) this.reportAnalog.add(a - 14);
      return;
    }
    if (cmd === SET_DIGITAL_PIN_VALUE) {
      this.written[a] = b ? 1 : 0;
      this.log.push(`digitalPin ${a} ${b}`);
      return;
    }
    if ((cmd & 0xf0) === DIGITAL_MESSAGE) {
      const port = cmd & 0x0f;
      const value = a | (b << 7);
      this.log.push(`digitalPort ${port} 0x${value.toString(16)}`);
      const before = this.portValue(port);
      for (let i = 0; i < 8; i++) {
        const pin = port * 8 + i;
        if (pin >= PIN_COUNT) break;
        // On an output this drives the pin; on an input a 1 switches the AVR pull-up on.
        if (this.modes[pin] === MODE.OUTPUT || this.modes[pin] === MODE.INPUT) this.written[pin] = (value >> i) & 1;
      }
      if (this.reportPorts.has(port) && this.portValue(port) !== before) this.sendPort(port);
      return;
    }
    if ((cmd & 0xf0) === REPORT_DIGITAL) {
      const port = cmd & 0x0f;
      if (a) {
        this.reportPorts.add(port);
        this.sendPort(port); // StandardFirmata reports the port at once when reporting starts
      } else this.reportPorts.delete(port);
      return;
    }
    if ((cmd & 0xf0) === REPORT_ANALOG) {
      const ch = cmd & 0x0f;
      if (a) {
        this.reportAnalog.add(ch);
        // StandardFirmata reports an analogRead of the pin at once when reporting starts.
        this.sendAnalog(ch);
      } else this.reportAnalog.delete(ch);
    }
  }
}
