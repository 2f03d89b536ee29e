import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeGpioSysfs, PI_CHIPS } from '../../test/fakes/gpio-sysfs.ts';
import { FakeGpiodKernel, PI4_GPIOD_CHIPS } from '../../test/fakes/gpiod/kernel.ts';
import { DeviceNotFoundError } from '../errors.ts';
import { openLinuxGpio } from './gpio.ts';
import { SysfsGpioController } from './gpio-sysfs.ts';
import { GpiodGpioController } from './gpio-gpiod.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('choosing the GPIO backend', () => {
  const clock = new VirtualClock({ startEpochMs: 0 });

  it('uses sysfs (onoff) when /sys/class/gpio/export is writable', async () => {
    const fake = new FakeGpioSysfs(PI_CHIPS.pi4Kernel66);
    cleanups.push(() => fake.dispose());
    const gpio = await openLinuxGpio({ clock, sysfsRoot: fake.root, onoff: fake.loadOnoff(), env: { PATH: '/nonexistent' } });
    cleanups.push(() => gpio.close());
    expect(gpio).toBeInstanceOf(SysfsGpioController);
  });

  it('falls back to the libgpiod tools when the kernel has no sysfs GPIO', async () => {
    const kernel = new FakeGpiodKernel(PI4_GPIOD_CHIPS, '2.1.3');
    await kernel.start();
    cleanups.push(() => kernel.stop());
    const gpio = await openLinuxGpio({ clock, sysfsRoot: '/nonexistent/gpio', env: kernel.env() });
    cleanups.push(() => gpio.close());
    expect(gpio).toBeInstanceOf(GpiodGpioController);
  });

  it('honours an explicit backend from the board file', async () => {
    const fake = new FakeGpioSysfs(PI_CHIPS.pi5);
    const kernel = new FakeGpiodKernel(PI4_GPIOD_CHIPS, '1.6.3');
    await kernel.start();
    cleanups.push(() => fake.dispose(), () => kernel.stop());
    const gpio = await openLinuxGpio({ clock, backend: 'gpiod', sysfsRoot: fake.root, onoff: fake.loadOnoff(), env: kernel.env() });
    cleanups.push(() => gpio.close());
    expect(gpio).toBeInstanceOf(GpiodGpioController);
  });

  it('says what is missing when neither backend is available', async () => {
    await expect(openLinuxGpio({ clock, sysfsRoot: '/nonexistent/gpio', env: { PATH: '/nonexistent' } })).rejects.toThrow(DeviceNotFoundError);
    await expect(openLinuxGpio({ clock, sysfsRoot: '/nonexistent/gpio', env: { PATH: '/nonexistent' } })).rejects.toThrow(
      'GPIO: neither a writable /nonexistent/gpio/export nor the libgpiod tools (apt install gpiod) are available',
    );
  });
});
