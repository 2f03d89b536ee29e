/**
 * Bring-up aids derived from a board file: the Raspberry Pi config.txt lines the board needs
 * (I2C buses, UART, USB gadget, input pull-ups — sysfs GPIO cannot set bias, so pulls are
 * configured by the firmware at boot) and the wiring table from BCM line to 40-pin header pin.
 */
import type { BoardFile } from '../board-file.ts';
import { listPins } from '../board-file.ts';

/** BCM GPIO → physical pin on the 40-pin header (all Raspberry Pi models with a 40-pin header). */
export const HEADER_PIN: Readonly<Record<number, number>> = {
  0: 27, 1: 28, 2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23, 12: 32, 13: 33,
  14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
};

/** Lines for /boot/firmware/config.txt (Bookworm; /boot/config.txt before). */
export function configTxtLines(file: BoardFile): string[] {
  if (file.platform !== 'raspberry-pi') return [];
  const lines = [`# Dozor board ${file.name}`];
  for (const bus of file.i2c) {
    if (bus.bus === 1) lines.push('dtparam=i2c_arm=on');
    else if (bus.pins) lines.push(`dtoverlay=i2c${bus.bus},pins_${bus.pins[0]}_${bus.pins[1]}    # check "dtoverlay -h i2c${bus.bus}" for the pins this model offers`);
    else lines.push(`dtoverlay=i2c${bus.bus}`);
  }
  const devices = Object.values(file.serial).filter((s) => s).map((s) => s!.device);
  if (file.computer === 'pi5' && devices.includes('/dev/ttyAMA0')) {
    // On a Pi 5 serial0 is the debug connector (ttyAMA10); the header UART is UART0.
    lines.push('dtparam=uart0=on    # UART0 on GPIO 14/15 as /dev/ttyAMA0');
  } else if (devices.some((d) => d === '/dev/serial0' || d === '/dev/ttyS0' || d === '/dev/ttyAMA0')) {
    lines.push('enable_uart=1    # and switch the serial login console off: raspi-config nonint do_serial_cons 1');
  }
  if (devices.includes('/dev/ttyGS0')) lines.push('dtoverlay=dwc2    # USB gadget serial for the dock link; add modules-load=dwc2,g_serial to cmdline.txt');
  const byPull = new Map<string, number[]>();
  for (const pin of listPins(file)) {
    if (!pin.pull) continue;
    const code = { up: 'pu', down: 'pd', none: 'pn' }[pin.pull];
    byPull.set(code, [...(byPull.get(code) ?? []), pin.line]);
  }
  for (const [code, pins] of byPull) lines.push(`gpio=${pins.sort((a, b) => a - b).join(',')}=ip,${code}`);
  return lines;
}

export interface WiringRow {
  /** Board-file field, e.g. "pins.buttons.record". */
  role: string;
  bcm: number;
  headerPin: number;
  /** Bus lines (I2C, UART) are driven by their peripheral, not by the firmware. */
  direction: 'in' | 'out' | 'bus';
}

/** One row per pin in the board file, for the bench sheet. */
export function wiringTable(file: BoardFile): WiringRow[] {
  if (file.platform !== 'raspberry-pi') return [];
  const rows: WiringRow[] = listPins(file).map((p) => ({ role: p.path, bcm: p.line, headerPin: HEADER_PIN[p.line], direction: p.direction }));
  file.i2c.forEach((b) => {
    if (!b.pins) return;
    rows.push({ role: `i2c bus ${b.bus} SDA`, bcm: b.pins[0], headerPin: HEADER_PIN[b.pins[0]], direction: 'bus' });
    rows.push({ role: `i2c bus ${b.bus} SCL`, bcm: b.pins[1], headerPin: HEADER_PIN[b.pins[1]], direction: 'bus' });
  });
  for (const [role, serial] of Object.entries(file.serial)) {
    if (!serial || !['/dev/serial0', '/dev/ttyS0', '/dev/ttyAMA0'].includes(serial.device)) continue;
    if (file.computer === 'pi5' && serial.device !== '/dev/ttyAMA0') continue;
    rows.push({ role: `serial.${role} TXD (to the device's RX)`, bcm: 14, headerPin: HEADER_PIN[14], direction: 'bus' });
    rows.push({ role: `serial.${role} RXD (from the device's TX)`, bcm: 15, headerPin: HEADER_PIN[15], direction: 'bus' });
  }
  return rows.sort((a, b) => a.headerPin - b.headerPin);
}
