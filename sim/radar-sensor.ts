/**
 * A simulated OmniPreSense OPS243-A aimed at one lane: it watches the traffic model, and while
 * vehicles are in its beam it emits, once per sampling frame, the report a real sensor would send
 * (the strongest target only, as with the default `O1`), in the units, format and filters the
 * host configured, over a byte link. It answers the configuration commands of the serial API.
 *
 * Physics per report: line-of-sight speed v·cos(θ) with θ the mounting angle plus a per-vehicle
 * offset and a small sweep across the beam; Gaussian noise; quantised to the FFT bin
 * (0.0607 m/s at 10 k samples/s and 1024-sample buffers, scaling with rate/buffer); aliasing above
 * the maximum speed of the sampling rate; missed frames; occasional misreads (harmonics, stray
 * values); weak echoes from vehicles in the adjacent lane. Work is per frame while a vehicle is
 * in the beam, nothing while the road is empty.
 */
import { DeviceBase } from '../hal/device.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import type { Clock, TimerHandle } from '../hal/clock.ts';
import type { ByteLink } from '../hal/link.ts';
import type { Subscription } from 'rxjs';
import type { SeededRandom } from './random.ts';
import type { TrafficModel, Vehicle } from './traffic.ts';

type UnitCode = 'UC' | 'UF' | 'UK' | 'UM' | 'US';
const UNIT_FACTOR: Record<UnitCode, number> = { UC: 100, UF: 3.280839895, UK: 3.6, UM: 1, US: 2.2369362921 };
const UNIT_NAME: Record<UnitCode, string> = { UC: 'cm-per-sec', UF: 'ft-per-sec', UK: 'km-per-hr', UM: 'm-per-sec', US: 'mph' };
const RATE_CMDS: Record<string, number> = { SI: 1000, SV: 5000, SX: 10000, S1: 10000, S2: 20000, SL: 50000, SC: 100000 };

export interface SimOps243Options {
  name?: string;
  /** The sensor's end of the serial link. */
  link: ByteLink;
  clock: Clock;
  random: SeededRandom;
  traffic: TrafficModel;
  /** The lane the beam is aimed at. */
  lane: number;
  /** True angle between the beam axis and the direction of travel (degrees). */
  mountingAngleDeg: number;
  /** Standard deviation of each vehicle's angle offset (lateral position in the lane); default 0.4°. */
  angleJitterDeg?: number;
  /** Change of angle from entering to leaving the beam (degrees); default 1.0. */
  angleSweepDeg?: number;
  /** Per-report speed noise, standard deviation in km/h; default 0.3. */
  noiseSdKmh?: number;
  /** Probability that a frame with a target gives no report; default 0.03. */
  dropRate?: number;
  /** Probability that a report is a misread (harmonic or stray value); default 0.004. */
  misreadRate?: number;
  /** Probability that a vehicle in an adjacent lane leaks a few weak reports into this beam; default 0.002. */
  spillRate?: number;
}

interface Target {
  v: Vehicle;
  angleDeg: number;
  /** Echo strength multiplier (1 own lane, small for spill). */
  gain: number;
  fromMs: number;
  toMs: number;
}

export class SimOps243 extends DeviceBase {
  private readonly o: Required<Omit<SimOps243Options, 'name'>>;
  private readonly bootMs: number;
  private readonly sub: Subscription;
  private input = '';
  private active: Target[] = [];
  private ticking: TimerHandle | null = null;
  // Sensor state (power-on defaults, UM-003-A).
  private units: UnitCode = 'UM';
  private json = false;
  private magnitude = false;
  private timeReport = false;
  private speedReport = true;
  private decimals = 2;
  private directions: 'both' | 'inbound' | 'outbound' = 'both';
  private minSpeed = 0;
  private maxSpeed = 0;
  private sampleRate = 10000;
  private bufferSize = 1024;
  private frame = 0;
  /** Reports written (tests, reports). */
  readonly stats = { reports: 0, misreads: 0, dropped: 0, spills: 0, commands: 0 };

  constructor(options: SimOps243Options) {
    super(options.name ?? `sim OPS243 lane ${options.lane}`);
    if (!(options.mountingAngleDeg >= 0 && options.mountingAngleDeg < 60)) throw new InvalidOptionsError(`${this.name}: mountingAngleDeg must be in 0..60`);
    this.o = {
      angleJitterDeg: 0.4,
      angleSweepDeg: 1.0,
      noiseSdKmh: 0.3,
      dropRate: 0.03,
      misreadRate: 0.004,
      spillRate: 0.002,
      ...options,
    };
    this.bootMs = options.clock.monotonic();
    const own = options.traffic.lanes.find((l) => l.lane === options.lane);
    if (!own) throw new InvalidOptionsError(`${this.name}: no lane ${options.lane} in the traffic model`);
    options.traffic.watch((v) => this.onVehicle(v));
    this.sub = options.link.data$.subscribe({ next: (b) => this.onBytes(b), error: () => undefined });
  }

  /** Frame period in ms: buffer size / sampling rate. */
  get framePeriodMs(): number {
    return (this.bufferSize / this.sampleRate) * 1000;
  }

  private get resolutionMs(): number {
    return 0.0607 * (this.sampleRate / 10000) * (1024 / this.bufferSize);
  }

  private get maxMs(): number {
    return 31.1 * (this.sampleRate / 10000);
  }

  protected override onClose(): void {
    this.sub.unsubscribe();
    this.ticking?.cancel();
  }

  // ---- the world ----

  private onVehicle(v: Vehicle): void {
    if (this.closed) return;
    const r = this.o.random;
    if (v.lane === this.o.lane) {
      this.active.push({
        v,
        angleDeg: this.o.mountingAngleDeg + this.o.angleJitterDeg * r.gaussian(),
        gain: 1,
        fromMs: v.enterMs,
        toMs: v.exitMs,
      });
    } else if (Math.abs(v.lane - this.o.lane) === 1 && r.chance(this.o.spillRate)) {
      // A side lobe catches part of the pass: one or two frames of a weak echo.
      this.stats.spills += 1;
      const mid = (v.enterMs + v.exitMs) / 2;
      this.active.push({ v, angleDeg: this.o.mountingAngleDeg + 4, gain: 0.1, fromMs: mid, toMs: mid + this.framePeriodMs * (1 + r.int(0, 1)) });
    } else {
      return;
    }
    if (!this.ticking) this.scheduleTick();
  }

  private scheduleTick(): void {
    const now = this.o.clock.monotonic();
    const period = this.framePeriodMs;
    const k = Math.max(this.frame + 1, Math.ceil((now - this.bootMs) / period));
    const due = this.bootMs + k * period;
    this.ticking = this.o.clock.setTimeout(() => {
      this.ticking = null;
      this.frame = k;
      this.onFrame(due);
      if (this.active.length > 0 && !this.closed) this.scheduleTick();
    }, due - now);
  }

  private onFrame(t: number): void {
    this.active = this.active.filter((a) => a.toMs >= t);
    const r = this.o.random;
    let best: Target | null = null;
    let bestMag = 0;
    for (const a of this.active) {
      if (a.fromMs > t) continue;
      const base = a.v.kind === 'truck' ? 2500 : 900;
      const mag = base * a.gain * Math.exp(0.25 * r.gaussian());
      if (mag > bestMag) {
        bestMag = mag;
        best = a;
      }
    }
    if (!best || !this.speedReport) return;
    if (r.chance(this.o.dropRate)) {
      this.stats.dropped += 1;
      return;
    }
    const v = best.v;
    const progress = Math.min(1, Math.max(0, (t - v.enterMs) / (v.exitMs - v.enterMs)));
    const angle = ((best.angleDeg + (progress - 0.5) * this.o.angleSweepDeg) * Math.PI) / 180;
    let losKmh = v.speedKmh * Math.cos(angle) + this.o.noiseSdKmh * r.gaussian();
    if (r.chance(this.o.misreadRate)) {
      this.stats.misreads += 1;
      losKmh = r.chance(0.5) ? losKmh * (r.chance(0.5) ? 0.5 : 2) : 5 + r.next() * 150;
    }
    // Signed line-of-sight speed in m/s, inbound positive; quantised and aliased like an FFT bin.
    let ms = ((v.direction === 'inbound' ? 1 : -1) * Math.max(0, losKmh)) / 3.6;
    const max = this.maxMs;
    if (Math.abs(ms) > max) ms -= Math.sign(ms) * 2 * max;
    const res = this.resolutionMs;
    ms = Math.round(ms / res) * res;
    if (ms === 0) return;
    const direction = ms > 0 ? 'inbound' : 'outbound';
    if (this.directions !== 'both' && this.directions !== direction) return;
    const value = ms * UNIT_FACTOR[this.units];
    if (Math.abs(value) < this.minSpeed) return;
    if (this.maxSpeed > 0 && Math.abs(value) > this.maxSpeed) return;
    this.stats.reports += 1;
    this.writeLine(this.formatReport(value, direction, bestMag, t));
  }

  private formatReport(value: number, direction: 'inbound' | 'outbound', mag: number, t: number): string {
    const secs = (t - this.bootMs) / 1000;
    if (this.json) {
      const parts: string[] = [];
      if (this.magnitude) parts.push(`"magnitude":${Math.round(mag)}`);
      parts.push(`"speed":${Math.abs(value).toFixed(this.decimals)}`, `"direction":"${direction}"`);
      // The OPS242 manual's example carries these two counters as well.
      parts.push(`"time":${Math.floor(secs)}`, `"tick":${this.frame}`);
      return `{${parts.join(', ')}}`;
    }
    const fields: string[] = [];
    if (this.timeReport) fields.push(secs.toFixed(3));
    if (this.magnitude) fields.push(String(Math.round(mag)));
    fields.push(value.toFixed(this.decimals));
    return fields.join(',');
  }

  private writeLine(line: string): void {
    if (this.closed || !this.o.link.isOpen) return;
    this.o.link.write(new TextEncoder().encode(`${line}\r\n`)).catch(() => undefined);
  }

  // ---- the serial API ----

  private onBytes(bytes: Uint8Array): void {
    for (const b of bytes) this.input += String.fromCharCode(b);
    if (this.input.length > 256) this.input = this.input.slice(-256);
    for (;;) {
      this.input = this.input.replace(/^[\r\n ]+/, '');
      if (this.input.length < 2) return;
      const two = this.input.slice(0, 2);
      if (/^(?:[RrM][<>]|[SCTI]=)$/.test(two)) {
        const cr = this.input.indexOf('\r');
        if (cr < 0) return;
        const arg = this.input.slice(2, cr);
        this.input = this.input.slice(cr + 1);
        this.onValueCommand(two, arg);
      } else {
        this.input = this.input.slice(2);
        this.onCommand(two);
      }
    }
  }

  private onValueCommand(cmd: string, arg: string): void {
    this.stats.commands += 1;
    const n = Number(arg);
    if (!Number.isFinite(n)) return;
    if (cmd === 'R>') this.minSpeed = Math.max(0, n);
    else if (cmd === 'R<') this.maxSpeed = Math.max(0, n);
  }

  private onCommand(cmd: string): void {
    this.stats.commands += 1;
    if (cmd in UNIT_FACTOR) {
      this.units = cmd as UnitCode;
      this.reply({ Units: UNIT_NAME[this.units] });
      return;
    }
    if (cmd in RATE_CMDS) {
      this.sampleRate = RATE_CMDS[cmd];
      return;
    }
    if (/^F[0-5]$/.test(cmd)) {
      this.decimals = Number(cmd[1]);
      return;
    }
    switch (cmd) {
      case 'U?':
        return this.reply({ Units: UNIT_NAME[this.units] });
      case 'OJ':
      case 'Oj':
        this.json = cmd === 'OJ';
        return;
      case 'OM':
      case 'Om':
        this.magnitude = cmd === 'OM';
        return;
      case 'OT':
      case 'Ot':
        this.timeReport = cmd === 'OT';
        return;
      case 'OS':
      case 'Os':
        this.speedReport = cmd === 'OS';
        return;
      case 'R+':
        this.directions = 'inbound';
        return;
      case 'R-':
        this.directions = 'outbound';
        return;
      case 'R|':
        this.directions = 'both';
        return;
      case 'S>':
        this.bufferSize = 1024;
        return;
      case 'S<':
        this.bufferSize = 512;
        return;
      case '?P':
        return this.reply({ Product: 'OPS243 Doppler' });
      case '?V':
        return this.reply({ Version: '1.3.1' });
      case '?U':
        return this.reply({ UID: 'b2000040b7a12400d5188041' });
      case '??':
        this.reply({ Product: 'OPS243' });
        this.reply({ Version: '1.3.1' });
        this.writeLine(`{"SamplingRate":${this.sampleRate}, "resolution":${this.resolutionMs.toFixed(4)}}`);
        this.reply({ PowerMode: 'Continuous' });
        return;
      default:
        // Unknown or unmodelled commands are ignored, as the sensor ignores what it does not parse.
        return;
    }
  }

  private reply(obj: Record<string, unknown>): void {
    this.writeLine(JSON.stringify(obj));
  }
}
