import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeStandardFirmata, MODE } from '../../test/fakes/standard-firmata.ts';
import type { ButtonEvent } from '../buttons.ts';
import { FirmataBoard } from './firmata-board.ts';
import { FirmataButtons } from './buttons.ts';
import { FirmataIndicators } from './indicators.ts';
import { FirmataLdrLight, ldrSample } from './ldr-light.ts';

const boards: FirmataBoard[] = [];
afterEach(async () => {
  while (boards.length) await boards.pop()!.close();
});

const settle = () => new Promise((r) => setImmediate(r));

async function open() {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const uno = new FakeStandardFirmata().open();
  const board = await FirmataBoard.open({ clock, transport: uno });
  boards.push(board);
  return { clock, uno, board };
}

describe('Firmata rig over the real firmata-io protocol (fake StandardFirmata Uno)', () => {
  it('completes the StandardFirmata handshake: version, firmware, capabilities, analog mapping', async () => {
    const { board } = await open();
    expect(board.io.name).toBe('Firmata');
    expect(board.io.analogPins).toEqual([14, 15, 16, 17, 18, 19]);
    expect(board.adcMax).toBe(1023);
    expect(board.io.MODES.PULLUP).toBe(MODE.PULLUP);
  });

  it('R-REC-8: a record button with INPUT_PULLUP, pressed with bounce, gives one debounced press', async () => {
    const { clock, uno, board } = await open();
    const buttons = new FirmataButtons({ board, buttons: { record: { pin: 2, activeLow: true, debounceMs: 20, pull: 'up' } } });
    expect(uno.log).toContain(`pinMode 2 ${MODE.PULLUP}`);
    await settle(); // the port report that starts reporting: the baseline
    const events: ButtonEvent[] = [];
    buttons.events$.subscribe((e) => events.push(e));
    for (const [t, level] of [[100, 0], [101, 1], [103, 0]] as Array<[number, 0 | 1]>) {
      clock.advance(t - clock.monotonic());
      uno.setInput(2, level);
      await settle();
    }
    clock.advance(50);
    expect(events).toEqual([{ button: 'record', action: 'press', at: 123 }]);
    uno.setInput(2, null); // released: the pull-up brings it back high
    await settle();
    clock.advance(50);
    expect(events.map((e) => e.action)).toEqual(['press', 'release']);
  });

  it('drives the LEDs through digital port messages', async () => {
    const { uno, board } = await open();
    const ind = new FirmataIndicators({ board, outputs: { 'led-red': { pin: 9 }, 'led-green': { pin: 10, activeLow: true } } });
    await ind.set('led-red', true);
    expect(uno.level(9)).toBe(1);
    expect(uno.level(10)).toBe(1); // active-low LED off
    await ind.set('led-green', true);
    expect(uno.level(10)).toBe(0);
  });

  it('R-REC-5: reads the LDR on A0 from analog reports', async () => {
    const { uno, board } = await open();
    const light = new FirmataLdrLight({ board, pin: 'A0', fixedOhms: 10_000, r10Ohms: 12_000, gamma: 0.7, ldrPosition: 'top' });
    await settle();
    uno.setAnalog(0, 700);
    await settle();
    expect((await light.read()).lux).toBeCloseTo(ldrSample(700, 1023, { fixedOhms: 10_000, r10Ohms: 12_000, gamma: 0.7, ldrPosition: 'top' }).lux, 9);
    uno.setAnalog(0, 1023); // full sun: the divider is at the rail
    await settle();
    expect((await light.read()).saturated).toBe(true);
  });
});
