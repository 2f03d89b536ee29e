import { describeIrLightContract } from './ir-light.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { GpioIrLight } from '../../hal/drivers/gpio-ir-light.ts';

for (const activeLow of [false, true]) {
  describeIrLightContract(`GpioIrLight on the simulated GPIO controller${activeLow ? ' (active-low enable)' : ''}`, async () => {
    const gpio = new SimGpioController({ clock: new VirtualClock({ startEpochMs: 0 }) });
    const light = await GpioIrLight.open({ gpio, line: 12, activeLow });
    return { light, lit: () => (gpio.level(12) === 1) !== activeLow, cleanup: () => gpio.close() };
  });
}
