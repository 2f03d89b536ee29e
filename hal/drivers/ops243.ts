/**
 * OmniPreSense OPS243-A Doppler radar over a serial `ByteLink` (UART default 19200 8N1, or USB
 * CDC where the baud rate is irrelevant). Facts and their confidence: research/hardware-facts.md §7.
 *
 * Commands are two ASCII characters; `R>n`/`R<n` need a CR after the number. Replies are one
 * JSON object per line, e.g. `UK` → `{"Units":"km-per-hr"}` [V]. Speed reports are one per line:
 * - plain: `speed`, or `magnitude,speed` (OM), `time,speed` (OT), `time,magnitude,speed` [V];
 *   the sign gives the direction, inbound + / outbound − by default [S/U: option `plainSign`];
 * - JSON (OJ): `{"speed":0.58, "direction":"inbound", "time":105, "tick":135}` (OPS242 manual) [V];
 *   exact keys on current OPS243 firmware are [U], so the parser accepts numbers or numeric
 *   strings, an optional `magnitude`, and falls back to the sign when `direction` is absent.
 * Anything else is a rejected line: counted, never thrown.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { DeviceBase, check } from '../device.ts';
import { BusError, DeviceClosedError, DeviceNotRespondingError, DozorError, InvalidOptionsError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { ByteLink } from '../link.ts';
import type { RadarConfig, RadarDirection, RadarReading, RadarSensor } from '../radar.ts';
import { LineFramer } from './line-framer.ts';

/** The sensor answered, but not what the driver asked for (wrong units, refused setting). */
export class RadarConfigError extends DozorError {
  constructor(readonly device: string, detail: string) {
    super('ERADARCONFIG', `${device}: ${detail}`);
  }
}

/** Sampling rates and their commands (max unambiguous speed ≈ 31 m/s per 10 k samples/s [S]). */
export const OPS243_SAMPLE_RATES = { 10000: 'SX', 20000: 'S2', 50000: 'SL', 100000: 'SC' } as const;
export type Ops243SampleRate = keyof typeof OPS243_SAMPLE_RATES;

export interface Ops243Options {
  link: ByteLink;
  /** Stamps readings with their arrival time and times out unanswered commands. */
  clock: Clock;
  name?: string;
  /** Report format the driver configures (default 'json'). */
  output?: 'json' | 'plain';
  /** Ask for the signal magnitude with every report (`OM`, default true). */
  magnitude?: boolean;
  /** Samples per second (default 20000: up to ≈ 224 km/h line-of-sight). */
  sampleRate?: Ops243SampleRate;
  /** Sign convention of plain reports [S/U] (default inbound positive). */
  plainSign?: 'inbound-positive' | 'outbound-positive';
  /** How long a command may wait for its reply (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Longest line accepted, CR LF included (default 256). */
  maxLineLength?: number;
}

export type Ops243RejectReason = 'overlong' | 'not-ascii' | 'bad-json' | 'bad-number' | 'bad-direction' | 'unexpected-shape';

export type Ops243Line =
  | { kind: 'reading'; speed: number; direction: RadarDirection; magnitude: number | null }
  | { kind: 'reply'; data: Record<string, unknown> }
  | { kind: 'blank' }
  | { kind: 'rejected'; reason: Ops243RejectReason };

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMBER.test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * Parses one line (without CR LF). `format` tells how plain reports are laid out: whether the
 * magnitude precedes the speed when there are two numbers.
 */
export function parseOps243Line(line: string, format: { magnitude: boolean; plainSign: 'inbound-positive' | 'outbound-positive' }): Ops243Line {
  const text = line.trim();
  if (text.length === 0) return { kind: 'blank' };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      // The manual's own examples use typographic quotes; real output is ASCII.
      return { kind: 'rejected', reason: 'not-ascii' };
    }
  }
  const signDirection = (v: number): RadarDirection =>
    (v >= 0) === (format.plainSign === 'inbound-positive') ? 'inbound' : 'outbound';
  if (text[0] === '{') {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return { kind: 'rejected', reason: 'bad-json' };
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { kind: 'rejected', reason: 'unexpected-shape' };
    const o = obj as Record<string, unknown>;
    if (!('speed' in o)) return { kind: 'reply', data: o };
    const speed = num(o.speed);
    if (speed === undefined) return { kind: 'rejected', reason: 'bad-number' };
    let magnitude: number | null = null;
    if ('magnitude' in o) {
      const m = num(o.magnitude);
      if (m === undefined || m < 0) return { kind: 'rejected', reason: 'bad-number' };
      magnitude = m;
    }
    let direction: RadarDirection;
    if ('direction' in o) {
      if (o.direction !== 'inbound' && o.direction !== 'outbound') return { kind: 'rejected', reason: 'bad-direction' };
      direction = o.direction;
    } else {
      direction = signDirection(speed);
    }
    return { kind: 'reading', speed: Math.abs(speed), direction, magnitude };
  }
  const parts = text.split(',');
  if (parts.length > 3) return { kind: 'rejected', reason: 'unexpected-shape' };
  const values: number[] = [];
  for (const p of parts) {
    const v = num(p);
    if (v === undefined) return { kind: 'rejected', reason: 'bad-number' };
    values.push(v);
  }
  const speed = values[values.length - 1];
  let magnitude: number | null = null;
  if (values.length === 3) magnitude = values[1];
  else if (values.length === 2 && format.magnitude) magnitude = values[0];
  if (magnitude !== null && magnitude < 0) return { kind: 'rejected', reason: 'bad-number' };
  return { kind: 'reading', speed: Math.abs(speed), direction: signDirection(speed), magnitude };
}

interface Waiter {
  accept(data: Record<string, unknown>): boolean;
  resolve(data: Record<string, unknown>): void;
  reject(err: Error): void;
}

export class Ops243Radar extends DeviceBase implements RadarSensor {
  private readonly subject = new Subject<RadarReading>();
  readonly readings$: Observable<RadarReading> = this.subject.asObservable();
  private readonly link: ByteLink;
  private readonly clock: Clock;
  private readonly output: 'json' | 'plain';
  private readonly magnitude: boolean;
  private readonly sampleRate: Ops243SampleRate;
  private readonly plainSign: 'inbound-positive' | 'outbound-positive';
  private readonly timeoutMs: number;
  private readonly framer: LineFramer;
  private readonly sub: Subscription;
  private readonly waiters = new Set<Waiter>();
  private rejectedLines = 0;
  readonly rejections: Record<Ops243RejectReason, number> = {
    overlong: 0,
    'not-ascii': 0,
    'bad-json': 0,
    'bad-number': 0,
    'bad-direction': 0,
    'unexpected-shape': 0,
  };
  /** Reply lines seen (command acknowledgements and information). */
  replies = 0;
  private linkError: Error | null = null;

  constructor(options: Ops243Options) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('Ops243Radar: options object required');
    const name = options.name ?? 'radar';
    super(name);
    if (!options.link || typeof options.link.write !== 'function') throw new InvalidOptionsError(`${name}: link must be a ByteLink`);
    if (!options.clock || typeof options.clock.setTimeout !== 'function') throw new InvalidOptionsError(`${name}: clock required`);
    this.output = options.output === undefined ? 'json' : check.oneOf(options.output, `${name}: output`, ['json', 'plain'] as const);
    this.magnitude = options.magnitude ?? true;
    if (typeof this.magnitude !== 'boolean') throw new InvalidOptionsError(`${name}: magnitude must be a boolean`);
    this.sampleRate = options.sampleRate ?? 20000;
    if (!(this.sampleRate in OPS243_SAMPLE_RATES)) throw new InvalidOptionsError(`${name}: sampleRate must be one of ${Object.keys(OPS243_SAMPLE_RATES).join(', ')}`);
    this.plainSign = options.plainSign === undefined ? 'inbound-positive' : check.oneOf(options.plainSign, `${name}: plainSign`, ['inbound-positive', 'outbound-positive'] as const);
    this.timeoutMs = options.commandTimeoutMs === undefined ? 1000 : check.number(options.commandTimeoutMs, `${name}: commandTimeoutMs`, 1, 60_000);
    const maxLine = options.maxLineLength === undefined ? 256 : check.int(options.maxLineLength, `${name}: maxLineLength`, 16, 65536);
    this.link = options.link;
    this.clock = options.clock;
    this.framer = new LineFramer(maxLine, (line) => this.onLine(line));
    this.sub = this.link.data$.subscribe({
      next: (chunk) => {
        const before = this.framer.overlong;
        this.framer.push(chunk);
        const n = this.framer.overlong - before;
        if (n > 0) {
          this.rejectedLines += n;
          this.rejections.overlong += n;
        }
      },
      error: (err: unknown) => this.fail(err instanceof BusError ? err : new BusError(`${this.name}: serial line failed`, { cause: err })),
      complete: () => this.fail(new BusError(`${this.name}: serial line closed`)),
    });
  }

  rejected(): number {
    return this.rejectedLines;
  }

  /**
   * Puts the sensor into the driver's reporting mode: km/h, sampling rate, magnitude, output
   * format, direction filter and minimum speed; then checks the units by query. Resolves when
   * the sensor confirmed; rejects with `DeviceNotRespondingError` or `RadarConfigError`.
   */
  async configure(config: RadarConfig): Promise<void> {
    this.assertOpen();
    if (config === null || typeof config !== 'object') throw new InvalidOptionsError(`${this.name}: configure needs a RadarConfig`);
    const directions = check.oneOf(config.directions, `${this.name}: directions`, ['inbound', 'outbound', 'both'] as const);
    const minSpeed = check.number(config.minSpeedKmh, `${this.name}: minSpeedKmh`, 0, 500);
    const units = await this.command('UK', (d) => 'Units' in d);
    if (units.Units !== 'km-per-hr') throw new RadarConfigError(this.name, `units reply ${JSON.stringify(units)}, expected km-per-hr`);
    // These have no documented reply; the closing query proves the sensor processed them in order.
    await this.send(OPS243_SAMPLE_RATES[this.sampleRate]);
    await this.send(this.magnitude ? 'OM' : 'Om');
    await this.send(this.output === 'json' ? 'OJ' : 'Oj');
    await this.send(directions === 'inbound' ? 'R+' : directions === 'outbound' ? 'R-' : 'R|');
    await this.send(`R>${formatNumber(minSpeed)}\r`);
    const check2 = await this.command('U?', (d) => 'Units' in d);
    if (check2.Units !== 'km-per-hr') throw new RadarConfigError(this.name, `units query answered ${JSON.stringify(check2)}`);
  }

  /** Sends a query such as `??`, `?V` or `?U` and resolves with the first reply object it answers. */
  query(cmd: string, accept: (reply: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    this.assertOpen();
    return this.command(cmd, accept);
  }

  protected override async onClose(): Promise<void> {
    this.sub.unsubscribe();
    for (const w of this.waiters) w.reject(new DeviceClosedError(this.name));
    this.waiters.clear();
    this.subject.complete();
    await this.link.close();
  }

  private async send(cmd: string): Promise<void> {
    if (this.linkError) throw this.linkError;
    await this.link.write(new TextEncoder().encode(cmd));
  }

  private command(cmd: string, accept: (d: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.linkError) return reject(this.linkError);
      const timer = this.clock.setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new DeviceNotRespondingError(this.name, `no reply to ${JSON.stringify(cmd)} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const waiter: Waiter = {
        accept,
        resolve: (d) => {
          timer.cancel();
          this.waiters.delete(waiter);
          resolve(d);
        },
        reject: (e) => {
          timer.cancel();
          this.waiters.delete(waiter);
          reject(e);
        },
      };
      this.waiters.add(waiter);
      this.send(cmd).catch((err: unknown) => waiter.reject(err instanceof Error ? err : new BusError(String(err))));
    });
  }

  private onLine(line: string): void {
    const parsed = parseOps243Line(line, { magnitude: this.magnitude, plainSign: this.plainSign });
    switch (parsed.kind) {
      case 'reading':
        if (parsed.speed === 0) return;
        this.subject.next({ speedKmh: parsed.speed, direction: parsed.direction, magnitude: parsed.magnitude, at: this.clock.monotonic() });
        return;
      case 'reply':
        this.replies += 1;
        for (const w of this.waiters) {
          if (w.accept(parsed.data)) {
            w.resolve(parsed.data);
            return;
          }
        }
        return;
      case 'blank':
        return;
      case 'rejected':
        this.rejectedLines += 1;
        this.rejections[parsed.reason] += 1;
        return;
    }
  }

  private fail(err: Error): void {
    if (this.closed || this.linkError) return;
    this.linkError = err;
    for (const w of this.waiters) w.reject(err);
    this.subject.error(err);
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '');
}
