import { describeIndicatorsContract } from './indicators.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { GpioIndicators } from '../../hal/drivers/gpio-indicators.ts';
import type { IndicatorOutput } from '../../hal/indicators.ts';

// A vehicle-recorder-like board: no vibration motor, the amber LED sinks current (active-low).
const WIRING = { 'led-red': 5, 'led-green': 6, 'led-amber': { line: 13, activeLow: true }, buzzer: 19 } as const;

describeIndicatorsContract('GpioIndicators on the simulated GPIO controller', async () => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock });
  const indicators = await GpioIndicators.open({ gpio, clock, outputs: WIRING });
  const lineOf = (o: IndicatorOutput) => {
    const spec = WIRING[o as keyof typeof WIRING];
    return typeof spec === 'number' ? { line: spec, activeLow: false } : spec;
  };
  return {
    indicators,
    wired: Object.keys(WIRING) as IndicatorOutput[],
    missing: 'vibration',
    lit: (o) => {
      const { line, activeLow } = lineOf(o);
      return (gpio.level(line) === 1) !== activeLow;
    },
    now: () => clock.monotonic(),
    advance: async (ms) => {
      await clock.runFor(ms);
    },
    cleanup: () => gpio.close(),
  };
});
