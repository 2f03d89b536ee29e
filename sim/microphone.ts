/**
 * The simulated microphone: an ambient-noise model the world sets (quiet room, conversation,
 * street traffic, crowd) evaluated in O(1) per read as a pure function of (seed, time), so the
 * level at an instant does not depend on how often the firmware reads it, and a shift replays
 * byte-identically.
 *
 * Levels are dBFS for a MEMS microphone of −26 dBFS sensitivity at 94 dB SPL (ICS-43434 class):
 * dBFS = dB SPL − 120. The model sums, as powers:
 * - a noise floor with a slow drift (±2 dB over ~30 s) and per-sample jitter;
 * - speech bursts (0.5–5 s, level ±6 dB per burst, ±4 dB syllable flutter), from independent
 *   "speakers", each with at most one burst in each 6 s window;
 * - passing vehicles: at most one per 6 s window and lane, level falling off as
 *   10·log10(1 + (Δt/2 s)²) around the moment of closest approach.
 */
import { DeviceBase } from '../hal/device.ts';
import { DeviceNotRespondingError, InvalidOptionsError } from '../hal/errors.ts';
import type { Clock } from '../hal/clock.ts';
import type { Microphone, MicrophoneSample } from '../hal/microphone.ts';
import { assertOptionsObject } from '../hal/drivers/gpio-lines.ts';

export interface Ambient {
  /** Background noise floor (dBFS). */
  floorDbfs: number;
  /** Speech bursts per minute (mean, ≤ 60). */
  speechPerMinute: number;
  /** Typical speech level at the microphone (dBFS). */
  speechDbfs: number;
  /** Passing vehicles per minute (mean, ≤ 60). */
  vehiclesPerMinute: number;
  /** Level of a vehicle at its closest (dBFS). */
  vehicleDbfs: number;
}

export type AmbientPreset = 'quiet' | 'speech' | 'traffic' | 'crowd';

/** Presets in dB SPL − 120: a 35 dB room, talk at 68 dB, a 62 dB street with 80 dB pass-bys, a 65 dB crowd. */
export const AMBIENT_PRESETS: Readonly<Record<AmbientPreset, Readonly<Ambient>>> = Object.freeze({
  quiet: { floorDbfs: -85, speechPerMinute: 0.3, speechDbfs: -60, vehiclesPerMinute: 0, vehicleDbfs: -60 },
  speech: { floorDbfs: -75, speechPerMinute: 8, speechDbfs: -52, vehiclesPerMinute: 0.2, vehicleDbfs: -50 },
  traffic: { floorDbfs: -58, speechPerMinute: 1, speechDbfs: -52, vehiclesPerMinute: 10, vehicleDbfs: -40 },
  crowd: { floorDbfs: -55, speechPerMinute: 30, speechDbfs: -50, vehiclesPerMinute: 0.5, vehicleDbfs: -45 },
});

export interface SimMicrophoneOptions {
  clock: Clock;
  name?: string;
  seed?: number;
  ambient?: AmbientPreset | Ambient;
}

const WINDOW_MS = 6000;
const PASS_BY_TAU_MS = 2000;
/** Vehicle windows looked at either side of now: beyond ±3 windows a pass-by is > 20 dB down. */
const VEHICLE_REACH = 3;

/** A hash of (seed, stream, index, salt) to [0, 1): the model's only source of randomness. */
function h(seed: number, stream: number, index: number, salt: number): number {
  let x = (seed ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [−1, 1] with the given period. */
function drift(seed: number, stream: number, t: number, periodMs: number): number {
  const k = Math.floor(t / periodMs);
  const f = t / periodMs - k;
  const a = h(seed, stream, k, 0) * 2 - 1;
  const b = h(seed, stream, k + 1, 0) * 2 - 1;
  const s = f * f * (3 - 2 * f);
  return a + (b - a) * s;
}

const power = (db: number) => 10 ** (db / 10);

/** The ambient level (dBFS) at time `t` (ms) for a seed: a pure function, O(1). */
export function ambientLevel(ambient: Ambient, seed: number, t: number): number {
  let p = power(ambient.floorDbfs + 2 * drift(seed, 1, t, 30_000) + (h(seed, 2, Math.floor(t / 50), 0) * 2 - 1));
  const k = Math.floor(t / WINDOW_MS);

  // Speech: enough independent speakers that each has at most one burst per window.
  const speakers = Math.max(1, Math.ceil(ambient.speechPerMinute / 8));
  const pSpeech = Math.min(1, (ambient.speechPerMinute / speakers) * (WINDOW_MS / 60_000));
  for (let s = 0; s < speakers; s++) {
    // A burst lasts ≤ 5 s < one window, so only this window and the previous can cover t.
    for (let w = k - 1; w <= k; w++) {
      if (h(seed, 10 + s, w, 1) >= pSpeech) continue;
      const start = w * WINDOW_MS + h(seed, 10 + s, w, 2) * WINDOW_MS;
      const end = start + 500 + h(seed, 10 + s, w, 3) * 4500;
      if (t < start || t >= end) continue;
      const level = ambient.speechDbfs + (h(seed, 10 + s, w, 4) * 12 - 6) + 4 * drift(seed, 100 + s, t, 180);
      p += power(level);
    }
  }

  // Vehicles: at most one pass-by per window and lane.
  const lanes = Math.max(1, Math.ceil(ambient.vehiclesPerMinute / 8));
  const pVehicle = Math.min(1, (ambient.vehiclesPerMinute / lanes) * (WINDOW_MS / 60_000));
  if (ambient.vehiclesPerMinute > 0) {
    for (let l = 0; l < lanes; l++) {
      for (let w = k - VEHICLE_REACH; w <= k + VEHICLE_REACH; w++) {
        if (h(seed, 50 + l, w, 1) >= pVehicle) continue;
        const closest = w * WINDOW_MS + h(seed, 50 + l, w, 2) * WINDOW_MS;
        const dt = (t - closest) / PASS_BY_TAU_MS;
        const peak = ambient.vehicleDbfs + (h(seed, 50 + l, w, 3) * 8 - 4);
        p += power(peak - 10 * Math.log10(1 + dt * dt));
      }
    }
  }
  return Math.min(0, 10 * Math.log10(p));
}

export class SimMicrophone extends DeviceBase implements Microphone {
  private readonly clock: Clock;
  private readonly seed: number;
  private current: Ambient;
  private unpluggedReason: string | null = null;

  constructor(options: SimMicrophoneOptions) {
    assertOptionsObject(options, 'SimMicrophone');
    super(options.name ?? 'microphone');
    if (!options.clock) throw new InvalidOptionsError(`${this.name}: clock required`);
    this.clock = options.clock;
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new InvalidOptionsError(`${this.name}: seed must be an integer`);
    this.seed = seed >>> 0;
    this.current = checkAmbient(options.ambient ?? 'quiet', this.name);
  }

  async level(): Promise<MicrophoneSample> {
    this.assertOpen();
    if (this.unpluggedReason) throw new DeviceNotRespondingError(this.name, this.unpluggedReason);
    const at = this.clock.monotonic();
    return { dbfs: ambientLevel(this.current, this.seed, at), at };
  }

  // ---------------- world side ----------------

  /** Where the officer is: a preset or explicit levels. */
  setAmbient(ambient: AmbientPreset | Ambient): void {
    this.current = checkAmbient(ambient, this.name);
  }

  get ambient(): Readonly<Ambient> {
    return this.current;
  }

  unplug(reason = 'microphone not answering'): void {
    this.unpluggedReason = reason;
  }

  plug(): void {
    this.unpluggedReason = null;
  }
}

function checkAmbient(ambient: AmbientPreset | Ambient, name: string): Ambient {
  if (typeof ambient === 'string') {
    const preset = AMBIENT_PRESETS[ambient as AmbientPreset];
    if (!preset) throw new InvalidOptionsError(`${name}: unknown ambient ${JSON.stringify(ambient)} (known: ${Object.keys(AMBIENT_PRESETS).join(', ')})`);
    return { ...preset };
  }
  assertOptionsObject(ambient, `${name}: ambient`);
  const dbfs = (v: unknown, what: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v > 0 || v < -140) throw new InvalidOptionsError(`${name}: ${what} must be −140..0 dBFS, got ${JSON.stringify(v)}`);
    return v;
  };
  const rate = (v: unknown, what: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 60) throw new InvalidOptionsError(`${name}: ${what} must be 0..60 per minute, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    floorDbfs: dbfs(ambient.floorDbfs, 'floorDbfs'),
    speechPerMinute: rate(ambient.speechPerMinute, 'speechPerMinute'),
    speechDbfs: dbfs(ambient.speechDbfs, 'speechDbfs'),
    vehiclesPerMinute: rate(ambient.vehiclesPerMinute, 'vehiclesPerMinute'),
    vehicleDbfs: dbfs(ambient.vehicleDbfs, 'vehicleDbfs'),
  };
}
