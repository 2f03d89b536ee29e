import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeCameraTools, clearLog, waitForLog, type FakeCameraMode } from '../../test/fakes/camera/index.ts';
import { DeviceNotFoundError, DeviceNotRespondingError, InvalidOptionsError, UnsupportedError } from '../errors.ts';
import type { VideoChunk, VideoOptions } from '../camera.ts';
import { splitNalUnits, NAL } from '../drivers/h264.ts';
import { RpicamCamera, type RpicamCameraOptions } from './rpicam-camera.ts';
import { jpegSize } from './jpeg.ts';

let tools: FakeCameraTools;
const cameras: RpicamCamera[] = [];
beforeAll(() => {
  tools = new FakeCameraTools();
});
afterAll(() => tools.dispose());
afterEach(async () => {
  while (cameras.length) await cameras.pop()!.close();
  clearLog(tools);
});

const VIDEO: VideoOptions = { width: 320, height: 240, fps: 30, bitrate: 500_000, keyframeInterval: 15 };

function camera(mode: FakeCameraMode = 'ok', options: Partial<RpicamCameraOptions> = {}) {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const cam = new RpicamCamera({ clock, env: tools.env(mode), ...options });
  cameras.push(cam);
  return { clock, cam };
}

/** Sets the fake tools' variables in process.env (for node-raspistill); returns the undo. */
function useProcessEnv(env: NodeJS.ProcessEnv): () => void {
  const keys = ['PATH', 'FAKE_CAMERA_DIR', 'FAKE_CAMERA_MODE'];
  const saved = keys.map((k) => process.env[k]);
  for (const k of keys) process.env[k] = env[k];
  return () =>
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
}

/** Frames ffprobe decodes from a chunk on its own, and the picture size. */
function probe(data: Uint8Array): { frames: number; width: number; height: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-f', 'h264', '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', '-'], { input: data });
  const s = JSON.parse(r.stdout.toString()).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

describe('rpicam camera: video from rpicam-vid (fake tool emitting real libx264 H.264)', () => {
  it('R-REC-1: streams keyframe-aligned GOPs that each decode on their own, with gap-free pts from frame count and fps', async () => {
    const { cam } = camera();
    const chunks: VideoChunk[] = await firstValueFrom(cam.video(VIDEO).pipe(take(4), toArray()));
    expect(chunks.map((c) => c.frames)).toEqual([15, 15, 15, 15]);
    expect(chunks.map((c) => c.pts)).toEqual([0, 500, 1000, 1500]);
    expect(chunks.every((c) => c.durationMs === 500 && c.mode === 'day')).toBe(true);
    for (const c of chunks) {
      const types = splitNalUnits(c.data).map((n) => n.type);
      expect(types.slice(0, 2)).toEqual([NAL.SPS, NAL.PPS]);
      expect(types.filter((t) => t === NAL.IDR)).toHaveLength(1);
      expect(probe(c.data)).toEqual({ frames: 15, width: 320, height: 240 });
    }
    const start = tools.log().find((e) => e.event === 'start')!;
    expect(start.argv).toEqual(['-t', '0', '-n', '--camera', '0', '--codec', 'h264', '--inline', '--intra', '15', '--framerate', '30', '-b', '500000', '--width', '320', '--height', '240', '--flush', '-o', '-']);
    // take(4) unsubscribed: rpicam-vid got SIGINT and the camera is released.
    await waitForLog(tools, (e) => e.event === 'signal' && e.signal === 'SIGINT');
  });

  it('passes the tuning file and camera index from the board file', async () => {
    const { cam } = camera('ok', { index: 1, tuningFile: '/usr/share/libcamera/ipa/rpi/vc4/imx708_noir.json' });
    await firstValueFrom(cam.video(VIDEO));
    const argv = tools.log().find((e) => e.event === 'start')!.argv;
    expect(argv.slice(argv.indexOf('--camera'), argv.indexOf('--camera') + 2)).toEqual(['--camera', '1']);
    expect(argv).toContain('/usr/share/libcamera/ipa/rpi/vc4/imx708_noir.json');
  });

  it('R-REC-5: tags chunks with the optics mode in force when they are taken', async () => {
    const { cam } = camera();
    const modes: string[] = [];
    await new Promise<void>((resolve) => {
      const sub = cam.video(VIDEO).subscribe((c) => {
        modes.push(c.mode);
        if (modes.length === 2) cam.setMode('night');
        if (modes.length === 4) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    expect(modes).toEqual(['day', 'day', 'night', 'night']);
  });

  it('a missing camera ends the stream with DeviceNotFoundError', async () => {
    const { cam } = camera('nocamera');
    const err = await firstValueFrom(cam.video(VIDEO)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceNotFoundError);
    expect((err as Error).message).toMatch(/^camera: rpicam-vid: no camera detected \(ERROR: \*\*\* no cameras available \*\*\*\)/);
  });

  it('an encoder that dies hands over the partial GOP, then fails with DeviceNotRespondingError', async () => {
    const { cam } = camera('die-after-bytes=60000');
    const got: VideoChunk[] = [];
    const err = await new Promise<unknown>((resolve) => cam.video(VIDEO).subscribe({ next: (c) => got.push(c), error: resolve }));
    expect(err).toBeInstanceOf(DeviceNotRespondingError);
    expect((err as Error).message).toBe('camera: rpicam-vid exited with code 255: ERROR: *** Device timeout detected, attempting a restart!!! ***');
    expect(got.length).toBeGreaterThanOrEqual(1);
    const last = got[got.length - 1];
    expect(probe(last.data).frames).toBe(last.frames);
    // pts stay contiguous up to the failure.
    for (let i = 1; i < got.length; i++) expect(got[i].pts).toBeCloseTo(got[i - 1].pts + got[i - 1].durationMs, 6);
  });

  it('reports a missing rpicam-vid as DeviceNotFoundError', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const cam = new RpicamCamera({ clock, env: { PATH: '/nonexistent' } });
    cameras.push(cam);
    await expect(firstValueFrom(cam.video(VIDEO))).rejects.toThrow('camera: rpicam-vid not found on PATH (apt install rpicam-apps)');
  });

  it('allows one capture at a time and restarts once the previous rpicam-vid has exited', async () => {
    const { cam } = camera();
    let firstChunk!: () => void;
    const started = new Promise<void>((r) => (firstChunk = r));
    const first = cam.video(VIDEO).subscribe(() => firstChunk());
    await started;
    await expect(firstValueFrom(cam.video(VIDEO))).rejects.toBeInstanceOf(UnsupportedError);
    first.unsubscribe();
    const chunk = await firstValueFrom(cam.video(VIDEO));
    expect(chunk.frames).toBe(15);
    const log = tools.log();
    expect(log.filter((e) => e.event === 'start')).toHaveLength(2);
    // The second rpicam-vid started only after the first had taken its SIGINT.
    expect(log.map((e) => e.event)).toEqual(['start', 'signal', 'start', ...log.slice(3).map((e) => e.event)]);
  });

  it('escalates to SIGTERM on the injected clock when rpicam-vid ignores SIGINT', async () => {
    const { cam, clock } = camera('ignore-sigint', { stopGraceMs: 2000 });
    await firstValueFrom(cam.video(VIDEO));
    await waitForLog(tools, (e) => e.event === 'signal' && e.signal === 'SIGINT');
    const closing = cam.close();
    clock.advance(2000);
    await closing;
    expect(tools.log().filter((e) => e.event === 'signal').map((e) => e.signal)).toEqual(['SIGINT', 'SIGTERM']);
  });

  it('validates video options before starting anything', async () => {
    const { cam } = camera();
    await expect(firstValueFrom(cam.video({ ...VIDEO, fps: 0 }))).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(tools.log()).toEqual([]);
    expect(() => new RpicamCamera({ clock: new VirtualClock({ startEpochMs: 0 }), stack: 'mmal' as never })).toThrow(InvalidOptionsError);
  });
});

describe('rpicam camera: stills', () => {
  it('takes a JPEG with rpicam-still at the requested size', async () => {
    const { cam } = camera('ok', { stillSettleMs: 500 });
    const still = await cam.still({ width: 640, height: 480 });
    expect(still).toMatchObject({ mime: 'image/jpeg', width: 640, height: 480 });
    expect(jpegSize(still.data)).toEqual({ width: 640, height: 480 });
    expect(tools.log().find((e) => e.event === 'start')!.argv).toEqual(['-n', '-t', '500', '--camera', '0', '--width', '640', '--height', '480', '-e', 'jpg', '-o', '-']);
  });

  it('R-REC-5: asks for a grey image at night', async () => {
    const { cam } = camera();
    cam.setMode('night');
    await cam.still({ width: 320, height: 240 });
    expect(tools.log().find((e) => e.event === 'start')!.argv).toEqual(expect.arrayContaining(['--saturation', '0']));
  });

  it('uses node-raspistill on the legacy stack', async () => {
    // node-raspistill runs "raspistill" with the process environment.
    const restore = useProcessEnv(tools.env());
    try {
      const { cam } = camera('ok', { stack: 'raspistill', stillSettleMs: 200 });
      const still = await cam.still({ width: 320, height: 240 });
      expect({ width: still.width, height: still.height }).toEqual({ width: 320, height: 240 });
      const start = tools.log().find((e) => e.event === 'start')!;
      expect(start.tool).toBe('raspistill');
      expect(start.argv).toEqual(['-n', '-e', 'jpg', '-w', '320', '-h', '240', '-t', '200', '-o', '-']);
    } finally {
      restore();
    }
  });

  it('picks raspistill automatically when only the legacy tool is installed', async () => {
    const legacy = new FakeCameraTools(['raspistill']);
    const restore = useProcessEnv(legacy.env());
    try {
      const cam = new RpicamCamera({ clock: new VirtualClock({ startEpochMs: 0 }), env: { ...legacy.env(), PATH: legacy.binDir } });
      cameras.push(cam);
      const still = await cam.still({ width: 160, height: 120 });
      expect(still.width).toBe(160);
      expect(legacy.log()[0].tool).toBe('raspistill');
    } finally {
      restore();
      legacy.dispose();
    }
  });

  it('a missing camera is DeviceNotFoundError on either stack', async () => {
    const { cam } = camera('nocamera');
    await expect(cam.still({ width: 320, height: 240 })).rejects.toBeInstanceOf(DeviceNotFoundError);
    const restore = useProcessEnv(tools.env('nocamera'));
    try {
      const { cam: legacy } = camera('nocamera', { stack: 'raspistill' });
      const err = await legacy.still({ width: 320, height: 240 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceNotFoundError);
      expect((err as Error).message).toBe('camera: raspistill: mmal: Failed to create camera component');
    } finally {
      restore();
    }
  });

  it('a still that never arrives fails after the timeout on the injected clock', async () => {
    const { cam, clock } = camera('hang', { stillTimeoutMs: 5000 });
    const pending = cam.still({ width: 320, height: 240 }).catch((e: unknown) => e);
    await waitForLog(tools, (e) => e.event === 'start');
    clock.advance(5000);
    const err = await pending;
    expect(err).toBeInstanceOf(DeviceNotRespondingError);
    expect((err as Error).message).toMatch(/did not finish within 5000 ms/);
  });

  it('while video runs, a still is the newest keyframe decoded with ffmpeg', async () => {
    const { cam } = camera();
    const chunks: VideoChunk[] = [];
    let twoChunks!: () => void;
    const ready = new Promise<void>((r) => (twoChunks = r));
    const sub = cam.video(VIDEO).subscribe((c) => {
      chunks.push(c);
      if (chunks.length === 2) twoChunks();
    });
    await ready;
    const still = await cam.still({ width: 640, height: 480 });
    sub.unsubscribe();
    expect({ width: still.width, height: still.height }).toEqual({ width: 320, height: 240 });
    expect(chunks.map((c) => c.pts)).toContain(still.at);
    expect(tools.log().filter((e) => e.tool === 'rpicam-still')).toEqual([]);
  });
});
