/**
 * The Raspberry Pi camera through the rpicam apps (libcamera stack; `libcamera-*` before
 * Bookworm's rename), with the legacy raspistill stack for stills through node-raspistill.
 *
 * Video: one `rpicam-vid -t 0 --codec h264 --inline --intra N ... --flush -o -` per
 * subscription. `--inline` repeats SPS/PPS before every IDR, so each GOP the assembler cuts
 * (hal/drivers/h264.ts) decodes on its own. Timestamps come from the frame count and the
 * frame rate on the injected clock, starting when the first bytes arrive. Unsubscribing sends
 * SIGINT (rpicam-vid then stops cleanly), escalating to SIGTERM and SIGKILL after a grace
 * period; the next capture waits until the camera is free.
 *
 * `setMode` tags the chunks taken from then on (the IR-cut filter itself does the optics; a
 * running rpicam-vid keeps its settings, restarting it would leave a gap in the recording).
 *
 * Stills: `rpicam-still -n -t SETTLE -e jpg -o -`, or node-raspistill on the legacy stack;
 * at night with `--saturation 0`.
 * While video runs the camera is held by rpicam-vid, so a still is decoded from the newest
 * keyframe with ffmpeg when it is installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Observable, type Subscriber } from 'rxjs';
import type { Raspistill as RaspistillClass } from 'node-raspistill';
import type { Clock, TimerHandle } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { ChecksumError, DeviceNotFoundError, DeviceNotRespondingError, InvalidOptionsError, UnsupportedError } from '../errors.ts';
import type { Camera, Still, StillOptions, VideoChunk, VideoOptions } from '../camera.ts';
import { GopAssembler } from '../drivers/h264.ts';
import { ignoreStreamErrors, run, spawnError, which } from './exec.ts';
import { jpegSize } from './jpeg.ts';
import { requireObject } from './gpio-lines.ts';

export type CameraStack = 'auto' | 'rpicam' | 'raspistill';

/** node-raspistill's module shape (injectable). */
export interface RaspistillModule {
  Raspistill: typeof RaspistillClass;
}

export interface RpicamCameraOptions {
  clock: Clock;
  name?: string;
  /** rpicam `--camera` index. */
  index?: number;
  /** Which stack takes stills; `auto` = rpicam-still when installed, else raspistill. */
  stack?: CameraStack;
  /** libcamera tuning file (e.g. imx708_noir.json for a NoIR module). */
  tuningFile?: string | null;
  /** Environment for the tools (PATH). node-raspistill always uses the process environment. */
  env?: NodeJS.ProcessEnv;
  /** Preview time before a still is taken, for exposure and white balance to settle (-t, ms). */
  stillSettleMs?: number;
  /** A still that has not arrived after this long fails with DeviceNotRespondingError (ms). */
  stillTimeoutMs?: number;
  /** After SIGINT, wait this long for rpicam-vid to exit before SIGTERM, then as long again before SIGKILL (ms). */
  stopGraceMs?: number;
  raspistill?: RaspistillModule;
}

const STDERR_KEEP = 4096;

export class RpicamCamera extends DeviceBase implements Camera {
  private readonly clock: Clock;
  private readonly index: number;
  private readonly stack: CameraStack;
  private readonly tuningFile: string | null;
  private readonly env: NodeJS.ProcessEnv;
  private readonly stillSettleMs: number;
  private readonly stillTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly raspistillModule: RaspistillModule | undefined;
  private mode: 'day' | 'night' = 'day';
  /** The running rpicam-vid, if any. */
  private capture: ChildProcess | null = null;
  /** A video subscription is active (its rpicam-vid may not have started yet). */
  private streaming = false;
  /** Resolves when the previous rpicam-vid has exited (the camera is free again). */
  private released: Promise<void> = Promise.resolve();
  /** rpicam-vid processes already told to stop (one escalation each). */
  private readonly stopping = new WeakSet<ChildProcess>();
  /** The newest complete GOP, for stills while video runs. */
  private lastGop: VideoChunk | null = null;
  /** Ends the running video subscription when the camera is closed. */
  private endStream: (() => void) | null = null;

  constructor(options: RpicamCameraOptions) {
    requireObject(options, 'camera');
    const name = options.name ?? 'camera';
    super(name);
    if (!options.clock) throw new InvalidOptionsError(`${name}: clock required`);
    this.clock = options.clock;
    this.index = options.index === undefined ? 0 : check.int(options.index, `${name}: index`, 0, 7);
    this.stack = options.stack === undefined ? 'auto' : check.oneOf(options.stack, `${name}: stack`, ['auto', 'rpicam', 'raspistill'] as const);
    this.tuningFile = options.tuningFile == null ? null : check.string(options.tuningFile, `${name}: tuningFile`);
    this.env = options.env ?? process.env;
    this.stillSettleMs = options.stillSettleMs === undefined ? 1000 : check.int(options.stillSettleMs, `${name}: stillSettleMs`, 1, 60_000);
    this.stillTimeoutMs = options.stillTimeoutMs === undefined ? 15_000 : check.int(options.stillTimeoutMs, `${name}: stillTimeoutMs`, 100, 600_000);
    this.stopGraceMs = options.stopGraceMs === undefined ? 3000 : check.int(options.stopGraceMs, `${name}: stopGraceMs`, 1, 60_000);
    this.raspistillModule = options.raspistill;
  }

  setMode(mode: 'day' | 'night'): void {
    this.assertOpen();
    this.mode = check.oneOf(mode, `${this.name}: mode`, ['day', 'night'] as const);
  }

  video(options: VideoOptions): Observable<VideoChunk> {
    return new Observable<VideoChunk>((subscriber) => {
      let opts: VideoOptions;
      try {
        this.assertOpen();
        opts = validateVideo(options, this.name);
        if (this.streaming) throw new UnsupportedError(`${this.name}: already streaming video (one capture at a time; share the subscription)`);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      this.streaming = true;
      let stopped = false;
      let child: ChildProcess | null = null;
      // Closing the camera ends the stream cleanly (complete), not as an encoder failure.
      this.endStream = () => {
        stopped = true;
        this.streaming = false;
        subscriber.complete();
      };
      const start = async () => {
        // The previous rpicam-vid may still be shutting down and holding the camera.
        await this.released;
        if (stopped) return;
        const exe = which('rpicam-vid', this.env) ?? which('libcamera-vid', this.env);
        if (!exe) throw new DeviceNotFoundError(this.name, 'rpicam-vid not found on PATH (apt install rpicam-apps)');
        child = this.startVideo(exe, opts, subscriber, () => stopped);
      };
      start().catch((err) => subscriber.error(err));
      return () => {
        stopped = true;
        this.streaming = false;
        this.endStream = null;
        if (child) this.stopVideo(child);
      };
    });
  }

  private startVideo(exe: string, opts: VideoOptions, subscriber: Subscriber<VideoChunk>, isStopped: () => boolean): ChildProcess {
    const args = [
      '-t', '0',
      '-n',
      '--camera', String(this.index),
      '--codec', 'h264',
      '--inline',
      '--intra', String(opts.keyframeInterval),
      '--framerate', String(opts.fps),
      '-b', String(opts.bitrate),
      '--width', String(opts.width),
      '--height', String(opts.height),
      ...(this.tuningFile ? ['--tuning-file', this.tuningFile] : []),
      '--flush',
      '-o', '-',
    ];
    const child = spawn(exe, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    ignoreStreamErrors(child);
    this.capture = child;
    let exited!: () => void;
    this.released = new Promise((r) => (exited = r));
    let t0: number | null = null;
    let frames = 0;
    let stderr = '';
    let failed = false;
    const fail = (err: Error) => {
      if (failed || isStopped()) return;
      failed = true;
      subscriber.error(err);
    };
    const assembler = new GopAssembler((gop) => {
      if (isStopped() || failed) return;
      // Multiply before dividing: 15 frames at 30 fps are exactly 500 ms.
      const chunk: VideoChunk = { data: gop.data, pts: (t0 ?? 0) + (frames * 1000) / opts.fps, durationMs: (gop.frames * 1000) / opts.fps, frames: gop.frames, mode: this.mode };
      frames += gop.frames;
      this.lastGop = chunk;
      subscriber.next(chunk);
    });
    child.stdout!.on('data', (data: Buffer) => {
      if (isStopped() || failed) return;
      t0 ??= this.clock.monotonic();
      try {
        assembler.push(data);
      } catch (err) {
        fail(err as Error);
        this.stopVideo(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => fail(spawnError(err, exe, this.name)));
    child.on('close', (code, signal) => {
      if (this.capture === child) this.capture = null;
      exited();
      if (isStopped() || failed) return;
      // The encoder died: hand over what it produced (the last GOP decodes on its own), then fail.
      try {
        assembler.flush();
      } catch {
        /* a truncated tail is dropped */
      }
      fail(cameraExitError(this.name, exe, code, signal, stderr));
    });
    return child;
  }

  /** SIGINT, then SIGTERM and SIGKILL if rpicam-vid does not exit within the grace period. */
  private stopVideo(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null || this.stopping.has(child)) return;
    this.stopping.add(child);
    const timers: TimerHandle[] = [];
    child.once('close', () => timers.forEach((t) => t.cancel()));
    child.kill('SIGINT');
    timers.push(this.clock.setTimeout(() => child.kill('SIGTERM'), this.stopGraceMs));
    timers.push(this.clock.setTimeout(() => child.kill('SIGKILL'), 2 * this.stopGraceMs));
  }

  async still(options: StillOptions): Promise<Still> {
    this.assertOpen();
    requireObject(options, `${this.name} still`);
    // The Pi ISP scales down to 32×16 at the smallest (raspberrypi/linux#1498); 9152×6944 is the largest sensor (64 MP).
    const width = check.int(options.width, `${this.name} still: width`, 32, 9152);
    const height = check.int(options.height, `${this.name} still: height`, 16, 6944);
    if (this.capture) return this.stillFromVideo();
    await this.released;
    const useRaspistill = this.stack === 'raspistill' || (this.stack === 'auto' && !which('rpicam-still', this.env) && !which('libcamera-still', this.env) && !!which('raspistill', this.env));
    const data = useRaspistill ? await this.raspistill(width, height) : await this.rpicamStill(width, height);
    return this.toStill(data);
  }

  private async rpicamStill(width: number, height: number): Promise<Uint8Array> {
    const exe = which('rpicam-still', this.env) ?? which('libcamera-still', this.env);
    if (!exe) throw new DeviceNotFoundError(this.name, 'rpicam-still not found on PATH (apt install rpicam-apps)');
    const args = [
      '-n',
      '-t', String(this.stillSettleMs),
      '--camera', String(this.index),
      '--width', String(width),
      '--height', String(height),
      // Under IR at night the sensor sees no colour; grey avoids the magenta cast.
      ...(this.mode === 'night' ? ['--saturation', '0'] : []),
      ...(this.tuningFile ? ['--tuning-file', this.tuningFile] : []),
      '-e', 'jpg',
      '-o', '-',
    ];
    const res = await run(exe, args, { env: this.env, clock: this.clock, timeoutMs: this.stillTimeoutMs, device: this.name });
    if (res.code !== 0) throw cameraExitError(this.name, exe, res.code, res.signal, res.stderr);
    return res.stdout;
  }

  private async raspistill(width: number, height: number): Promise<Uint8Array> {
    if (!which('raspistill', process.env)) throw new DeviceNotFoundError(this.name, 'raspistill not found on PATH (legacy camera stack)');
    const { Raspistill } = this.raspistillModule ?? (createRequire(import.meta.url)('node-raspistill') as RaspistillModule);
    const camera = new Raspistill({ noFileSave: true, encoding: 'jpg', width, height, time: this.stillSettleMs, noPreview: true, ...(this.mode === 'night' ? { saturation: -100 } : {}) });
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        camera.stop();
        reject(new DeviceNotRespondingError(this.name, `raspistill gave no image within ${this.stillTimeoutMs} ms`));
      }, this.stillTimeoutMs);
      camera.takePhoto().then(
        (buf) => {
          timer.cancel();
          resolve(buf);
        },
        (err: Error) => {
          timer.cancel();
          // node-raspistill puts the tool's whole stderr in the message; the last line says why.
          const text = (err?.message ?? String(err)).trim().split('\n').pop()!.replace(/^Raspistill failed, code: \S+ message: /, '');
          reject(/not detected|Failed to create camera component|ENOSPC|camera is not enabled/i.test(text) ? new DeviceNotFoundError(this.name, `raspistill: ${text}`) : new DeviceNotRespondingError(this.name, `raspistill: ${text}`, { cause: err }));
        },
      );
    });
  }

  /** rpicam-vid holds the camera: decode the newest keyframe instead (needs ffmpeg). */
  private async stillFromVideo(): Promise<Still> {
    const gop = this.lastGop;
    if (!gop) throw new DeviceNotRespondingError(this.name, 'video is starting; no keyframe yet for a still');
    const ffmpeg = which('ffmpeg', this.env);
    if (!ffmpeg) throw new UnsupportedError(`${this.name}: a still while video runs needs ffmpeg (apt install ffmpeg) to decode a keyframe`);
    const res = await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-i', '-', '-frames:v', '1', '-q:v', '2', '-f', 'image2', '-c:v', 'mjpeg', '-'], {
      env: this.env,
      clock: this.clock,
      timeoutMs: this.stillTimeoutMs,
      input: gop.data,
      device: this.name,
    });
    if (res.code !== 0) throw new DeviceNotRespondingError(this.name, `ffmpeg could not decode the keyframe: ${res.stderr.trim().split('\n').pop() ?? ''}`);
    return { ...this.toStill(res.stdout), at: gop.pts };
  }

  private toStill(data: Uint8Array): Still {
    const size = jpegSize(data);
    if (!size) throw new ChecksumError(`${this.name} still`, `not a JPEG image (${data.length} bytes)`);
    return { data, mime: 'image/jpeg', width: size.width, height: size.height, at: this.clock.monotonic() };
  }

  protected override async onClose(): Promise<void> {
    this.endStream?.();
    if (this.capture) this.stopVideo(this.capture);
    await this.released;
  }
}

function validateVideo(options: VideoOptions, name: string): VideoOptions {
  requireObject(options, `${name} video`);
  const width = check.int(options.width, `${name} video: width`, 64, 4096);
  const height = check.int(options.height, `${name} video: height`, 64, 4096);
  // H.264 in 4:2:0 has one chroma sample per 2×2 pixels: the encoder needs even sizes.
  if (width % 2 || height % 2) throw new InvalidOptionsError(`${name} video: width and height must be even, got ${width}×${height}`);
  return {
    width,
    height,
    fps: check.int(options.fps, `${name} video: fps`, 1, 120),
    bitrate: check.int(options.bitrate, `${name} video: bitrate`, 100_000, 50_000_000),
    keyframeInterval: check.int(options.keyframeInterval, `${name} video: keyframeInterval`, 1, 600),
  };
}

/** A camera tool that exited: "no cameras available" means nothing is plugged in. */
function cameraExitError(name: string, exe: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): Error {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => /ERROR|error|failed/i.test(l)) ?? lines.at(-1) ?? '';
  const tool = exe.split('/').pop();
  if (/no cameras available|camera is not (detected|enabled)|Could not open any dmaHeap/i.test(stderr)) {
    return new DeviceNotFoundError(name, `${tool}: no camera detected (${err}); check the ribbon cable and camera_auto_detect / dtoverlay in config.txt`);
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new DeviceNotRespondingError(name, `${tool} ${how}${err ? `: ${err}` : ''}`);
}
