import { describeChargerContract } from './charger.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { SimChargerPins } from '../../sim/power-parts.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { GpioCharger } from '../../hal/drivers/gpio-charger.ts';

describeChargerContract('GpioCharger on the simulated GPIO controller (BQ2407x-style pins)', async (options) => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock });
  const lines = { dock: 16, powerGood: 20, charging: [21, 26] as const };
  const pins = new SimChargerPins({ gpio, lines });
  const init = options?.initial ?? {};
  if (init.docked) pins.setDocked(true);
  if (init.power) pins.setPowerGood(true);
  init.charging?.forEach((c, i) => c && pins.setCharging(i as 0 | 1, true));
  await clock.runFor(100);
  const charger = await GpioCharger.open({ gpio, lines });
  return {
    charger,
    world: {
      dock: (d) => pins.setDocked(d),
      power: (p) => pins.setPowerGood(p),
      charging: (s, c) => pins.setCharging(s, c),
    },
    settleMs: 100,
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    cleanup: () => gpio.close(),
  };
});
