import { describeMicrophoneContract } from './microphone.contract.ts';
import { SimMicrophone } from '../../sim/microphone.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

describeMicrophoneContract('simulated ambient-noise model', async () => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const microphone = new SimMicrophone({ clock, seed: 11, ambient: 'speech' });
  return {
    microphone,
    now: () => clock.monotonic(),
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    surroundings: (kind) => microphone.setAmbient(kind === 'quiet' ? 'quiet' : 'traffic'),
    unplug: () => microphone.unplug(),
    cleanup: async () => {},
  };
});
