/**
 * (Run by linux-gpio-sysfs.test.ts, linux-gpiod.test.ts and linux-gpiod-drivers.test.ts: split so
 * the slow tool-spawning libgpiod runs go to separate workers.)
 *
 * simdev's GPIO contract suites against the real Linux GPIO backends: the controller contract
 * itself, then every GPIO-level driver (buttons, indicators, IR-cut H-bridge, IR illuminator,
 * charger, power path) on top of
 * - sysfs: onoff over a fake /sys/class/gpio (Pi 4, kernel 6.6: BCM n is gpio 512+n), epoll
 *   edge notifications;
 * - libgpiod: the real command-line driver running fake gpioset/gpioget/gpiomon tools (v1 and
 *   v2 syntax) against a fake kernel.
 * The world side (buttons, the charger's status pins, the ideal-diode OR) is played through the
 * bench in test/fakes/gpio-rig.ts with simdev's own board-part models.
 */
import { describeGpioContract } from './gpio.contract.ts';
import { describeButtonsContract } from './buttons.contract.ts';
import { describeIndicatorsContract } from './indicators.contract.ts';
import { describeIrCutContract, type CoilSample } from './ir-cut.contract.ts';
import { describeIrLightContract } from './ir-light.contract.ts';
import { describeChargerContract } from './charger.contract.ts';
import { describePowerPathContract } from './power-path.contract.ts';
import { openRig, type RigKind } from '../fakes/gpio-rig.ts';
import { GpioButtons } from '../../hal/drivers/gpio-buttons.ts';
import { GpioIndicators } from '../../hal/drivers/gpio-indicators.ts';
import { HBridgeIrCut } from '../../hal/drivers/ircut-hbridge.ts';
import { GpioIrLight } from '../../hal/drivers/gpio-ir-light.ts';
import { GpioCharger } from '../../hal/drivers/gpio-charger.ts';
import { GpioPowerPath } from '../../hal/drivers/gpio-power-path.ts';
import { SimChargerPins, SimIdealDiodeOr } from '../../sim/power-parts.ts';
import type { ButtonName } from '../../hal/buttons.ts';
import type { IndicatorOutput } from '../../hal/indicators.ts';

const NAMES: Record<RigKind, string> = {
  sysfs: 'sysfs (onoff, fake /sys/class/gpio)',
  'gpiod-v1': 'libgpiod v1 tools (fake kernel)',
  'gpiod-v2': 'libgpiod v2 tools (fake kernel)',
};

/** The GpioController contract on one Linux backend. */
export function describeLinuxControllerContract(kind: RigKind): void {
  describeGpioContract(`Linux ${NAMES[kind]}`, async () => {
    const rig = await openRig(kind);
    return {
      gpio: rig.gpio,
      harness: {
        drive: async (line, level) => {
          rig.drive(line, level);
          await rig.quiet();
        },
        level: (line) => rig.level(line),
      },
      lines: [5, 6, 13],
      missingLine: rig.missingLine,
      now: () => rig.now(),
      advance: (ms) => rig.advance(ms),
      cleanup: () => rig.dispose(),
    };
  });
}

/** Every GPIO-level driver's contract on one Linux backend. */
export function describeLinuxDriverContracts(kind: RigKind): void {
  const on = `on Linux ${NAMES[kind]}`;

  describeButtonsContract(`GpioButtons ${on}`, async (options) => {
    const rig = await openRig(kind);
    const LINES: Record<ButtonName, number> = { record: 17, marker: 27, pause: 22, power: 6 };
    for (const line of Object.values(LINES)) rig.pull(line, 'up');
    for (const b of options?.held ?? []) rig.drive(LINES[b], 0);
    const buttons = await GpioButtons.open({ gpio: rig.gpio, lines: LINES });
    await rig.quiet();
    return {
      buttons,
      wired: Object.keys(LINES) as ButtonName[],
      debounceMs: 20,
      press: async (b) => {
        rig.drive(LINES[b], 0);
        await rig.quiet();
      },
      release: async (b) => {
        rig.release(LINES[b]);
        await rig.quiet();
      },
      now: () => rig.now(),
      advance: (ms) => rig.advance(ms),
      cleanup: async () => {
        await rig.gpio.close();
        await rig.dispose();
      },
    };
  });

  describeIndicatorsContract(`GpioIndicators ${on}`, async () => {
    const rig = await openRig(kind);
    const WIRING = { 'led-red': 5, 'led-green': 6, 'led-amber': { line: 13, activeLow: true }, buzzer: 19 } as const;
    const indicators = await GpioIndicators.open({ gpio: rig.gpio, clock: rig.clock, outputs: WIRING });
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
        return (rig.level(line) === 1) !== activeLow;
      },
      now: () => rig.now(),
      advance: (ms) => rig.advance(ms),
      cleanup: async () => {
        await rig.gpio.close();
        await rig.dispose();
      },
    };
  });

  for (const [pulseMs, activeLow] of [[100, false], [10, true]] as const) {
    describeIrCutContract(`HBridgeIrCut ${on} (${pulseMs} ms pulse${activeLow ? ', active-low bridge' : ''})`, async () => {
      const rig = await openRig(kind);
      const lines = { day: 23, night: 24 };
      const log: CoilSample[] = [];
      const driven = (line: number) => (rig.level(line) === 1) !== activeLow;
      const coil = () => ({ day: driven(lines.day), night: driven(lines.night) });
      const subs = [lines.day, lines.night].map((line) => rig.watch(line).subscribe(() => log.push({ ...coil(), at: rig.now() })));
      const filter = await HBridgeIrCut.open({ gpio: rig.gpio, clock: rig.clock, lines, pulseMs, activeLow });
      log.length = 0;
      return {
        filter,
        pulseMs,
        coil,
        coilLog: () => log.slice(),
        now: () => rig.now(),
        advance: (ms) => rig.advance(ms),
        cleanup: async () => {
          for (const s of subs) s.unsubscribe();
          await rig.gpio.close();
          await rig.dispose();
        },
      };
    });
  }

  for (const activeLow of [false, true]) {
    describeIrLightContract(`GpioIrLight ${on}${activeLow ? ' (active-low enable)' : ''}`, async () => {
      const rig = await openRig(kind);
      const light = await GpioIrLight.open({ gpio: rig.gpio, line: 12, activeLow });
      return {
        light,
        lit: () => (rig.level(12) === 1) !== activeLow,
        cleanup: async () => {
          await rig.gpio.close();
          await rig.dispose();
        },
      };
    });
  }

  describeChargerContract(`GpioCharger ${on} (BQ2407x-style pins)`, async (options) => {
    const rig = await openRig(kind);
    const lines = { dock: 16, powerGood: 20, charging: [21, 26] as const };
    const pins = new SimChargerPins({ gpio: rig, lines });
    const init = options?.initial ?? {};
    if (init.docked) pins.setDocked(true);
    if (init.power) pins.setPowerGood(true);
    init.charging?.forEach((c, i) => c && pins.setCharging(i as 0 | 1, true));
    await rig.advance(100);
    const charger = await GpioCharger.open({ gpio: rig.gpio, lines });
    await rig.quiet();
    const settled = (change: () => void) => async () => {
      change();
      await rig.quiet();
    };
    return {
      charger,
      world: {
        dock: (d) => settled(() => pins.setDocked(d))(),
        power: (p) => settled(() => pins.setPowerGood(p))(),
        charging: (s, c) => settled(() => pins.setCharging(s, c))(),
      },
      settleMs: 100,
      advance: (ms) => rig.advance(ms),
      cleanup: async () => {
        await rig.gpio.close();
        await rig.dispose();
      },
    };
  });

  describePowerPathContract(`GpioPowerPath ${on} (LTC4415-style STAT pins)`, async () => {
    const rig = await openRig(kind);
    const lines = { select: 25, present: [8, 7] as const, active: [9, 11] as const };
    const path = await GpioPowerPath.open({ gpio: rig.gpio, lines });
    const hw = new SimIdealDiodeOr({ gpio: rig, lines });
    await rig.quiet();
    const settled = (change: () => void) => async () => {
      change();
      await rig.quiet();
    };
    return {
      path,
      world: {
        insert: (s) => settled(() => hw.insert(s))(),
        remove: (s) => settled(() => hw.remove(s))(),
        usable: (s, u) => settled(() => hw.setUsable(s, u))(),
        externalPower: (on) => settled(() => hw.setExternalPower(on))(),
      },
      advance: (ms) => rig.advance(ms),
      cleanup: async () => {
        hw.dispose();
        await rig.gpio.close();
        await rig.dispose();
      },
    };
  });
}
