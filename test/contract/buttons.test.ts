import { describeButtonsContract } from './buttons.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { GpioButtons } from '../../hal/drivers/gpio-buttons.ts';
import type { ButtonName } from '../../hal/buttons.ts';

const LINES: Record<ButtonName, number> = { record: 17, marker: 27, pause: 22, power: 3 };

describeButtonsContract('GpioButtons on the simulated GPIO controller', async (options) => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock });
  for (const line of Object.values(LINES)) gpio.pull(line, 'up');
  for (const b of options?.held ?? []) gpio.drive(LINES[b], 0);
  const buttons = await GpioButtons.open({ gpio, lines: LINES });
  return {
    buttons,
    wired: Object.keys(LINES) as ButtonName[],
    debounceMs: 20,
    press: (b) => gpio.drive(LINES[b], 0),
    release: (b) => gpio.release(LINES[b]),
    now: () => clock.monotonic(),
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    cleanup: () => gpio.close(),
  };
});
