/**
 * Chooses the GPIO backend for a Linux board: the sysfs interface through onoff where the
 * kernel still offers it (Raspberry Pi OS up to Bookworm), otherwise the libgpiod tools.
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import { check } from '../device.ts';
import { DEFAULT_SYSFS_GPIO_ROOT } from './gpio-chips.ts';
import { SysfsGpioController, type OnoffModule } from './gpio-sysfs.ts';
import { GpiodGpioController } from './gpio-gpiod.ts';
import { which } from './exec.ts';
import { requireObject } from './gpio-lines.ts';

export type GpioBackend = 'auto' | 'sysfs' | 'gpiod';

export interface LinuxGpioOptions {
  clock: Clock;
  backend?: GpioBackend;
  chipLabel?: string | null;
  sysfsRoot?: string;
  onoff?: OnoffModule;
  env?: NodeJS.ProcessEnv;
}

export type LinuxGpioController = SysfsGpioController | GpiodGpioController;

/** True when the sysfs GPIO class exists and we may export lines. */
export async function sysfsGpioUsable(root = DEFAULT_SYSFS_GPIO_ROOT): Promise<boolean> {
  try {
    await fsp.access(path.join(root, 'export'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export async function openLinuxGpio(options: LinuxGpioOptions): Promise<LinuxGpioController> {
  requireObject(options, 'Linux GPIO');
  if (!options.clock) throw new InvalidOptionsError('Linux GPIO: clock required');
  const backend = options.backend === undefined ? 'auto' : check.oneOf(options.backend, 'Linux GPIO: backend', ['auto', 'sysfs', 'gpiod'] as const);
  const root = options.sysfsRoot ?? DEFAULT_SYSFS_GPIO_ROOT;
  const useSysfs = backend === 'sysfs' || (backend === 'auto' && (await sysfsGpioUsable(root)));
  if (useSysfs) return SysfsGpioController.open({ clock: options.clock, sysfsRoot: root, chipLabel: options.chipLabel, onoff: options.onoff });
  if (backend === 'auto' && !which('gpiodetect', options.env ?? process.env)) {
    throw new DeviceNotFoundError('GPIO', `neither a writable ${root}/export nor the libgpiod tools (apt install gpiod) are available`);
  }
  return GpiodGpioController.open({ clock: options.clock, chipLabel: options.chipLabel, env: options.env });
}
