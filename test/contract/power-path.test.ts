import { describePowerPathContract } from './power-path.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { SimIdealDiodeOr } from '../../sim/power-parts.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { GpioPowerPath } from '../../hal/drivers/gpio-power-path.ts';

describePowerPathContract('GpioPowerPath on the simulated GPIO controller (LTC4415-style STAT pins)', async () => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock });
  const lines = { select: 25, present: [8, 7] as const, active: [9, 11] as const };
  const path = await GpioPowerPath.open({ gpio, lines });
  const hw = new SimIdealDiodeOr({ gpio, lines });
  return {
    path,
    world: {
      insert: (s) => hw.insert(s),
      remove: (s) => hw.remove(s),
      usable: (s, u) => hw.setUsable(s, u),
      externalPower: (on) => hw.setExternalPower(on),
    },
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    cleanup: async () => {
      hw.dispose();
      await gpio.close();
    },
  };
});
