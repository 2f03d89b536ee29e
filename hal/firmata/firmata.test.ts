import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { TestFirmata } from '../../test/fakes/firmata.ts';
import { DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError, UnsupportedError } from '../errors.ts';
import type { ButtonEvent } from '../buttons.ts';
import { FirmataBoard } from './firmata-board.ts';
import { FirmataButtons } from './buttons.ts';
import { FirmataIndicators } from './indicators.ts';
import { FirmataLdrLight, calibrateLdr, ldrOhms, ldrSample } from './ldr-light.ts';
import { FirmataGpioController } from './gpio.ts';

const boards: FirmataBoard[] = [];
afterEach(async () => {
  while (boards.length) await boards.pop()!.close();
});

async function setup() {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const io = new TestFirmata(clock);
  const opening = FirmataBoard.open({ clock, io });
  io.handshake();
  const board = await opening;
  boards.push(board);
  return { clock, io, board };
}

const RIG_CAL = { fixedOhms: 10_000, r10Ohms: 12_000, gamma: 0.7, ldrPosition: 'top' as const };

describe('Firmata board (johnny-five over mock-firmata)', () => {
  it('becomes ready after the Firmata handshake', async () => {
    const { board } = await setup();
    expect(board.board.isReady).toBe(true);
    expect(board.adcMax).toBe(1023);
  });

  it('fails with DeviceNotRespondingError when the handshake never comes (no StandardFirmata)', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const opening = FirmataBoard.open({ clock, io: new TestFirmata(clock), readyTimeoutMs: 5000 }).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    clock.advance(5000);
    const err = await opening;
    expect(err).toBeInstanceOf(DeviceNotRespondingError);
    expect((err as Error).message).toBe('Firmata board: no Firmata handshake within 5000 ms (is StandardFirmata flashed?)');
  });
});

describe('Firmata buttons', () => {
  it('R-REC-8: a bouncing marker button gives one press and one release, debounced on the injected clock', async () => {
    const { clock, io, board } = await setup();
    const buttons = new FirmataButtons({ board, buttons: { marker: { pin: 3, activeLow: true, debounceMs: 20, pull: 'up' } } });
    // mock-firmata has no INPUT_PULLUP mode: INPUT then HIGH switches the AVR pull-up on.
    expect(io.modes.get(3)).toBe(io.MODES.INPUT);
    expect(io.writes).toEqual([[0, 3, 1]]);
    const events: ButtonEvent[] = [];
    buttons.events$.subscribe((e) => events.push(e));
    io.reportDigital(3, 1); // first report: released (pulled up) — sets the baseline, no event
    expect(buttons.isPressed('marker')).toBe(false);
    const script: Array<[number, 0 | 1]> = [[100, 0], [102, 1], [103, 0], [400, 1], [401, 0], [404, 1]];
    for (const [t, v] of script) {
      clock.advance(t - clock.monotonic());
      io.reportDigital(3, v);
      if (t === 103) {
        clock.advance(30);
        expect(buttons.isPressed('marker')).toBe(true);
      }
    }
    clock.advance(100);
    expect(events).toEqual([
      { button: 'marker', action: 'press', at: 123 },
      { button: 'marker', action: 'release', at: 424 },
    ]);
    expect(buttons.isPressed('marker')).toBe(false);
  });

  it('does not report a press at start-up for a button that is simply pulled up', async () => {
    const { clock, io, board } = await setup();
    const buttons = new FirmataButtons({ board, buttons: { record: { pin: 2, activeLow: true, debounceMs: 10 } } });
    const events: ButtonEvent[] = [];
    buttons.events$.subscribe((e) => events.push(e));
    io.reportDigital(2, 1);
    io.reportDigital(2, 1); // port reports repeat unchanged levels
    clock.advance(100);
    expect(events).toEqual([]);
  });

  it('refuses a pin another device already uses, and validates before touching the board', async () => {
    const { io, board } = await setup();
    new FirmataIndicators({ board, outputs: { 'led-red': { pin: 9 } } });
    expect(() => new FirmataButtons({ board, buttons: { record: { pin: 9 } } })).toThrow('GPIO line 9 is already claimed by led-red');
    expect(() => new FirmataButtons({ board, buttons: { record: { pin: 2, debounceMs: -5 } } })).toThrow(InvalidOptionsError);
    expect(() => new FirmataButtons({ board, buttons: { shutter: { pin: 2 } } as never })).toThrow(InvalidOptionsError);
    expect(io.modes.has(2)).toBe(false);
  });

  it('close completes the event stream and frees the pins', async () => {
    const { board } = await setup();
    const buttons = new FirmataButtons({ board, buttons: { pause: { pin: 4 } } });
    let done = false;
    buttons.events$.subscribe({ complete: () => (done = true) });
    await buttons.close();
    expect(done).toBe(true);
    expect(() => buttons.isPressed('pause')).toThrow(DeviceClosedError);
    expect(() => new FirmataButtons({ board, buttons: { pause: { pin: 4 } } })).not.toThrow();
  });
});

describe('Firmata indicators', () => {
  it('R-PWR-2: plays an alarm pattern on the injected clock and leaves the output off', async () => {
    const { clock, io, board } = await setup();
    const ind = new FirmataIndicators({ board, outputs: { buzzer: { pin: 8 } } });
    io.writes.length = 0;
    let done = false;
    const playing = ind.play('buzzer', [200, 100, 200]).then(() => (done = true));
    expect(ind.isOn('buzzer')).toBe(true);
    clock.advance(499);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await playing;
    expect(io.writes).toEqual([
      [0, 8, 1],
      [200, 8, 0],
      [300, 8, 1],
      [500, 8, 0],
    ]);
    expect(ind.isOn('buzzer')).toBe(false);
  });

  it('set() cancels a playing pattern (its promise resolves) and honours active-low wiring', async () => {
    const { clock, io, board } = await setup();
    const ind = new FirmataIndicators({ board, outputs: { 'led-green': { pin: 10, activeLow: true } } });
    expect(io.level(10)).toBe(1); // off = high on an active-low LED
    const playing = ind.play('led-green', [1000, 1000]);
    expect(io.level(10)).toBe(0);
    await ind.set('led-green', true);
    await playing;
    clock.advance(5000);
    expect(ind.isOn('led-green')).toBe(true);
    expect(io.level(10)).toBe(0);
  });

  it('an output the board does not have is UnsupportedError; a bad pattern is InvalidOptionsError', async () => {
    const { board } = await setup();
    const ind = new FirmataIndicators({ board, outputs: { 'led-red': { pin: 9 } } });
    await expect(ind.set('vibration', true)).rejects.toThrow(UnsupportedError);
    await expect(ind.play('led-red', [])).rejects.toThrow(InvalidOptionsError);
    await expect(ind.play('led-red', [100, -1])).rejects.toThrow(InvalidOptionsError);
  });
});

describe('Firmata LDR light sensor', () => {
  it('converts the divider reading with the calibration: R10 at 10 lx reads 10 lx', () => {
    // 12 kΩ LDR over 10 kΩ: the ADC sits at 1023 · 10/22.
    const adc = Math.round((1023 * 10_000) / 22_000);
    expect(ldrOhms(adc, 1023, RIG_CAL)).toBeCloseTo(12_000, -2);
    expect(ldrSample(adc, 1023, RIG_CAL).lux).toBeCloseTo(10, 0);
    // Brighter light, lower LDR resistance, higher reading on a top-mounted LDR.
    expect(ldrSample(900, 1023, RIG_CAL).lux).toBeGreaterThan(ldrSample(500, 1023, RIG_CAL).lux);
    expect(ldrSample(0, 1023, RIG_CAL)).toEqual({ lux: 0, saturated: false });
    const rail = ldrSample(1023, 1023, RIG_CAL);
    expect(rail.saturated).toBe(true);
    expect(rail.lux).toBeGreaterThan(ldrSample(1022, 1023, RIG_CAL).lux);
    // Bottom-mounted: the same LDR resistance gives the mirrored reading.
    const bottom = { ...RIG_CAL, ldrPosition: 'bottom' as const };
    expect(ldrSample(1023 - adc, 1023, bottom).lux).toBeCloseTo(ldrSample(adc, 1023, RIG_CAL).lux, 6);
  });

  it('calibrates from two lux-meter points and reproduces them', () => {
    const cal = calibrateLdr({ lux: 5, ohms: 19_500 }, { lux: 500, ohms: 790 });
    expect(cal.gamma).toBeCloseTo(Math.log10(19_500 / 790) / 2, 9);
    const model = { ...cal, fixedOhms: 10_000, ldrPosition: 'top' as const };
    for (const p of [{ lux: 5, ohms: 19_500 }, { lux: 500, ohms: 790 }]) {
      expect(10 * Math.pow(model.r10Ohms / p.ohms, 1 / model.gamma)).toBeCloseTo(p.lux, 6);
    }
    expect(() => calibrateLdr({ lux: 5, ohms: 100 }, { lux: 50, ohms: 1000 })).toThrow(InvalidOptionsError);
  });

  it('R-REC-5: reads the latest analog report from A0 as lux, time-stamped on the injected clock', async () => {
    const { clock, io, board } = await setup();
    const light = new FirmataLdrLight({ board, pin: 'A0', ...RIG_CAL });
    expect(io.modes.get(0)).toBe(io.MODES.ANALOG);
    clock.advance(50);
    io.reportAnalog(0, 465);
    const s = await light.read();
    expect(s.lux).toBeCloseTo(ldrSample(465, 1023, RIG_CAL).lux, 9);
    expect(s).toMatchObject({ saturated: false, at: 50 });
  });

  it('waits for a fresh report when the last one is stale, and times out when the board stops reporting', async () => {
    const { clock, io, board } = await setup();
    const light = new FirmataLdrLight({ board, pin: 'A0', ...RIG_CAL, maxAgeMs: 100, timeoutMs: 500 });
    io.reportAnalog(0, 300);
    clock.advance(200);
    const fresh = light.read();
    io.reportAnalog(0, 800);
    expect((await fresh).lux).toBeCloseTo(ldrSample(800, 1023, RIG_CAL).lux, 9);
    clock.advance(200);
    const stale = light.read().catch((e: unknown) => e);
    clock.advance(500);
    expect(await stale).toBeInstanceOf(DeviceNotRespondingError);
  });

  it('claims the analog pin by its digital index (A0 = 14 on an Uno)', async () => {
    const { board } = await setup();
    new FirmataLdrLight({ board, pin: 'A0', ...RIG_CAL });
    expect(() => new FirmataButtons({ board, buttons: { record: { pin: 14 } } })).toThrow(/already claimed by light sensor \(A0\)/);
    expect(() => new FirmataLdrLight({ board, pin: 'A9', ...RIG_CAL })).toThrow('light sensor: the board has no analog input A9');
  });
});

describe('Firmata GPIO controller (for the GPIO-level drivers)', () => {
  it('drives outputs with active-low wiring and reports debounced input edges after the first report', async () => {
    const { clock, io, board } = await setup();
    const gpio = new FirmataGpioController(board);
    const out = await gpio.output({ line: 12, initial: 0, activeLow: true });
    expect(io.level(12)).toBe(1);
    await out.write(1);
    expect(io.level(12)).toBe(0);
    const seal = await gpio.input({ line: 7, edge: 'both', activeLow: true, debounceMs: 10 });
    const changes: number[] = [];
    seal.changes$.subscribe((c) => changes.push(c.value));
    io.reportDigital(7, 1); // baseline: open
    expect(await seal.read()).toBe(0);
    io.reportDigital(7, 0);
    clock.advance(5);
    io.reportDigital(7, 1);
    io.reportDigital(7, 0);
    clock.advance(10);
    expect(changes).toEqual([1]);
    expect(await seal.read()).toBe(1);
    await expect(gpio.output({ line: 7 })).rejects.toThrow(InvalidOptionsError);
    await gpio.close();
    await expect(out.write(0)).rejects.toBeInstanceOf(DeviceClosedError);
  });
});
