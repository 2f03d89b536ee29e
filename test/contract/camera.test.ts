import { describeCameraContract } from './camera.contract.ts';
import { SIM_VIDEO_DEFAULTS, SimCamera } from '../../sim/camera.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

const simulated = (media: 'synthetic' | 'real', options = SIM_VIDEO_DEFAULTS) => async () => {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2025, 5, 1, 21, 0, 0) });
  const camera = new SimCamera({ clock, media, seed: 7, realBatchGops: 4 });
  return {
    camera,
    options,
    now: () => clock.monotonic(),
    advance: async (ms: number) => {
      await clock.runFor(ms);
    },
    unplug: () => camera.unplug(),
    cleanup: async () => {},
  };
};

describeCameraContract('simulated, synthetic H.264 (defaults)', simulated('synthetic'));
describeCameraContract('simulated, synthetic H.264 (fractional GOP: 25 fps, 12 frames, 1 Mbit/s)', simulated('synthetic', { width: 640, height: 360, fps: 25, bitrate: 1_000_000, keyframeInterval: 12 }));
describeCameraContract('simulated, real ffmpeg/libx264 H.264', simulated('real', { width: 160, height: 120, fps: 10, bitrate: 64_000, keyframeInterval: 10 }));
