/**
 * The simulated camera. Video is one `VideoChunk` per GOP, emitted on the virtual clock when the
 * GOP's last frame has been captured, with continuous `pts` (GOP n starts at start + n·GOP) and the
 * optics mode in effect when the GOP began. Two media:
 * - `synthetic` (default): a structurally valid H.264 stream from `SyntheticH264`, costing tens
 *   of milliseconds for an 8-hour shift;
 * - `real`: libx264 video from ffmpeg with the device time burned in (see ffmpeg-video.ts),
 *   accepted by ffprobe and playable; for short runs and demos.
 * Stills are real PNG pictures of a synthetic street whose brightness follows the scene light the
 * world reports (`setScene`). The world can unplug the camera: the stream fails with
 * `DeviceNotRespondingError` and stills are refused until it is plugged back.
 */
import { Observable, type Subscriber } from 'rxjs';
import { PNG } from 'pngjs';
import { DeviceBase } from '../hal/device.ts';
import { DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError, UnsupportedError } from '../hal/errors.ts';
import type { Clock, TimerHandle } from '../hal/clock.ts';
import type { Camera, Still, StillOptions, VideoChunk, VideoOptions } from '../hal/camera.ts';
import { assertOptionsObject } from '../hal/drivers/gpio-lines.ts';
import { SyntheticH264 } from './synthetic-h264.ts';
import { DEFAULT_FONT, renderGops, type FfmpegRenderOptions } from './ffmpeg-video.ts';
import { pictureBrightness, renderStill, type SceneLight } from './scene.ts';

export type CameraMedia = 'synthetic' | 'real';

/**
 * The simulator's default stream: small enough that 8 hours of synthetic video (57.6 MB) cost
 * tens of ms to make and hash, shaped like a real one (15 fps, an IDR every 2 s).
 */
export const SIM_VIDEO_DEFAULTS: Readonly<VideoOptions> = Object.freeze({
  width: 320,
  height: 240,
  fps: 15,
  bitrate: 16_000,
  keyframeInterval: 30,
});

export interface SimCameraOptions {
  clock: Clock;
  name?: string;
  /** Seeds the synthetic payload pool, the still layout and noise (default 1). */
  seed?: number;
  media?: CameraMedia;
  /** Scene illuminance at start (lx, default 1000: daylight). */
  lux?: number;
  /** Real media: ffmpeg executable (default 'ffmpeg' on PATH). */
  ffmpegPath?: string;
  /** Real media: font for the burned-in time (default DejaVu Sans Mono). */
  fontFile?: string;
  /** Real media: GOPs rendered per ffmpeg run (default 15, i.e. 30 s at the defaults). */
  realBatchGops?: number;
  /** Real media: wall-clock limit for one ffmpeg run (ms, default 60,000). */
  realTimeoutMs?: number;
}

interface Batch {
  first: number;
  gops: Array<{ data: Uint8Array; frames: number }>;
  mode: 'day' | 'night';
  brightnessStep: number;
  wallStartMs: number;
}

interface Session {
  subscriber: Subscriber<VideoChunk>;
  options: VideoOptions;
  gopMs: number;
  /** Monotonic time the first frame was captured. */
  start: number;
  /** Index of the GOP being captured. */
  n: number;
  /** Mode when GOP n began. */
  mode: 'day' | 'night';
  timer: TimerHandle | null;
  synthetic: SyntheticH264 | null;
  batch: Batch | null;
}

export class SimCamera extends DeviceBase implements Camera {
  private readonly clock: Clock;
  private readonly seed: number;
  readonly media: CameraMedia;
  private readonly ffmpeg: FfmpegRenderOptions;
  private readonly batchGops: number;
  private currentMode: 'day' | 'night' = 'day';
  private scene = { lux: 1000, irLit: false };
  private unpluggedReason: string | null = null;
  private session: Session | null = null;
  private stillCount = 0;
  /** Counters for reports and benchmarks. */
  readonly stats = { gops: 0, bytes: 0, stills: 0, ffmpegRuns: 0 };

  constructor(options: SimCameraOptions) {
    assertOptionsObject(options, 'SimCamera');
    super(options.name ?? 'camera');
    if (!options.clock) throw new InvalidOptionsError(`${this.name}: clock required`);
    this.clock = options.clock;
    this.seed = intOption(options.seed, 1, 0, 0xffffffff, `${this.name}: seed`);
    const media = options.media ?? 'synthetic';
    if (media !== 'synthetic' && media !== 'real') throw new InvalidOptionsError(`${this.name}: media must be 'synthetic' or 'real', got ${JSON.stringify(media)}`);
    this.media = media;
    if (options.lux !== undefined) this.scene.lux = luxOption(options.lux, `${this.name}: lux`);
    this.batchGops = intOption(options.realBatchGops, 15, 1, 1000, `${this.name}: realBatchGops`);
    this.ffmpeg = {
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      fontFile: options.fontFile ?? DEFAULT_FONT,
      timeoutMs: intOption(options.realTimeoutMs, 60_000, 1000, 3_600_000, `${this.name}: realTimeoutMs`),
      device: this.name,
    };
  }

  // ---------------- Camera ----------------

  video(options: VideoOptions): Observable<VideoChunk> {
    const opts = validateVideo(options, this.name);
    return new Observable<VideoChunk>((subscriber) => {
      if (this.closed) return subscriber.error(new DeviceClosedError(this.name));
      if (this.unpluggedReason) return subscriber.error(new DeviceNotRespondingError(this.name, this.unpluggedReason));
      if (this.session) return subscriber.error(new UnsupportedError(`${this.name}: already streaming (one video stream at a time)`));
      const session: Session = {
        subscriber,
        options: opts,
        gopMs: (opts.keyframeInterval * 1000) / opts.fps,
        start: this.clock.monotonic(),
        n: 0,
        mode: this.currentMode,
        timer: null,
        synthetic: this.media === 'synthetic' ? new SyntheticH264(opts, this.seed) : null,
        batch: null,
      };
      this.session = session;
      this.schedule(session);
      return () => this.end(session);
    });
  }

  async still(options: StillOptions): Promise<Still> {
    this.assertOpen();
    assertOptionsObject(options, `${this.name} still`);
    const width = intOption(options.width, undefined, 16, 4096, `${this.name}: still width`);
    const height = intOption(options.height, undefined, 16, 4096, `${this.name}: still height`);
    if (this.unpluggedReason) throw new DeviceNotRespondingError(this.name, this.unpluggedReason);
    const at = this.clock.monotonic();
    const rgba = renderStill({
      width,
      height,
      seed: this.seed,
      shot: this.stillCount++,
      wallMs: this.clock.wallTime(),
      ...this.light(),
    });
    const png = new PNG({ width, height });
    png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    const data = PNG.sync.write(png, { colorType: this.currentMode === 'night' ? 0 : 2 });
    this.stats.stills += 1;
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mime: 'image/png', width, height, at };
  }

  setMode(mode: 'day' | 'night'): void {
    if (mode !== 'day' && mode !== 'night') throw new InvalidOptionsError(`${this.name}: mode must be 'day' or 'night', got ${JSON.stringify(mode)}`);
    this.currentMode = mode;
  }

  get mode(): 'day' | 'night' {
    return this.currentMode;
  }

  protected override onClose(): void {
    const s = this.session;
    if (s) {
      this.end(s);
      s.subscriber.complete();
    }
  }

  // ---------------- world side ----------------

  /** What the lens sees: scene illuminance (lx) and whether the IR illuminator lights it. */
  setScene(scene: { lux?: number; irLit?: boolean }): void {
    if (scene.lux !== undefined) this.scene.lux = luxOption(scene.lux, `${this.name}: lux`);
    if (scene.irLit !== undefined) this.scene.irLit = Boolean(scene.irLit);
  }

  /** The scene as the camera currently sees it. */
  light(): SceneLight {
    return { lux: this.scene.lux, irLit: this.scene.irLit, mode: this.currentMode };
  }

  /** The ribbon cable comes loose (or the sensor dies): the stream fails, stills are refused. */
  unplug(reason = 'camera unplugged'): void {
    this.unpluggedReason = reason;
    const s = this.session;
    if (s) {
      this.end(s);
      s.subscriber.error(new DeviceNotRespondingError(this.name, reason));
    }
  }

  /** Plugged back: a new `video()` subscription works again. */
  plug(): void {
    this.unpluggedReason = null;
  }

  get streaming(): boolean {
    return this.session !== null;
  }

  // ---------------- internals ----------------

  private schedule(s: Session): void {
    // Absolute due times (start + (n+1)·GOP), so fractional GOP lengths never drift.
    const due = s.start + (s.n + 1) * s.gopMs;
    s.timer = this.clock.setTimeout(() => this.emit(s), due - this.clock.monotonic());
  }

  private emit(s: Session): void {
    if (this.session !== s) return;
    let gop: { data: Uint8Array; frames: number };
    try {
      gop = s.synthetic ? s.synthetic.gop(s.n) : this.realGop(s);
    } catch (err) {
      this.end(s);
      s.subscriber.error(err);
      return;
    }
    const chunk: VideoChunk = { data: gop.data, pts: s.start + s.n * s.gopMs, durationMs: s.gopMs, frames: gop.frames, mode: s.mode };
    this.stats.gops += 1;
    this.stats.bytes += gop.data.length;
    s.n += 1;
    s.mode = this.currentMode;
    this.schedule(s);
    s.subscriber.next(chunk);
  }

  /** GOP n from the current ffmpeg batch, re-rendering when mode, light or device time moved on. */
  private realGop(s: Session): { data: Uint8Array; frames: number } {
    const brightnessStep = Math.round(pictureBrightness({ ...this.scene, mode: s.mode }) * 10);
    // GOP n began one GOP ago; the device believed it was this time then.
    const wallStartMs = this.clock.wallTime() - s.gopMs;
    const b = s.batch;
    const fits =
      b !== null &&
      s.n >= b.first &&
      s.n < b.first + b.gops.length &&
      b.mode === s.mode &&
      b.brightnessStep === brightnessStep &&
      Math.abs(b.wallStartMs + (s.n - b.first) * s.gopMs - wallStartMs) < 1000;
    if (!fits) {
      this.stats.ffmpegRuns += 1;
      const gops = renderGops(
        { video: s.options, gops: this.batchGops, mode: s.mode, brightness: brightnessStep / 10, wallStartMs },
        this.ffmpeg,
      );
      s.batch = { first: s.n, gops, mode: s.mode, brightnessStep, wallStartMs };
    }
    return s.batch!.gops[s.n - s.batch!.first];
  }

  private end(s: Session): void {
    s.timer?.cancel();
    s.timer = null;
    s.batch = null;
    if (this.session === s) this.session = null;
  }
}

function validateVideo(options: VideoOptions, name: string): VideoOptions {
  assertOptionsObject(options, `${name} video`);
  const width = intOption(options.width, undefined, 16, 4096, `${name}: width`);
  const height = intOption(options.height, undefined, 16, 4096, `${name}: height`);
  // 4:2:0 video: the SPS can only crop whole chroma samples.
  if (width % 2 || height % 2) throw new InvalidOptionsError(`${name}: width and height must be even, got ${width}×${height}`);
  const fps = options.fps;
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps < 1 || fps > 120) {
    throw new InvalidOptionsError(`${name}: fps must be a number in 1..120, got ${JSON.stringify(fps)}`);
  }
  const bitrate = intOption(options.bitrate, undefined, 1000, 100_000_000, `${name}: bitrate`);
  const keyframeInterval = intOption(options.keyframeInterval, undefined, 1, 600, `${name}: keyframeInterval`);
  return { width, height, fps, bitrate, keyframeInterval };
}

function intOption(value: unknown, fallback: number | undefined, min: number, max: number, what: string): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(`${what} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function luxOption(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(`${what} must be a finite number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return value;
}
