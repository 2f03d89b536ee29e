import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BoardFileError, listPins, parseBoardFile, validateBoardFile, type BoardFile } from './board-file.ts';

const boardsDir = path.resolve(import.meta.dirname, '../boards');
const load = (name: string) => parseBoardFile(readFileSync(path.join(boardsDir, name), 'utf8'), name);

/** The smallest valid Pi board; tests add one mistake at a time. */
function minimal(): Record<string, unknown> {
  return {
    name: 'test',
    variant: 'bodycam',
    platform: 'raspberry-pi',
    pins: { buttons: { record: { line: 17, activeLow: true } }, leds: { red: 16 } },
    i2c: [{ bus: 1, devices: [{ part: 'veml7700', address: 0x10 }] }],
    storage: { internal: '/var/lib/dozor', card: '/media/card' },
  };
}

function issuesOf(raw: unknown): Array<{ path: string; message: string }> {
  try {
    validateBoardFile(raw, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(BoardFileError);
    return [...(err as BoardFileError).issues];
  }
  throw new Error('expected the board file to be rejected');
}

describe('board files', () => {
  it('every example in boards/ parses and validates', () => {
    const files = readdirSync(boardsDir).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(() => load(f)).not.toThrow();
  });

  it('reads the Pi 4 body camera prototype with defaults filled in', () => {
    const b = load('bodycam-pi4-proto-b.yaml');
    expect(b.variant).toBe('bodycam');
    expect(b.pins.buttons.record).toEqual({ line: 17, activeLow: true, debounceMs: 20, pull: 'up' });
    expect(b.pins.leds.red).toEqual({ line: 16, activeLow: false });
    expect(b.pins.irCut).toEqual({ a: { line: 23, activeLow: false }, b: { line: 24, activeLow: false }, pulseMs: 100 });
    // Two gauges behind the multiplexer, each on its channel with its slot.
    const gauges = b.i2c.flatMap((bus) => bus.devices.filter((d) => d.part === 'max17048').map((d) => [bus.bus, d.mux?.channel, d.slot]));
    expect(gauges).toEqual([[1, 0, 0], [1, 1, 1]]);
    expect(b.pins.powerPath).toEqual({
      select: { line: 11, activeLow: false },
      present: [4, 5].map((line) => ({ line, activeLow: true, debounceMs: 0, pull: 'up' })),
      active: [18, 19].map((line) => ({ line, activeLow: true, debounceMs: 0, pull: 'up' })),
    });
    expect(b.card).toEqual({ device: 'mmcblk0' });
    expect(b.camera?.video).toEqual({ width: 1920, height: 1080, fps: 30, bitrate: 8_000_000, keyframeInterval: 30 });
  });

  it('reads the Pi 5 radar prototype with both gauges behind one multiplexer', () => {
    const b = load('radar-pi5-proto-a.yaml');
    const gauges = b.i2c[0].devices.filter((d) => d.part === 'max17048');
    expect(gauges.map((g) => [g.address, g.mux, g.slot])).toEqual([
      [0x36, { address: 0x70, channel: 0 }, 0],
      [0x36, { address: 0x70, channel: 1 }, 1],
    ]);
    expect(b.serial.radar).toEqual({ device: '/dev/ttyACM0', baud: 19200, model: 'ops243' });
  });

  it('reads the Firmata rig with its LDR calibration', () => {
    const b = load('firmata-test-rig.yaml');
    expect(b.platform).toBe('firmata');
    expect(b.firmata).toEqual({ port: '/dev/ttyACM0', baud: 57600 });
    expect(b.ldr).toEqual({ pin: 'A0', fixedOhms: 10000, r10Ohms: 12000, gamma: 0.7, ldrPosition: 'top' });
  });

  it('accepts the same board as JSON with hex addresses as strings', () => {
    const yamlBoard = load('radar-pi5-proto-a.yaml');
    const json = JSON.stringify({
      ...minimal(),
      i2c: [{ bus: 1, devices: [{ part: 'tca9548a', address: '0x70' }, { part: 'max17048', address: '0x36', slot: 0, mux: { address: '0x70', channel: 0 } }] }],
    });
    const b = parseBoardFile(json, 'board.json');
    expect(b.i2c[0].devices[1].mux).toEqual({ address: 0x70, channel: 0 });
    expect(yamlBoard.i2c[0].devices[3].address).toBe(0x70);
  });

  it('rejects a pin used twice, naming both fields', () => {
    const raw = minimal();
    (raw.pins as Record<string, unknown>).buzzer = 17;
    expect(issuesOf(raw)).toEqual([{ path: 'pins.buzzer', message: 'BCM 17 is already used by pins.buttons.record' }]);
  });

  it('rejects a pin on a line an enabled bus already occupies', () => {
    const raw = minimal();
    (raw.pins as Record<string, unknown>).vibration = 3;
    (raw as Record<string, unknown>).serial = { gnss: { device: '/dev/serial0', baud: 9600 } };
    (raw.pins as Record<string, unknown>).irLed = 14;
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({ path: 'pins.vibration', message: 'BCM 3 is already used by i2c[0] (bus 1 SDA/SCL)' });
    expect(issues).toContainEqual({ path: 'pins.irLed', message: 'BCM 14 is already used by serial.gnss (/dev/serial0 uses BCM 14/15 TXD/RXD)' });
  });

  it('rejects the HAT ID EEPROM lines and lines off the header', () => {
    const raw = minimal();
    (raw.pins as Record<string, unknown>).buzzer = 0;
    (raw.pins as Record<string, unknown>).vibration = 30;
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({ path: 'pins.vibration', message: 'must be a BCM line in 0..27, got 30' });
    // The range error stops the file before the conflict pass; fix it and the EEPROM rule shows.
    (raw.pins as Record<string, unknown>).vibration = 26;
    expect(issuesOf(raw)).toEqual([{ path: 'pins.buzzer', message: 'BCM 0 is reserved for the HAT ID EEPROM (ID_SD/ID_SC); use BCM 2..27' }]);
  });

  it('rejects an I2C address outside 0x03..0x77', () => {
    const raw = minimal();
    raw.i2c = [{ bus: 1, devices: [{ part: 'sht31', address: 0x78 }, { part: 'ds3231', address: 0x02 }] }];
    expect(issuesOf(raw)).toEqual([
      { path: 'i2c[0].devices[0].address', message: 'must be a 7-bit I2C address in 0x03..0x77, got 0x78' },
      { path: 'i2c[0].devices[1].address', message: 'must be a 7-bit I2C address in 0x03..0x77, got 0x02' },
    ]);
  });

  it('rejects an address the part cannot answer on', () => {
    const raw = minimal();
    raw.i2c = [{ bus: 1, devices: [{ part: 'veml7700', address: 0x11 }] }];
    expect(issuesOf(raw)).toEqual([{ path: 'i2c[0].devices[0].address', message: 'a veml7700 answers only on 0x10, not 0x11' }]);
  });

  it('rejects an unknown part and lists the known ones', () => {
    const raw = minimal();
    raw.i2c = [{ bus: 1, devices: [{ part: 'veml7701', address: 0x10 }] }];
    expect(issuesOf(raw)).toEqual([
      { path: 'i2c[0].devices[0].part', message: 'unknown part "veml7701" (known parts: veml7700, bh1750, max17048, tca9548a, ds3231, sht31)' },
    ]);
  });

  it('rejects two parts at the same bus and address', () => {
    const raw = minimal();
    raw.i2c = [{ bus: 1, devices: [{ part: 'max17048', slot: 0 }, { part: 'max17048', slot: 1 }] }];
    expect(issuesOf(raw)).toEqual([{ path: 'i2c[0].devices[1].address', message: '0x36 on bus 1 is already taken by max17048 (i2c[0].devices[0])' }]);
  });

  it('rejects two parts at the same mux channel and address, a part shadowed by a direct one, and a missing mux', () => {
    const raw = minimal();
    raw.i2c = [
      {
        bus: 1,
        devices: [
          { part: 'tca9548a', address: 0x70 },
          { part: 'sht31', address: 0x44 },
          { part: 'max17048', slot: 0, mux: { address: 0x70, channel: 2 } },
          { part: 'max17048', slot: 1, mux: { address: 0x70, channel: 2 } },
          { part: 'sht31', address: 0x44, mux: { address: 0x70, channel: 3 } },
          { part: 'bh1750', address: 0x23, mux: { address: 0x71, channel: 0 } },
        ],
      },
    ];
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({ path: 'i2c[0].devices[3].mux.channel', message: '0x36 on mux 0x70 channel 2 is already taken by max17048 (i2c[0].devices[2])' });
    expect(issues).toContainEqual({ path: 'i2c[0].devices[4].address', message: '0x44 behind mux channel 3 collides with sht31 (i2c[0].devices[1]) directly on bus 1' });
    expect(issues).toContainEqual({ path: 'i2c[0].devices[5].mux.address', message: 'no tca9548a multiplexer at 0x71 directly on bus 1' });
  });

  it('rejects two light sensors and a second gauge for the same slot', () => {
    const raw = minimal();
    raw.i2c = [{ bus: 1, devices: [{ part: 'veml7700' }, { part: 'bh1750', address: 0x23 }, { part: 'max17048', slot: 0 }] }, { bus: 3, pins: [4, 5], devices: [{ part: 'max17048', slot: 0 }] }];
    expect(issuesOf(raw)).toEqual([
      { path: 'i2c[0].devices[1]', message: 'a second light sensor (the first is i2c[0].devices[0])' },
      { path: 'i2c[1].devices[0]', message: 'a second fuel gauge for battery slot A (the first is i2c[0].devices[2])' },
    ]);
  });

  it('reports every problem at once, with unknown fields named', () => {
    const raw = minimal();
    raw.variant = 'drone';
    (raw.pins as Record<string, unknown>).led = { red: 5 };
    raw.storage = { internal: 'var/lib', card: '/media/card' };
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual(['variant', 'pins.led', 'storage.internal']);
    expect(issues[0].message).toBe('must be one of bodycam, vehicle, radar, got "drone"');
    expect(issues[1].message).toMatch(/^unknown field \(expected one of: buttons, leds, /);
  });

  it('rejects a card that is not a native SD/MMC device and overlapping storage', () => {
    const raw = minimal();
    raw.card = { device: 'sda1' };
    raw.storage = { internal: '/data', card: '/data/card' };
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toEqual(['storage.card', 'card.device']);
  });

  it('rejects a serial device given two roles', () => {
    const raw = minimal();
    raw.serial = { gnss: { device: '/dev/ttyUSB0', baud: 9600 }, dock: { device: '/dev/ttyUSB0', baud: 115200 } };
    expect(issuesOf(raw)).toEqual([{ path: 'serial.dock.device', message: '/dev/ttyUSB0 is already used by serial.gnss' }]);
  });

  it('reserves the Arduino serial pins on a Firmata rig and requires the port', () => {
    const raw = { ...minimal(), platform: 'firmata', i2c: undefined, pins: { buttons: { record: 1 } } };
    delete raw.i2c;
    expect(issuesOf(raw)).toEqual([{ path: 'firmata', message: 'required for platform firmata (the serial port of the Arduino)' }]);
    (raw as Record<string, unknown>).firmata = { port: '/dev/ttyACM0' };
    expect(issuesOf(raw)).toEqual([{ path: 'pins.buttons.record', message: 'pin 1 is already used by firmata (pin 1 is the Arduino serial TX)' }]);
  });

  it('knows that /dev/serial0 is the debug connector on a Pi 5', () => {
    const raw = { ...minimal(), computer: 'pi5', serial: { gnss: { device: '/dev/serial0', baud: 9600 } } };
    expect(issuesOf(raw)).toEqual([{ path: 'serial', message: '/dev/serial0 is the 3-pin debug connector (ttyAMA10) on a Pi 5; use /dev/ttyAMA0 for GPIO 14/15 (dtparam=uart0=on)' }]);
  });

  it('requires a radar serial device on a radar', () => {
    const raw = { ...minimal(), variant: 'radar' };
    expect(issuesOf(raw)).toEqual([{ path: 'serial.radar', message: 'required for variant radar' }]);
  });

  it('reports YAML syntax errors and duplicate keys as board-file errors', () => {
    expect(() => parseBoardFile('name: [unclosed', 'x.yaml')).toThrow(BoardFileError);
    expect(() => parseBoardFile('name: a\nname: b\n', 'x.yaml')).toThrow(/not valid YAML/);
  });

  it('round-trips: a parsed file written back as YAML parses to the same board', () => {
    const b = load('bodycam-pi4-proto-b.yaml');
    const again = parseBoardFile(stringify(toRaw(b)), 'again.yaml');
    expect(again).toEqual(b);
    expect(listPins(b).map((p) => p.line).sort((x, y) => x - y)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]);
  });

  it('R-PWR-1: the power path needs its pack-present and pack-active pins; the phase-1 name status still reads as active', () => {
    const pin = (line: number) => ({ line, activeLow: true, pull: 'up' });
    const raw = minimal();
    (raw.pins as Record<string, unknown>).powerPath = { select: 11 };
    expect(issuesOf(raw)).toEqual([
      { path: 'pins.powerPath.present', message: 'required: the pack-present contacts in the battery bays (two inputs: slot A, slot B); the power-path driver reads them' },
      { path: 'pins.powerPath.active', message: "required: the controller's per-pack status pins (low while that pack feeds the device) (two inputs: slot A, slot B); the power-path driver reads them" },
    ]);
    (raw.pins as Record<string, unknown>).powerPath = { select: 11, present: [pin(4), pin(5)], status: [pin(18), pin(19)] };
    const b = validateBoardFile(raw);
    expect(b.pins.powerPath?.active.map((p) => p.line)).toEqual([18, 19]);
    (raw.pins as Record<string, unknown>).powerPath = { select: 11, present: [pin(4), pin(5)], status: [pin(18), pin(19)], active: [pin(20), pin(21)] };
    expect(issuesOf(raw)).toEqual([{ path: 'pins.powerPath.status', message: 'is the old name of pins.powerPath.active; give only one of them' }]);
    (raw.pins as Record<string, unknown>).powerPath = { select: 11, present: [pin(4), pin(16)], active: [pin(18)] };
    expect(issuesOf(raw)).toEqual([{ path: 'pins.powerPath.active', message: 'must list exactly two entries (slot A, slot B), got 1' }]);
  });
});

/** Back to the file format (drops the derived `path` fields and nulls). */
function toRaw(b: BoardFile): unknown {
  return JSON.parse(
    JSON.stringify(
      {
        ...b,
        i2c: b.i2c.map((bus) => ({ ...bus, devices: bus.devices.map(({ path: _p, ...d }) => d) })),
        camera: b.camera && { stack: b.camera.stack, index: b.camera.index, ...b.camera.video, still: b.camera.still, tuningFile: b.camera.tuningFile },
      },
      (_k, v) => (v === null ? undefined : v),
    ),
  );
}
