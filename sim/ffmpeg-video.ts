/**
 * Real H.264 for the simulated camera (`media: 'real'`): ffmpeg renders a test pattern
 * (testsrc2) with the device time burned in (drawtext, DejaVu Sans Mono), monochrome at night,
 * darkened for dim scenes, encoded by libx264 (constrained baseline, SPS/PPS repeated before
 * every IDR, fixed GOP, no scene-cut keyframes), and split by the same `GopAssembler` the
 * rpicam-vid driver uses.
 *
 * Why batches rendered synchronously: the simulator's clock is virtual and jumps, so a
 * free-running encoder could never keep up or stay in step. Each batch of GOPs is rendered when
 * the stream first needs it (the virtual world waits, as it would for a slow sensor), with the
 * mode, brightness and device time of that moment; a batch is re-rendered from the next GOP when
 * any of those changed. Cost: one ffmpeg start (~0.1–0.3 s) per batch plus encoding (hundreds of
 * frames per second at 320×240): fine for short runs and demos, not for 8-hour shifts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DeviceNotFoundError, DeviceNotRespondingError } from '../hal/errors.ts';
import { GopAssembler, type GopChunk } from '../hal/drivers/h264.ts';
import type { VideoOptions } from '../hal/camera.ts';

export const DEFAULT_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

export interface FfmpegRenderOptions {
  ffmpegPath: string;
  fontFile: string;
  /** Give up on one ffmpeg run after this long (wall ms). */
  timeoutMs: number;
  /** For error messages. */
  device: string;
}

export interface RenderRequest {
  video: VideoOptions;
  gops: number;
  mode: 'day' | 'night';
  /** Picture brightness 0.03–1 (see `pictureBrightness`). */
  brightness: number;
  /** Device wall time of the first frame (ms since epoch): burned in, advancing with the frames. */
  wallStartMs: number;
}

/** ffmpeg arguments for one batch (exported for tests and `dozor doctor`). */
export function ffmpegArgs(req: RenderRequest, opts: Pick<FfmpegRenderOptions, 'fontFile'>): string[] {
  const { width, height, fps, bitrate, keyframeInterval: k } = req.video;
  const frames = req.gops * k;
  const offset = (req.wallStartMs / 1000).toFixed(3);
  // drawtext expands %{pts:gmtime:OFFSET:FORMAT}; ':' inside the format is escaped twice
  // (once for the expansion's argument list, once for the filter option parser).
  const text = String.raw`%{pts\:gmtime\:${offset}\:%Y-%m-%d %H\\\:%M\\\:%S} UTC ${req.mode.toUpperCase()}`;
  const size = Math.max(8, Math.round(height / 18));
  const filters = [
    ...(req.mode === 'night' ? ['hue=s=0'] : []),
    `eq=brightness=${((req.brightness - 1) * 0.8).toFixed(3)}`,
    `drawtext=fontfile=${opts.fontFile}:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:x=4:y=4:text='${text}'`,
  ];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(frames),
    '-vf', filters.join(','),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-g', String(k), '-keyint_min', String(k), '-sc_threshold', '0', '-bf', '0',
    '-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(bitrate * 2),
    '-x264-params', 'repeat-headers=1',
    '-f', 'h264', '-',
  ];
}

/** Renders `req.gops` GOPs; each comes out of the GOP assembler keyframe-aligned with SPS/PPS. */
export function renderGops(req: RenderRequest, opts: FfmpegRenderOptions): GopChunk[] {
  if (!existsSync(opts.fontFile)) {
    throw new DeviceNotFoundError(opts.fontFile, 'font for the burned-in time is missing (bash tools/setup/system-deps.sh)');
  }
  const run = spawnSync(opts.ffmpegPath, ffmpegArgs(req, opts), { maxBuffer: 512 * 1024 * 1024, timeout: opts.timeoutMs });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DeviceNotFoundError(opts.ffmpegPath, 'ffmpeg not installed (bash tools/setup/system-deps.sh)');
    throw new DeviceNotRespondingError(opts.device, `ffmpeg failed: ${run.error.message}`, { cause: run.error });
  }
  if (run.status !== 0) {
    const tail = run.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ');
    throw new DeviceNotRespondingError(opts.device, `ffmpeg exited with ${run.status ?? run.signal}: ${tail}`);
  }
  const gops: GopChunk[] = [];
  const assembler = new GopAssembler((g) => gops.push(g));
  assembler.push(new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength));
  assembler.flush();
  const k = req.video.keyframeInterval;
  if (gops.length !== req.gops || gops.some((g) => g.frames !== k)) {
    throw new DeviceNotRespondingError(
      opts.device,
      `ffmpeg produced GOPs of ${gops.map((g) => g.frames).join(',')} frames; expected ${req.gops} of ${k}`,
    );
  }
  return gops;
}
