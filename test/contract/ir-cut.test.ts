import { describeIrCutContract, type CoilSample } from './ir-cut.contract.ts';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { HBridgeIrCut } from '../../hal/drivers/ircut-hbridge.ts';

for (const [pulseMs, activeLow] of [[100, false], [10, true], [150, false]] as const) {
  describeIrCutContract(`HBridgeIrCut on the simulated GPIO controller (${pulseMs} ms pulse${activeLow ? ', active-low bridge' : ''})`, async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const gpio = new SimGpioController({ clock });
    const lines = { day: 23, night: 24 };
    const log: CoilSample[] = [];
    const driven = (line: number) => (gpio.level(line) === 1) !== activeLow;
    const coil = () => ({ day: driven(lines.day), night: driven(lines.night) });
    gpio.changes$.subscribe((c) => {
      if (c.line === lines.day || c.line === lines.night) log.push({ ...coil(), at: c.at });
    });
    const filter = await HBridgeIrCut.open({ gpio, clock, lines, pulseMs, activeLow });
    log.length = 0;
    return {
      filter,
      pulseMs,
      coil,
      coilLog: () => log.slice(),
      now: () => clock.monotonic(),
      advance: async (ms) => {
        await clock.runFor(ms);
      },
      cleanup: () => gpio.close(),
    };
  });
}
