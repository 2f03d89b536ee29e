import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { SIM_VIDEO_DEFAULTS, SimCamera } from './camera.ts';
import { SyntheticH264, payloadPool } from './synthetic-h264.ts';
import { ffmpegArgs } from './ffmpeg-video.ts';
import { pictureBrightness } from './scene.ts';
import { VirtualClock } from './virtual-clock.ts';
import { NAL, splitNalUnits } from '../hal/drivers/h264.ts';
import { DeviceNotFoundError, DeviceNotRespondingError, UnsupportedError } from '../hal/errors.ts';
import type { VideoChunk, VideoOptions } from '../hal/camera.ts';

const START = Date.UTC(2025, 5, 1, 21, 0, 0);
const setup = (options: Partial<ConstructorParameters<typeof SimCamera>[0]> = {}) => {
  const clock = new VirtualClock({ startEpochMs: START });
  const camera = new SimCamera({ clock, ...options });
  return { clock, camera };
};
const collect = (camera: SimCamera, options: VideoOptions = SIM_VIDEO_DEFAULTS) => {
  const chunks: Array<VideoChunk & { arrivedAt: number }> = [];
  const errors: unknown[] = [];
  let clockNow = () => 0;
  const sub = camera.video(options).subscribe({ next: (c) => chunks.push({ ...c, arrivedAt: clockNow() }), error: (e: unknown) => errors.push(e) });
  return { chunks, errors, sub, bindClock: (f: () => number) => (clockNow = f) };
};
const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
const meanLuma = (data: Uint8Array) => {
  const png = PNG.sync.read(Buffer.from(data));
  let sum = 0;
  for (let i = 0; i < png.data.length; i += 4) sum += 0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2];
  return sum / (png.width * png.height);
};

describe('synthetic H.264', () => {
  it('never emulates a start code inside a NAL, whatever the seed, size and bitrate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1000, max: 4_000_000 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 0, max: 100_000 }),
        (seed, bitrate, keyframeInterval, index) => {
          const gen = new SyntheticH264({ width: 320, height: 240, fps: 15, bitrate, keyframeInterval }, seed);
          const gop = gen.gop(index);
          const types = splitNalUnits(gop.data).map((u) => u.type);
          expect(types).toEqual([NAL.SPS, NAL.PPS, NAL.IDR, ...Array<number>(keyframeInterval - 1).fill(NAL.SLICE)]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the payload pool never holds two zero bytes in a row, not even across its wrap-around', () => {
    for (const seed of [0, 1, 2, 0xffffffff, 123456789]) {
      const pool = payloadPool(seed);
      let pairs = 0;
      for (let i = 1; i < pool.length; i++) if (pool[i] === 0 && pool[i - 1] === 0) pairs += 1;
      expect(pairs).toBe(0);
      expect(pool[0]).not.toBe(0);
      expect(pool[pool.length - 1]).not.toBe(0);
    }
    // A GOP bigger than the pool (8 Mbit/s, 4 s GOP) wraps around it and stays clean.
    const big = new SyntheticH264({ width: 1920, height: 1080, fps: 30, bitrate: 8_000_000, keyframeInterval: 120 }, 4).gop(0);
    expect(big.data.length).toBeGreaterThan(payloadPool(4).length);
    expect(splitNalUnits(big.data)).toHaveLength(2 + 120);
  });

  it('follows the bitrate, with I-frames several times the size of P-frames', () => {
    const gen = new SyntheticH264(SIM_VIDEO_DEFAULTS, 1);
    let bytes = 0;
    let iBytes = 0;
    let pBytes = 0;
    const gops = 150; // 5 minutes
    for (let n = 0; n < gops; n++) {
      const g = gen.gop(n);
      bytes += g.data.length;
      for (const u of splitNalUnits(g.data)) {
        if (u.type === NAL.IDR) iBytes += u.end - u.start;
        if (u.type === NAL.SLICE) pBytes += u.end - u.start;
      }
    }
    const expected = (SIM_VIDEO_DEFAULTS.bitrate / 8) * gops * 2;
    expect(bytes / expected).toBeGreaterThan(0.95);
    expect(bytes / expected).toBeLessThan(1.05);
    expect(iBytes / gops / (pBytes / gops / 29)).toBeGreaterThan(4);
  });

  it('is deterministic per seed and GOP index', () => {
    const a = new SyntheticH264(SIM_VIDEO_DEFAULTS, 5);
    const b = new SyntheticH264(SIM_VIDEO_DEFAULTS, 5);
    const c = new SyntheticH264(SIM_VIDEO_DEFAULTS, 6);
    expect(a.gop(42).data).toEqual(b.gop(42).data);
    expect(a.gop(42).data).not.toEqual(c.gop(42).data);
    expect(a.gop(42).data).not.toEqual(a.gop(43).data);
  });

  it('ffprobe reads the stream structure: H.264 constrained baseline, frame size, one packet per frame', () => {
    const gen = new SyntheticH264({ ...SIM_VIDEO_DEFAULTS, width: 426, height: 240 }, 9);
    const dir = mkdtempSync(path.join(tmpdir(), 'dozor-syn-'));
    try {
      const file = path.join(dir, 'seg.h264');
      writeFileSync(file, concat([0, 1, 2].map((n) => gen.gop(n).data)));
      const out = execFileSync('ffprobe', ['-v', 'quiet', '-count_packets', '-of', 'json', '-show_entries', 'stream=codec_name,profile,width,height,nb_read_packets', file]);
      expect(JSON.parse(out.toString()).streams[0]).toMatchObject({ codec_name: 'h264', profile: 'Constrained Baseline', width: 426, height: 240, nb_read_packets: '90' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('simulated camera', () => {
  it('emits each GOP when its last frame is captured, on the virtual clock', async () => {
    const { clock, camera } = setup();
    await clock.runFor(1234);
    const rec = collect(camera);
    rec.bindClock(() => clock.monotonic());
    await clock.runFor(10_000);
    expect(rec.chunks.map((c) => [c.pts, c.arrivedAt])).toEqual([
      [1234, 3234],
      [3234, 5234],
      [5234, 7234],
      [7234, 9234],
      [9234, 11234],
    ]);
  });

  it('8 hours of synthetic video: 14,400 GOPs, no gap, about 57.6 MB', () => {
    const { clock, camera } = setup();
    let bytes = 0;
    let expectPts = 0;
    let gaps = 0;
    let n = 0;
    camera.video(SIM_VIDEO_DEFAULTS).subscribe((c) => {
      if (c.pts !== expectPts) gaps += 1;
      expectPts = c.pts + c.durationMs;
      bytes += c.data.length;
      n += 1;
    });
    clock.advance(8 * 3600_000);
    expect(n).toBe(14_400);
    expect(gaps).toBe(0);
    expect(bytes / 57.6e6).toBeCloseTo(1, 1);
    expect(camera.stats.gops).toBe(14_400);
  });

  it('unsubscribing leaves no timer behind (an idle camera costs nothing)', async () => {
    const { clock, camera } = setup();
    const before = clock.pending;
    const rec = collect(camera);
    await clock.runFor(5000);
    expect(clock.pending).toBe(before + 1);
    rec.sub.unsubscribe();
    expect(clock.pending).toBe(before);
    expect(camera.streaming).toBe(false);
  });

  it('one video stream at a time', () => {
    const { camera } = setup();
    collect(camera);
    const second = collect(camera);
    expect(second.errors[0]).toBeInstanceOf(UnsupportedError);
  });

  it('R-PWR-3: unplugged, the stream fails and a new one is refused until plugged back', async () => {
    const { clock, camera } = setup();
    const rec = collect(camera);
    await clock.runFor(3000);
    camera.unplug('ribbon cable loose');
    expect(rec.errors[0]).toBeInstanceOf(DeviceNotRespondingError);
    expect(String(rec.errors[0])).toMatch(/ribbon cable loose/);
    expect(collect(camera).errors[0]).toBeInstanceOf(DeviceNotRespondingError);
    camera.plug();
    const again = collect(camera);
    await clock.runFor(2000);
    expect(again.errors).toEqual([]);
    expect(again.chunks).toHaveLength(1);
  });

  it('R-REC-5: still brightness follows the scene light; at night it is monochrome and IR lights it', async () => {
    const { camera } = setup({ seed: 3 });
    const shot = async (lux: number, mode: 'day' | 'night', irLit: boolean) => {
      camera.setScene({ lux, irLit });
      camera.setMode(mode);
      return (await camera.still({ width: 160, height: 120 })).data;
    };
    const day = meanLuma(await shot(20_000, 'day', false));
    const dusk = meanLuma(await shot(3, 'day', false));
    const dark = meanLuma(await shot(0.05, 'night', false));
    const irData = await shot(0.05, 'night', true);
    const ir = meanLuma(irData);
    expect(day).toBeGreaterThan(dusk);
    expect(dusk).toBeGreaterThan(dark);
    expect(ir).toBeGreaterThan(dark * 3);
    const png = PNG.sync.read(Buffer.from(irData));
    for (let i = 0; i < png.data.length; i += 4) expect(png.data[i]).toBe(png.data[i + 1]);
    expect(pictureBrightness({ lux: 20_000, mode: 'day', irLit: false })).toBe(1);
  });
});

describe('simulated camera, real media (ffmpeg)', () => {
  const small: VideoOptions = { width: 160, height: 120, fps: 10, bitrate: 64_000, keyframeInterval: 10 };

  it('R-REC-1: a segment made of its chunks is accepted by ffprobe and decodes completely', async () => {
    const { clock, camera } = setup({ media: 'real', realBatchGops: 3 });
    const rec = collect(camera, small);
    await clock.runFor(5000);
    expect(rec.errors).toEqual([]);
    expect(rec.chunks).toHaveLength(5);
    const dir = mkdtempSync(path.join(tmpdir(), 'dozor-real-'));
    try {
      const file = path.join(dir, 'segment.h264');
      writeFileSync(file, concat(rec.chunks.map((c) => c.data)));
      const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-of', 'json', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', file]);
      expect(probe.stderr.toString()).toBe('');
      expect(JSON.parse(probe.stdout.toString()).streams[0]).toMatchObject({ codec_name: 'h264', width: 160, height: 120, nb_read_frames: '50' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // 5 GOPs in batches of 3: two ffmpeg runs.
    expect(camera.stats.ffmpegRuns).toBe(2);
  });

  it('R-REC-5: night GOPs are monochrome; a mode change takes effect from the next GOP, re-rendered', async () => {
    const { clock, camera } = setup({ media: 'real', realBatchGops: 10 });
    const rec = collect(camera, small);
    await clock.runFor(1500);
    camera.setMode('night');
    await clock.runFor(2000);
    // GOP 1 began (at 1 s) before the switch at 1.5 s: it is still a day GOP.
    expect(rec.chunks.map((c) => c.mode)).toEqual(['day', 'day', 'night']);
    const chroma = (chunk: VideoChunk) => {
      const yuv = execFileSync('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', '-', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { input: chunk.data });
      const uv = yuv.subarray(small.width * small.height);
      return Math.max(...uv.map((v) => Math.abs(v - 128)));
    };
    expect(chroma(rec.chunks[0])).toBeGreaterThan(40);
    expect(chroma(rec.chunks[2])).toBeLessThanOrEqual(2);
    expect(camera.stats.ffmpegRuns).toBe(2);
  });

  it('burns in the device time of each GOP start and re-renders when the device time is set', async () => {
    const args = ffmpegArgs({ video: small, gops: 2, mode: 'night', brightness: 1, wallStartMs: Date.UTC(2025, 0, 2, 3, 4, 5, 600) }, { fontFile: '/f.ttf' });
    const vf = args[args.indexOf('-vf') + 1];
    expect(vf).toContain(`gmtime\\:${(Date.UTC(2025, 0, 2, 3, 4, 5, 600) / 1000).toFixed(3)}`);
    expect(vf).toMatch(/^hue=s=0,/);
    expect(args.slice(args.indexOf('-frames:v'), args.indexOf('-frames:v') + 2)).toEqual(['-frames:v', '20']);

    const { clock, camera } = setup({ media: 'real', realBatchGops: 10 });
    collect(camera, small);
    await clock.runFor(1500);
    clock.setWallTime(clock.wallTime() + 3600_000);
    await clock.runFor(1000);
    expect(camera.stats.ffmpegRuns).toBe(2);
  });

  it('a missing ffmpeg fails the stream with DeviceNotFoundError', async () => {
    const { clock, camera } = setup({ media: 'real', ffmpegPath: '/nonexistent/ffmpeg' });
    const rec = collect(camera, small);
    await clock.runFor(1500);
    expect(rec.errors[0]).toBeInstanceOf(DeviceNotFoundError);
    expect(camera.streaming).toBe(false);
  });
});
