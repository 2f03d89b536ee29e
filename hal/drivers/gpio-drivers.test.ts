/**
 * Driver-specific behaviour of the GPIO drivers beyond their contracts: option validation before
 * any line is claimed, all-or-nothing claims, the indicators' playback log. The contracts
 * themselves run in test/contract/.
 */
import { describe, expect, it } from 'vitest';
import { SimGpioController } from '../../sim/gpio.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { InvalidOptionsError } from '../errors.ts';
import { GpioButtons } from './gpio-buttons.ts';
import { HBridgeIrCut } from './ircut-hbridge.ts';
import { GpioIrLight } from './gpio-ir-light.ts';
import { GpioIndicators } from './gpio-indicators.ts';
import { GpioCharger } from './gpio-charger.ts';
import { GpioPowerPath } from './gpio-power-path.ts';

const board = () => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = new SimGpioController({ clock });
  const claimed = () => Array.from({ length: 28 }, (_, l) => l).filter((l) => gpio.claimOf(l) !== null);
  return { clock, gpio, claimed };
};

describe('GPIO driver options are validated before any line is claimed', () => {
  it.each([
    ['buttons: unknown button', (g: SimGpioController) => GpioButtons.open({ gpio: g, lines: { record: 1, reload: 2 } as never })],
    ['buttons: no buttons', (g: SimGpioController) => GpioButtons.open({ gpio: g, lines: {} })],
    ['buttons: shared line', (g: SimGpioController) => GpioButtons.open({ gpio: g, lines: { record: 1, marker: 1 } })],
    ['buttons: debounce', (g: SimGpioController) => GpioButtons.open({ gpio: g, lines: { record: 1 }, debounceMs: -3 })],
    ['ir-cut: pulse too short', (g: SimGpioController, c: VirtualClock) => HBridgeIrCut.open({ gpio: g, clock: c, lines: { day: 1, night: 2 }, pulseMs: 5 })],
    ['ir-cut: pulse too long', (g: SimGpioController, c: VirtualClock) => HBridgeIrCut.open({ gpio: g, clock: c, lines: { day: 1, night: 2 }, pulseMs: 151 })],
    ['ir-cut: same line', (g: SimGpioController, c: VirtualClock) => HBridgeIrCut.open({ gpio: g, clock: c, lines: { day: 1, night: 1 } })],
    ['ir-cut: no clock', (g: SimGpioController) => HBridgeIrCut.open({ gpio: g, clock: undefined as never, lines: { day: 1, night: 2 } })],
    ['ir-light: bad line', (g: SimGpioController) => GpioIrLight.open({ gpio: g, line: -2 })],
    ['indicators: unknown output', (g: SimGpioController, c: VirtualClock) => GpioIndicators.open({ gpio: g, clock: c, outputs: { siren: 3 } as never })],
    ['indicators: shared line', (g: SimGpioController, c: VirtualClock) => GpioIndicators.open({ gpio: g, clock: c, outputs: { 'led-red': 3, buzzer: 3 } })],
    ['charger: one status line', (g: SimGpioController) => GpioCharger.open({ gpio: g, lines: { dock: 1, powerGood: 2, charging: [3] as never } })],
    ['charger: shared line', (g: SimGpioController) => GpioCharger.open({ gpio: g, lines: { dock: 1, powerGood: 1, charging: [3, 4] } })],
    ['power path: bad initial slot', (g: SimGpioController) => GpioPowerPath.open({ gpio: g, lines: { select: 1, present: [2, 3], active: [4, 5] }, initialSlot: 2 as never })],
    ['power path: shared line', (g: SimGpioController) => GpioPowerPath.open({ gpio: g, lines: { select: 1, present: [2, 3], active: [3, 5] } })],
  ])('%s', async (_label, open) => {
    const { gpio, clock, claimed } = board();
    await expect((open as (g: SimGpioController, c: VirtualClock) => Promise<unknown>)(gpio, clock)).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(claimed()).toEqual([]);
  });

  it('a claim that fails part-way releases the lines already claimed', async () => {
    const { gpio, claimed } = board();
    const busy = await gpio.output({ line: 4 });
    await expect(GpioButtons.open({ gpio, lines: { record: 1, marker: 2, pause: 4 } })).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(claimed()).toEqual([4]);
    await busy.close();
    const buttons = await GpioButtons.open({ gpio, lines: { record: 1, marker: 2, pause: 4 } });
    expect(buttons.buttons).toEqual(['record', 'marker', 'pause']);
    await buttons.close();
    expect(claimed()).toEqual([]);
  });
});

describe('GPIO drivers, extras', () => {
  it('buttons: a board without a pause button reports it never pressed', async () => {
    const { gpio } = board();
    const buttons = await GpioButtons.open({ gpio, lines: { record: 1 } });
    expect(buttons.isPressed('pause')).toBe(false);
    expect(() => buttons.isPressed('eject' as never)).toThrow(InvalidOptionsError);
  });

  it('indicators: the playback log says which output was on, from when, for how long', async () => {
    const { gpio, clock } = board();
    const ind = await GpioIndicators.open({ gpio, clock, outputs: { 'led-red': 5, buzzer: 6, vibration: 7 } });
    const ended: string[] = [];
    ind.periods$.subscribe((p) => ended.push(`${p.output}@${p.at}+${p.durationMs}`));
    await clock.runFor(1000);
    const alert = Promise.all([ind.play('buzzer', [200, 100, 200]), ind.play('vibration', [500])]);
    await ind.set('led-red', true);
    await clock.runFor(1000);
    await alert;
    expect(ind.log()).toEqual([
      { output: 'buzzer', at: 1000, durationMs: 200, via: 'play' },
      { output: 'vibration', at: 1000, durationMs: 500, via: 'play' },
      { output: 'led-red', at: 1000, durationMs: null, via: 'set' },
      { output: 'buzzer', at: 1300, durationMs: 200, via: 'play' },
    ]);
    expect(ended).toEqual(['buzzer@1000+200', 'vibration@1000+500', 'buzzer@1300+200']);
    await ind.set('led-red', false);
    expect(ind.log('led-red')).toEqual([{ output: 'led-red', at: 1000, durationMs: 1000, via: 'set' }]);
  });

  it('indicators: a pattern cancelled half-way logs the on-time it really had', async () => {
    const { gpio, clock } = board();
    const ind = await GpioIndicators.open({ gpio, clock, outputs: { buzzer: 6 } });
    void ind.play('buzzer', [1000]);
    await clock.runFor(300);
    await ind.set('buzzer', false);
    expect(ind.log()).toEqual([{ output: 'buzzer', at: 0, durationMs: 300, via: 'play' }]);
  });

  it('ir-cut: counts completed pulses', async () => {
    const { gpio, clock } = board();
    const f = await HBridgeIrCut.open({ gpio, clock, lines: { day: 1, night: 2 }, pulseMs: 20 });
    const p = Promise.all([f.set('day'), f.set('night')]);
    await clock.runFor(100);
    await p;
    expect(f.pulses).toBe(2);
    expect(gpio.edgeLog().map((e) => [e.line, e.level, e.at])).toEqual([
      [1, 1, 0],
      [1, 0, 20],
      [2, 1, 20],
      [2, 0, 40],
    ]);
  });

  it('power path: reports presence per slot and keeps the preferred pack', async () => {
    const { gpio } = board();
    gpio.pull(2, 'up');
    gpio.drive(3, 0);
    const pp = await GpioPowerPath.open({ gpio, lines: { select: 1, present: [2, 3], active: [4, 5] }, initialSlot: 1 });
    expect(pp.preferred).toBe(1);
    expect(await pp.present(0)).toBe(false);
    expect(await pp.present(1)).toBe(true);
  });
});
