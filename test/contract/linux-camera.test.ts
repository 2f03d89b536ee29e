/**
 * simdev's Camera contract against the real Raspberry Pi camera driver (RpicamCamera): the
 * fake rpicam-vid/rpicam-still on PATH emit real libx264 H.264 and JPEG made by ffmpeg with the
 * requested parameters; the driver spawns them, cuts the stream into keyframe-aligned GOPs,
 * stamps them, stops them with SIGINT and reads their errors. The pacer (test/fakes/camera/
 * paced.ts) hands each GOP on at the virtual instant a real camera would have finished it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeCameraContract } from './camera.contract.ts';
import { RpicamCamera } from '../../hal/linux/rpicam-camera.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeCameraTools } from '../fakes/camera/index.ts';
import { CameraPacer } from '../fakes/camera/paced.ts';

let tools: FakeCameraTools;
beforeAll(() => {
  tools = new FakeCameraTools();
});
afterAll(() => tools.dispose());

describeCameraContract('RpicamCamera over fake rpicam-vid/rpicam-still (real libx264 H.264 and JPEG)', async () => {
  fs.rmSync(path.join(tools.dir, 'unplugged'), { force: true });
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2025, 5, 1, 21, 0, 0) });
  const real = new RpicamCamera({ clock, env: tools.env(), stillSettleMs: 100 });
  const pacer = new CameraPacer(real, clock);
  return {
    camera: pacer.camera,
    options: { width: 160, height: 120, fps: 10, bitrate: 100_000, keyframeInterval: 10 },
    now: () => clock.monotonic(),
    advance: (ms) => pacer.advance(ms),
    unplug: async () => {
      // The ribbon cable comes off: the running rpicam-vid times out at its next frame.
      fs.writeFileSync(path.join(tools.dir, 'unplugged'), '');
      await pacer.ended();
    },
    cleanup: async () => {
      fs.rmSync(path.join(tools.dir, 'unplugged'), { force: true });
    },
  };
});
