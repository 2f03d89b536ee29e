/**
 * The contract suites on the Arduino test rig's drivers: johnny-five and the real firmata-io
 * protocol code talking to a byte-level fake of an Uno running StandardFirmata 2.5
 * (test/fakes/standard-firmata.ts). Buttons and indicators use the johnny-five-based drivers;
 * the IR-cut H-bridge and IR illuminator run the GPIO-level drivers on `FirmataGpioController`
 * (as the rig's board file wires them); the light sensor is the LDR divider on A0, whose model
 * here is the LDR law the driver assumes, a 10-bit ADC and ±½ LSB of noise.
 */
import { describeGpioContract } from './gpio.contract.ts';
import { describeButtonsContract } from './buttons.contract.ts';
import { describeIndicatorsContract } from './indicators.contract.ts';
import { describeIrCutContract, type CoilSample } from './ir-cut.contract.ts';
import { describeIrLightContract } from './ir-light.contract.ts';
import { describeLightContract } from './light.contract.ts';
import { FirmataBoard } from '../../hal/firmata/firmata-board.ts';
import { FirmataButtons } from '../../hal/firmata/buttons.ts';
import { FirmataIndicators } from '../../hal/firmata/indicators.ts';
import { FirmataGpioController } from '../../hal/firmata/gpio.ts';
import { FirmataLdrLight } from '../../hal/firmata/ldr-light.ts';
import { HBridgeIrCut } from '../../hal/drivers/ircut-hbridge.ts';
import { GpioIrLight } from '../../hal/drivers/gpio-ir-light.ts';
import type { ButtonName } from '../../hal/buttons.ts';
import type { IndicatorOutput } from '../../hal/indicators.ts';
import { drive } from '../../sim/drive.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeStandardFirmata } from '../fakes/standard-firmata.ts';

const hop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An Uno with StandardFirmata, opened through johnny-five on a virtual clock. */
async function uno() {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const device = new FakeStandardFirmata().open();
  const board = await FirmataBoard.open({ clock, transport: device });
  return {
    clock,
    device,
    board,
    advance: async (ms: number) => {
      await clock.runFor(ms);
    },
  };
}

describeGpioContract('FirmataGpioController (fake StandardFirmata Uno)', async () => {
  const rig = await uno();
  return {
    gpio: new FirmataGpioController(rig.board),
    harness: {
      drive: async (line, level) => {
        rig.device.setInput(line, level);
        await hop();
      },
      level: (line) => (rig.device.level(line) ? 1 : 0),
    },
    lines: [5, 6, 13],
    missingLine: 99,
    now: () => rig.clock.monotonic(),
    advance: rig.advance,
    cleanup: () => rig.board.close(),
  };
});

describeButtonsContract('FirmataButtons (johnny-five, firmata-io, fake StandardFirmata Uno)', async (options) => {
  const rig = await uno();
  const PINS: Record<ButtonName, number> = { record: 2, marker: 3, pause: 4, power: 5 };
  for (const b of options?.held ?? []) rig.device.setInput(PINS[b], 0);
  const spec = (pin: number) => ({ pin, activeLow: true, debounceMs: 20, pull: 'up' as const });
  const buttons = new FirmataButtons({ board: rig.board, buttons: { record: spec(2), marker: spec(3), pause: spec(4), power: spec(5) } });
  await hop(); // the port reports that start reporting: the baseline levels
  return {
    buttons,
    wired: Object.keys(PINS) as ButtonName[],
    debounceMs: 20,
    press: async (b) => {
      rig.device.setInput(PINS[b], 0);
      await hop();
    },
    release: async (b) => {
      // Let go: the INPUT_PULLUP brings the pin back high.
      rig.device.setInput(PINS[b], null);
      await hop();
    },
    now: () => rig.clock.monotonic(),
    advance: rig.advance,
    cleanup: () => rig.board.close(),
  };
});

describeIndicatorsContract('FirmataIndicators (johnny-five, firmata-io, fake StandardFirmata Uno)', async () => {
  const rig = await uno();
  const WIRING = { 'led-red': { pin: 9 }, 'led-green': { pin: 10 }, 'led-amber': { pin: 11, activeLow: true }, buzzer: { pin: 8 } } as const;
  const indicators = new FirmataIndicators({ board: rig.board, outputs: WIRING });
  return {
    indicators,
    wired: Object.keys(WIRING) as IndicatorOutput[],
    missing: 'vibration',
    lit: (o) => {
      const spec = WIRING[o as keyof typeof WIRING] as { pin: number; activeLow?: boolean };
      return (rig.device.level(spec.pin) === 1) !== (spec.activeLow ?? false);
    },
    now: () => rig.clock.monotonic(),
    advance: rig.advance,
    cleanup: () => rig.board.close(),
  };
});

describeIrCutContract('HBridgeIrCut on FirmataGpioController (fake StandardFirmata Uno)', async () => {
  const rig = await uno();
  const gpio = new FirmataGpioController(rig.board);
  const lines = { day: 12, night: 13 };
  const log: CoilSample[] = [];
  const coil = () => ({ day: rig.device.level(lines.day) === 1, night: rig.device.level(lines.night) === 1 });
  let last = JSON.stringify(coil());
  // The coil as the H-bridge sees it: every change of the two pins, when the Uno applied it.
  const write = rig.device.write.bind(rig.device);
  rig.device.write = (data, callback) => {
    const ok = write(data, callback);
    const now = JSON.stringify(coil());
    if (now !== last) log.push({ ...coil(), at: rig.clock.monotonic() });
    last = now;
    return ok;
  };
  const filter = await HBridgeIrCut.open({ gpio, clock: rig.clock, lines, pulseMs: 100 });
  log.length = 0;
  return {
    filter,
    pulseMs: 100,
    coil,
    coilLog: () => log.slice(),
    now: () => rig.clock.monotonic(),
    advance: rig.advance,
    cleanup: () => rig.board.close(),
  };
});

describeIrLightContract('GpioIrLight on FirmataGpioController (fake StandardFirmata Uno)', async () => {
  const rig = await uno();
  const light = await GpioIrLight.open({ gpio: new FirmataGpioController(rig.board), line: 6 });
  return { light, lit: () => rig.device.level(6) === 1, cleanup: () => rig.board.close() };
});

// The rig's LDR (board file: GL5528, 10 kΩ to ground, LDR to 5 V on A0).
const CAL = { fixedOhms: 10_000, r10Ohms: 12_000, gamma: 0.7, ldrPosition: 'top' as const };

describeLightContract('FirmataLdrLight: LDR divider on A0 (fake StandardFirmata sampling every 19 ms)', async () => {
  const rig = await uno();
  const noise = new SeededRandom(19);
  let lux = 100;
  // R = R10 · (E / 10 lx)^−γ; the ADC sees Vcc · Rf / (Rf + R) in 1024 steps.
  const adc = () => {
    const r = CAL.r10Ohms * Math.pow(lux / 10, -CAL.gamma);
    return (1023 * CAL.fixedOhms) / (CAL.fixedOhms + r) + (noise.next() - 0.5);
  };
  let stop = rig.device.startSampling(rig.clock, adc);
  // maxAgeMs 0: every read waits for the next report, so a reading is stamped when it was sampled.
  const sensor = new FirmataLdrLight({ board: rig.board, pin: 'A0', ...CAL, maxAgeMs: 0 });
  await hop();
  return {
    sensor,
    clock: rig.clock,
    // Where one ADC step (plus noise) stays within 10 %; the divider saturates near 1 Mlx.
    spec: { minLux: 0.1, maxLux: 3000, relative: 0.1, absoluteLux: 0.01, saturationLux: 1_000_000 },
    setLux: (v) => (lux = v),
    run: (work) => drive(rig.clock, work),
    advance: rig.advance,
    // The rig's USB cable pulled: the Uno stops reporting (the LDR itself cannot NACK).
    unplug: () => stop(),
    plug: () => {
      stop = rig.device.startSampling(rig.clock, adc);
    },
    cleanup: async () => {
      stop();
      await rig.board.close();
    },
  };
});
