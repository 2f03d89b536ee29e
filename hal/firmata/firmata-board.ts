/**
 * A johnny-five `Board` over a Firmata IO plugin, for Arduino-based prototype rigs. The IO is
 * injected (johnny-five's IO-plugin pattern): firmata-io over a serial port on a real rig,
 * mock-firmata in tests. johnny-five's own components run their timers in real time, so the
 * Dozor devices on top (buttons, indicators, LDR) use only the board's IO methods and keep
 * debounce, pattern playback and timeouts on the injected clock.
 */
import { createRequire } from 'node:module';
import type { Clock } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { DeviceNotFoundError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import { LineClaims, requireObject } from '../linux/gpio-lines.ts';

/** The Firmata IO-plugin surface we use (rwaldron/io-plugins; firmata-io, mock-firmata). */
export interface FirmataIo {
  readonly MODES: Readonly<Record<string, number>>;
  readonly pins: ReadonlyArray<{ supportedModes: readonly number[]; mode?: number; value?: number; analogChannel: number }>;
  readonly analogPins: readonly number[];
  readonly isReady: boolean;
  readonly name?: string;
  RESOLUTION?: { ADC?: number | null };
  pinMode(pin: number, mode: number): void;
  digitalWrite(pin: number, value: number): void;
  digitalRead(pin: number, callback: (value: number) => void): void;
  analogRead(pin: number, callback: (value: number) => void): void;
  reportDigitalPin?(pin: number, value: 0 | 1): void;
  reportAnalogPin?(pin: number, value: 0 | 1): void;
  /** Asks the board for its protocol version; `callback` runs when it answers (firmata-io). */
  reportVersion?(callback: () => void): void;
  removeListener?(event: string, listener: (value: number) => void): unknown;
  on(event: string, listener: (arg: unknown) => void): unknown;
  once(event: string, listener: (arg: unknown) => void): unknown;
  transport?: { close?(callback?: (err?: Error | null) => void): void; isOpen?: boolean } | null;
}

interface J5Board {
  readonly io: FirmataIo;
  readonly isReady: boolean;
  on(event: string, listener: (arg: Error) => void): unknown;
  once(event: string, listener: (arg: Error) => void): unknown;
}

/** A byte transport firmata-io can talk over (a serialport SerialPort, or a stand-in). */
export interface FirmataTransport {
  write(data: Buffer, callback?: (err?: Error | null) => void): unknown;
  on(event: string, listener: (data: Buffer) => void): unknown;
  close?(callback?: (err?: Error | null) => void): void;
}

export interface FirmataBoardOptions {
  clock: Clock;
  name?: string;
  /** An IO plugin instance; without it firmata-io runs over `transport`, or over a serial port opened on `port`. */
  io?: FirmataIo;
  transport?: FirmataTransport;
  /** Serial device of the Arduino (e.g. /dev/ttyACM0) when no `io` is given. */
  port?: string;
  baud?: number;
  /** Give up when the board has not reported ready after this long (ms, injected clock). */
  readyTimeoutMs?: number;
}

/** Arduino "A0".."A15" → analog channel number. */
export function analogChannel(pin: string): number {
  const m = /^A(\d{1,2})$/.exec(pin);
  if (!m || Number(m[1]) > 15) throw new InvalidOptionsError(`analog pin must be A0..A15, got ${JSON.stringify(pin)}`);
  return Number(m[1]);
}

export class FirmataBoard extends DeviceBase {
  private readonly claims = new LineClaims();
  private readonly closers: Array<() => void> = [];

  private constructor(
    name: string,
    readonly board: J5Board,
    readonly io: FirmataIo,
    readonly clock: Clock,
  ) {
    super(name);
  }

  static async open(options: FirmataBoardOptions): Promise<FirmataBoard> {
    requireObject(options, 'Firmata board');
    if (!options.clock) throw new InvalidOptionsError('Firmata board: clock required');
    const name = options.name ?? 'Firmata board';
    const readyTimeoutMs = options.readyTimeoutMs === undefined ? 10_000 : check.int(options.readyTimeoutMs, `${name}: readyTimeoutMs`, 1, 600_000);
    let io = options.io;
    if (!io) {
      let transport = options.transport;
      if (!transport) {
        const port = check.string(options.port, `${name}: port`);
        const baud = options.baud === undefined ? 57600 : check.int(options.baud, `${name}: baud`, 300, 2_000_000);
        transport = openSerialPort(port, baud);
      }
      io = firmataOver(transport);
    }
    const { Board } = createRequire(import.meta.url)('johnny-five') as { Board: new (opts: object) => J5Board };
    const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: readyTimeoutMs });
    await new Promise<void>((resolve, reject) => {
      const timer = options.clock.setTimeout(() => reject(new DeviceNotRespondingError(name, `no Firmata handshake within ${readyTimeoutMs} ms (is StandardFirmata flashed?)`)), readyTimeoutMs);
      board.once('ready', () => {
        timer.cancel();
        resolve();
      });
      board.once('error', (err: Error) => {
        timer.cancel();
        reject(new DeviceNotFoundError(name, err?.message ?? String(err)));
      });
    });
    return new FirmataBoard(name, board, io, options.clock);
  }

  /** Highest value the ADC reports (1023 on an Uno). */
  get adcMax(): number {
    return this.io.RESOLUTION?.ADC ?? 1023;
  }

  /** Claims a digital pin (an analog pin by its digital index) for one device. */
  claim(pin: number, owner: string): void {
    this.assertOpen();
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.io.pins.length) throw new InvalidOptionsError(`${this.name}: pin ${pin} does not exist (the board has ${this.io.pins.length} pins)`);
    this.claims.claim(pin, owner);
  }

  release(pin: number): void {
    this.claims.release(pin);
  }

  /** Callbacks waiting for the board's answer to a version query, in query order. */
  private readonly answers: Array<() => void> = [];
  private listeningForAnswers = false;

  /**
   * Runs `callback` once the board has handled everything sent before this call: the board
   * answers messages in order, so its reply to a version query sent now comes after every report
   * it sent in answer to earlier messages. Returns false (and never calls back) when the IO
   * plugin cannot ask.
   */
  afterPending(callback: () => void): boolean {
    const io = this.io;
    if (typeof io.reportVersion !== 'function') return false;
    if (!this.listeningForAnswers) {
      this.listeningForAnswers = true;
      // One persistent listener: each reply answers the oldest query (firmata-io's own
      // callbacks are once-listeners that would all fire on the first reply).
      io.on('reportversion', () => this.answers.shift()?.());
    }
    this.answers.push(callback);
    io.reportVersion(() => {});
    return true;
  }

  /** Runs at close (stop reporting, release pins). */
  onBoardClose(fn: () => void): void {
    this.closers.push(fn);
  }

  protected override async onClose(): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) fn();
    const transport = this.io.transport;
    if (transport?.close) await new Promise<void>((resolve) => transport.close!(() => resolve()));
  }
}

/** The Arduino's USB serial port, through the project's serialport. */
function openSerialPort(port: string, baud: number): FirmataTransport {
  const { SerialPort } = createRequire(import.meta.url)('serialport') as { SerialPort: new (opts: { path: string; baudRate: number }) => FirmataTransport };
  return new SerialPort({ path: port, baudRate: baud });
}

/** firmata-io (the protocol half of firmata.js) over any transport. */
function firmataOver(transport: FirmataTransport): FirmataIo {
  const { Firmata } = createRequire(import.meta.url)('firmata-io') as { Firmata: new (transport: FirmataTransport) => FirmataIo };
  return new Firmata(transport);
}
