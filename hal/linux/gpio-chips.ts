/**
 * Finding the SoC's header GPIO chip in sysfs. On kernels before 6.6 the Raspberry Pi's chip
 * had base 0, so sysfs GPIO N was BCM line N. Since 6.6 gpiolib allocates bases dynamically
 * from 512: a Pi 4 (pinctrl-bcm2711) shows gpiochip512, a Pi 5's header chip (pinctrl-rp1)
 * gpiochip571 — so `export 17` fails with EINVAL (fivdi/onoff#199, #200). We read every
 * `gpiochip*\/{base,label,ngpio}` and map BCM line → base + line.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DeviceNotFoundError } from '../errors.ts';

export interface SysfsGpioChip {
  /** Directory name, e.g. "gpiochip512". */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/**
 * Labels of the chips that carry the 40-pin header lines, most specific first:
 * Pi 5 (RP1 south bridge), Pi 4 / CM4 / Pi 400, Pi Zero–3.
 */
export const HEADER_CHIP_LABELS: readonly string[] = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export const DEFAULT_SYSFS_GPIO_ROOT = '/sys/class/gpio';

export async function readSysfsChips(root = DEFAULT_SYSFS_GPIO_ROOT): Promise<SysfsGpioChip[]> {
  let entries: string[];
  try {
    entries = await fsp.readdir(root);
  } catch (err) {
    throw new DeviceNotFoundError(`GPIO sysfs (${root})`, `cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const chips: SysfsGpioChip[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    const dir = path.join(root, name);
    const [base, ngpio, label] = await Promise.all(['base', 'ngpio', 'label'].map((f) => fsp.readFile(path.join(dir, f), 'utf8').then((s) => s.trim())));
    chips.push({ name, base: Number(base), ngpio: Number(ngpio), label });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** Picks the chip with `label`, or the first known header chip (sysfs chips or libgpiod chips). */
export function pickHeaderChip<C extends { name: string; label: string; ngpio: number; base?: number }>(chips: readonly C[], label?: string | null): C {
  const wanted = label ? [label] : HEADER_CHIP_LABELS;
  for (const l of wanted) {
    const chip = chips.find((c) => c.label === l);
    if (chip) return chip;
  }
  const seen = chips.length ? chips.map((c) => `${c.name} [${c.label}]${c.base === undefined ? '' : ` base ${c.base}`}, ${c.ngpio} lines`).join('; ') : 'none';
  throw new DeviceNotFoundError('GPIO chip', `no chip labelled ${wanted.join(' or ')} (found: ${seen}); set gpio.chipLabel in the board file`);
}
