import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBoardFile } from '../board-file.ts';
import { HEADER_PIN, configTxtLines, wiringTable } from './pi-setup.ts';

const load = (name: string) => parseBoardFile(fs.readFileSync(path.resolve(import.meta.dirname, '../../boards', name), 'utf8'), name);

describe('Raspberry Pi bring-up aids', () => {
  it('maps the 28 header GPIOs one-to-one onto header pins, none on a power or ground pin', () => {
    const pins = Object.values(HEADER_PIN);
    expect(Object.keys(HEADER_PIN)).toHaveLength(28);
    expect(new Set(pins).size).toBe(28);
    const powerAndGround = [1, 2, 4, 6, 9, 14, 17, 20, 25, 30, 34, 39];
    expect(pins.filter((p) => powerAndGround.includes(p))).toEqual([]);
    expect([HEADER_PIN[2], HEADER_PIN[3], HEADER_PIN[14], HEADER_PIN[15], HEADER_PIN[17], HEADER_PIN[21]]).toEqual([3, 5, 8, 10, 11, 40]);
  });

  it('writes the config.txt lines the Pi 4 body camera needs', () => {
    expect(configTxtLines(load('bodycam-pi4-proto-b.yaml'))).toEqual([
      '# Dozor board dozor-bodycam-proto-b',
      'dtparam=i2c_arm=on',
      'enable_uart=1    # and switch the serial login console off: raspi-config nonint do_serial_cons 1',
      'dtoverlay=dwc2    # USB gadget serial for the dock link; add modules-load=dwc2,g_serial to cmdline.txt',
      'gpio=4,5,6,7,8,9,10,17,18,19,22,25,27=ip,pu',
    ]);
    expect(configTxtLines(load('radar-pi5-proto-a.yaml'))).toEqual([
      '# Dozor board dozor-radar-proto-a',
      'dtparam=i2c_arm=on',
      'dtparam=uart0=on    # UART0 on GPIO 14/15 as /dev/ttyAMA0',
      'gpio=4,5,6,8,9,10,17,19,25,26=ip,pu',
    ]);
    expect(configTxtLines(load('firmata-test-rig.yaml'))).toEqual([]);
  });

  it('enables a second I2C bus (two gauges on two buses) with its overlay and pins', () => {
    const file = parseBoardFile(
      [
        'name: two-buses',
        'variant: bodycam',
        'platform: raspberry-pi',
        'i2c:',
        '  - { bus: 1, devices: [{ part: max17048, address: 0x36, slot: 0 }] }',
        '  - { bus: 3, pins: [4, 5], devices: [{ part: max17048, address: 0x36, slot: 1 }] }',
        'storage: { internal: /var/lib/dozor, card: /media/card }',
      ].join('\n'),
      'two-buses.yaml',
    );
    expect(configTxtLines(file)).toEqual([
      '# Dozor board two-buses',
      'dtparam=i2c_arm=on',
      'dtoverlay=i2c3,pins_4_5    # check "dtoverlay -h i2c3" for the pins this model offers',
    ]);
    expect(wiringTable(file).map((r) => [r.bcm, r.headerPin, r.role])).toEqual([
      [2, 3, 'i2c bus 1 SDA'],
      [3, 5, 'i2c bus 1 SCL'],
      [4, 7, 'i2c bus 3 SDA'],
      [5, 29, 'i2c bus 3 SCL'],
    ]);
  });

  it('lists every wire of a board by header pin', () => {
    const rows = wiringTable(load('bodycam-pi4-proto-b.yaml'));
    expect(rows[0]).toEqual({ role: 'i2c bus 1 SDA', bcm: 2, headerPin: 3, direction: 'bus' });
    expect(rows.find((r) => r.bcm === 14)).toEqual({ role: "serial.gnss TXD (to the device's RX)", bcm: 14, headerPin: 8, direction: 'bus' });
    expect(rows.find((r) => r.role === 'pins.buttons.record')).toEqual({ role: 'pins.buttons.record', bcm: 17, headerPin: 11, direction: 'in' });
    expect(new Set(rows.map((r) => r.headerPin)).size).toBe(rows.length);
  });
});
