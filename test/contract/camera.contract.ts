/**
 * The Camera contract (hal/camera.ts): a continuous stream of keyframe-aligned, independently
 * decodable H.264 GOP chunks with no gaps, that stops when unsubscribed; stills; typed errors.
 * Runs against the simulated camera (both media) and, later, the rpicam driver over a fake
 * rpicam-vid.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { Subscription } from 'rxjs';
import type { Camera, VideoChunk, VideoOptions } from '../../hal/camera.ts';
import { DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError } from '../../hal/errors.ts';
import { NAL, parseSps, splitNalUnits } from '../../hal/drivers/h264.ts';

export interface CameraFixture {
  camera: Camera;
  /** Stream options to test with (short GOPs keep the tests quick). */
  options: VideoOptions;
  now(): number;
  advance(ms: number): Promise<void>;
  /** Makes the camera stop answering, if the fixture can. */
  unplug?(): Promise<void> | void;
  cleanup(): Promise<void>;
}

/** Checks one chunk is a decodable-shaped GOP: SPS/PPS of the right size before an IDR, `frames` pictures. */
export function expectDecodableGop(chunk: VideoChunk, options: VideoOptions): void {
  const units = splitNalUnits(chunk.data);
  expect(units[0]?.start, 'chunk starts with a start code').toBe(0);
  const types = units.map((u) => u.type);
  const firstVcl = types.findIndex((t) => t >= 1 && t <= 5);
  expect(types[firstVcl], 'first picture is an IDR').toBe(NAL.IDR);
  const spsAt = types.indexOf(NAL.SPS);
  expect(spsAt >= 0 && spsAt < firstVcl && types.indexOf(NAL.PPS) < firstVcl && types.indexOf(NAL.PPS) > spsAt).toBe(true);
  const sps = units[spsAt];
  expect(parseSps(chunk.data.subarray(sps.start + sps.prefix, sps.end))).toMatchObject({ width: options.width, height: options.height });
  // Pictures = slices with first_mb_in_slice == 0 (leading bit of the slice header set).
  const pictures = units.filter((u) => u.type >= 1 && u.type <= 5 && (chunk.data[u.start + u.prefix + 1] & 0x80) !== 0).length;
  expect(pictures).toBe(chunk.frames);
  expect(units.filter((u) => u.type === NAL.IDR && (chunk.data[u.start + u.prefix + 1] & 0x80) !== 0)).toHaveLength(1);
  for (const u of units) expect(u.end > u.start + u.prefix, 'no empty NAL units').toBe(true);
}

export function describeCameraContract(implementation: string, makeFixture: () => Promise<CameraFixture>): void {
  describe(`Camera contract: ${implementation}`, () => {
    let fx: CameraFixture;
    const subs: Subscription[] = [];
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      for (const s of subs.splice(0)) s.unsubscribe();
      await fx.camera.close();
      await fx.cleanup();
    });

    const gopMs = () => (fx.options.keyframeInterval * 1000) / fx.options.fps;
    const frameMs = () => 1000 / fx.options.fps;
    const record = () => {
      const chunks: Array<VideoChunk & { arrivedAt: number }> = [];
      let error: unknown = null;
      let completed = false;
      subs.push(
        fx.camera.video(fx.options).subscribe({
          next: (c) => chunks.push({ ...c, arrivedAt: fx.now() }),
          error: (e: unknown) => (error = e),
          complete: () => (completed = true),
        }),
      );
      return { chunks, error: () => error, completed: () => completed, sub: subs.at(-1)! };
    };

    it('R-REC-1: streams keyframe-aligned GOPs, each decodable on its own, with continuous pts and no gap', async () => {
      const start = fx.now();
      const rec = record();
      await fx.advance(gopMs() * 6 + 1);
      expect(rec.error()).toBe(null);
      expect(rec.chunks.length).toBeGreaterThanOrEqual(5);
      expect(Math.abs(rec.chunks[0].pts - start)).toBeLessThanOrEqual(gopMs());
      for (const [i, c] of rec.chunks.entries()) {
        expectDecodableGop(c, fx.options);
        expect(c.frames).toBe(fx.options.keyframeInterval);
        expect(c.durationMs).toBeCloseTo((c.frames * 1000) / fx.options.fps, 6);
        expect(c.arrivedAt).toBeGreaterThanOrEqual(c.pts);
        if (i > 0) {
          const prev = rec.chunks[i - 1];
          expect(Math.abs(c.pts - (prev.pts + prev.durationMs))).toBeLessThanOrEqual(frameMs());
        }
      }
    });

    it('stops capturing when unsubscribed, and can stream again afterwards', async () => {
      const rec = record();
      await fx.advance(gopMs() * 2 + 1);
      const n = rec.chunks.length;
      expect(n).toBeGreaterThanOrEqual(1);
      rec.sub.unsubscribe();
      await fx.advance(gopMs() * 4);
      expect(rec.chunks).toHaveLength(n);
      const again = record();
      await fx.advance(gopMs() * 2 + 1);
      expect(again.chunks.length).toBeGreaterThanOrEqual(1);
      expectDecodableGop(again.chunks[0], fx.options);
    });

    it('R-REC-5: chunks carry the optics mode the camera was set to', async () => {
      const rec = record();
      await fx.advance(gopMs() + 1);
      fx.camera.setMode('night');
      await fx.advance(gopMs() * 3);
      expect(rec.chunks[0].mode).toBe('day');
      expect(rec.chunks.at(-1)!.mode).toBe('night');
      const modes = rec.chunks.map((c) => c.mode).join(',');
      expect(modes).toMatch(/^(day,)+(night,?)+$/);
    });

    it('takes a still of the requested size as a real image', async () => {
      const still = await fx.camera.still({ width: 64, height: 48 });
      expect([still.width, still.height]).toEqual([64, 48]);
      expect(Math.abs(still.at - fx.now())).toBeLessThanOrEqual(1000);
      if (still.mime === 'image/png') {
        const png = PNG.sync.read(Buffer.from(still.data));
        expect([png.width, png.height]).toEqual([64, 48]);
      } else if (still.mime === 'image/jpeg') {
        const img = jpeg.decode(still.data);
        expect([img.width, img.height]).toEqual([64, 48]);
      } else {
        expect(new TextDecoder().decode(still.data.subarray(0, 2))).toBe('P6');
      }
    });

    it('refuses bad stream and still options with InvalidOptionsError', async () => {
      const bad: Array<Partial<VideoOptions>> = [{ width: 0 }, { height: 241 }, { fps: 0 }, { fps: Number.NaN }, { bitrate: -1 }, { keyframeInterval: 0 }];
      for (const b of bad) {
        let err: unknown = null;
        try {
          fx.camera.video({ ...fx.options, ...b }).subscribe({ error: (e: unknown) => (err = e) }).unsubscribe();
        } catch (e) {
          err = e;
        }
        expect(err, JSON.stringify(b)).toBeInstanceOf(InvalidOptionsError);
      }
      await expect(fx.camera.still({ width: 0, height: 10 })).rejects.toBeInstanceOf(InvalidOptionsError);
      // Nothing was left streaming by the refused attempts.
      const rec = record();
      await fx.advance(gopMs() + 1);
      expect(rec.error()).toBe(null);
    });

    it('R-PWR-3: an unplugged camera fails the stream with DeviceNotRespondingError and refuses stills', async (ctx) => {
      if (!fx.unplug) return ctx.skip();
      const rec = record();
      await fx.advance(gopMs() + 1);
      await fx.unplug();
      await fx.advance(gopMs() * 2);
      expect(rec.error()).toBeInstanceOf(DeviceNotRespondingError);
      await expect(fx.camera.still({ width: 32, height: 32 })).rejects.toBeInstanceOf(DeviceNotRespondingError);
    });

    it('close ends the stream, is idempotent, and refuses further use', async () => {
      const rec = record();
      await fx.advance(gopMs() + 1);
      await fx.camera.close();
      await fx.camera.close();
      expect(rec.completed() || rec.error() instanceof DeviceClosedError).toBe(true);
      const n = rec.chunks.length;
      await fx.advance(gopMs() * 2);
      expect(rec.chunks).toHaveLength(n);
      await expect(fx.camera.still({ width: 32, height: 32 })).rejects.toBeInstanceOf(DeviceClosedError);
      let err: unknown = null;
      try {
        fx.camera.video(fx.options).subscribe({ error: (e: unknown) => (err = e) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DeviceClosedError);
    });
  });
}
