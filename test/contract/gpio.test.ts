import { describeGpioContract } from './gpio.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

describeGpioContract('simulated controller', async () => {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2025, 0, 1) });
  const gpio = new SimGpioController({ clock });
  return {
    gpio,
    harness: { drive: (line, level) => gpio.drive(line, level), level: (line) => gpio.level(line) },
    lines: [5, 6, 13],
    missingLine: 99,
    now: () => clock.monotonic(),
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    cleanup: async () => {},
  };
});
