import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, type Observable } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeGpiodKernel, PI4_GPIOD_CHIPS, PI5_GPIOD_CHIPS, type FakeGpiodChipSpec } from '../../test/fakes/gpiod/kernel.ts';
import { BusError, DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import type { DigitalInput, Level } from '../bus/gpio.ts';
import { GpiodGpioController } from './gpio-gpiod.ts';
import { run } from './exec.ts';

const kernels: FakeGpiodKernel[] = [];
const controllers: GpiodGpioController[] = [];
afterEach(async () => {
  while (controllers.length) await controllers.pop()!.close();
  while (kernels.length) await kernels.pop()!.stop();
});

async function setup(version: string, chips: FakeGpiodChipSpec[] = PI4_GPIOD_CHIPS) {
  const kernel = new FakeGpiodKernel(chips, version);
  kernels.push(kernel);
  await kernel.start();
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = await GpiodGpioController.open({ clock, env: kernel.env() });
  controllers.push(gpio);
  return { kernel, clock, gpio };
}

const raw$ = (input: DigitalInput) => (input as unknown as { raw$: Observable<{ value: Level }> }).raw$;

for (const [version, label] of [['1.6.3', 'libgpiod v1 (Debian bookworm)'], ['2.1.3', 'libgpiod v2']] as const) {
  const v2 = version.startsWith('2');
  describe(`GPIO through the ${label} command-line tools`, () => {
    it('reads the tool version and picks the header chip by label', async () => {
      const { gpio } = await setup(version);
      expect(gpio.tools.major).toBe(v2 ? 2 : 1);
      expect(gpio.chip).toEqual({ name: 'gpiochip0', label: 'pinctrl-bcm2711', ngpio: 58 });
    });

    it('finds the RP1 header chip on a Pi 5 (gpiochip4, offsets are BCM numbers)', async () => {
      const { kernel, gpio } = await setup(version, PI5_GPIOD_CHIPS);
      expect(gpio.chip.name).toBe('gpiochip4');
      await gpio.output({ line: 17, initial: 1 });
      expect(kernel.physical('gpiochip4', 17)).toBe(1);
    });

    it(`writes outputs with the ${v2 ? 'v2 (-t0 -c CHIP)' : 'v1 (positional chip, exit mode)'} syntax, active-low honoured`, async () => {
      const { kernel, gpio } = await setup(version);
      const led = await gpio.output({ line: 16, initial: 0, activeLow: true });
      expect(kernel.physical('gpiochip0', 16)).toBe(1);
      await led.write(1);
      expect(kernel.physical('gpiochip0', 16)).toBe(0);
      expect(led.value).toBe(1);
      const sets = kernel.invocations.filter((i) => i.startsWith('gpioset'));
      expect(sets).toEqual(v2 ? ['gpioset -l -t0 -c gpiochip0 16=0', 'gpioset -l -t0 -c gpiochip0 16=1'] : ['gpioset -l gpiochip0 16=0', 'gpioset -l gpiochip0 16=1']);
      // Set-and-exit: the line is released, its level kept.
      expect(kernel.consumer('gpiochip0', 16)).toBeNull();
    });

    it('applies rapid writes in order: the line ends at the last value', async () => {
      const { kernel, gpio } = await setup(version);
      const out = await gpio.output({ line: 23 });
      await Promise.all([out.write(1), out.write(0), out.write(1)]);
      expect(kernel.physical('gpiochip0', 23)).toBe(1);
    });

    it('R-REC-8: debounces a bouncing marker button seen through gpiomon on the injected clock', async () => {
      const { kernel, clock, gpio } = await setup(version);
      kernel.drive('gpiochip0', 17, 1); // pull-up, released
      const button = await gpio.input({ line: 17, edge: 'both', activeLow: true, debounceMs: 20 });
      await kernel.whenRequested('gpiochip0', 17);
      expect(kernel.consumer('gpiochip0', 17)).toBe('gpiomon');
      const events: Array<{ value: Level; at: number }> = [];
      button.changes$.subscribe((e) => events.push(e));
      const script: Array<[number, 0 | 1]> = [[100, 0], [101, 1], [103, 0], [400, 1], [401, 0], [402, 1]];
      for (const [t, level] of script) {
        clock.advance(t - clock.monotonic());
        const seen = firstValueFrom(raw$(button));
        kernel.drive('gpiochip0', 17, level);
        expect((await seen).value).toBe(level ? 0 : 1);
      }
      clock.advance(1000);
      expect(events).toEqual([
        { value: 1, at: 123 },
        { value: 0, at: 422 },
      ]);
      expect(await button.read()).toBe(0);
      const mon = kernel.invocations.find((i) => i.startsWith('gpiomon'));
      expect(mon).toBe(v2 ? 'gpiomon -l --banner -e both -F %o %e %S -c gpiochip0 17' : 'gpiomon -l -b -F %o %e %s.%n gpiochip0 17');
    });

    it('reads an input without edges with gpioget', async () => {
      const { kernel, gpio } = await setup(version);
      const seal = await gpio.input({ line: 25, activeLow: true });
      kernel.drive('gpiochip0', 25, 0);
      expect(await seal.read()).toBe(1);
      kernel.drive('gpiochip0', 25, 1);
      expect(await seal.read()).toBe(0);
      expect(kernel.invocations.filter((i) => i.startsWith('gpioget')).at(-1)).toBe(v2 ? 'gpioget -l -c gpiochip0 25' : 'gpioget -l gpiochip0 25');
    });

    it('closing an input stops its gpiomon and frees the line', async () => {
      const { kernel, gpio } = await setup(version);
      const input = await gpio.input({ line: 22, edge: 'falling' });
      await kernel.whenRequested('gpiochip0', 22);
      await input.close();
      await kernel.whenReleased('gpiochip0', 22);
      expect(kernel.consumer('gpiochip0', 22)).toBeNull();
      await expect(input.read()).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(gpio.input({ line: 22 })).resolves.toBeDefined();
    });

    it('ends the change stream with a typed error when gpiomon dies', async () => {
      const { kernel, gpio } = await setup(version);
      const input = await gpio.input({ line: 5, edge: 'both' });
      await kernel.whenRequested('gpiochip0', 5);
      const ended = new Promise<unknown>((resolve) => input.changes$.subscribe({ error: resolve }));
      kernel.dropRequest('gpiochip0', 5);
      const err = await ended;
      expect(err).toBeInstanceOf(DeviceNotFoundError);
      expect(String(err)).toMatch(/gpiomon: .*No such device/);
    });

    it('refuses a line a kernel driver holds, naming the consumer', async () => {
      const kernel = new FakeGpiodKernel(PI4_GPIOD_CHIPS, version);
      kernels.push(kernel);
      await kernel.start();
      kernel.claimByKernel('gpiochip0', 8, 'spi0 CS0');
      const gpio = await GpiodGpioController.open({ clock: new VirtualClock({ startEpochMs: 0 }), env: kernel.env() });
      controllers.push(gpio);
      await expect(gpio.output({ line: 8 })).rejects.toThrow(BusError);
      await expect(gpio.output({ line: 8 })).rejects.toThrow('GPIO (libgpiod): GPIO 8 (GPIO8) is in use by "spi0 CS0"; free it in config.txt');
    });

    it('claims lines once and validates options before running any tool', async () => {
      const { kernel, gpio } = await setup(version);
      const before = kernel.invocations.length;
      await expect(gpio.output({ line: 99 })).rejects.toBeInstanceOf(InvalidOptionsError);
      expect(kernel.invocations.length).toBe(before);
      await gpio.output({ line: 12 });
      await expect(gpio.output({ line: 12 })).rejects.toThrow('GPIO line 12 is already claimed by an output');
    });
  });
}

describe('libgpiod tool discovery', () => {
  it('reports missing tools as DeviceNotFoundError with the package to install', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    await expect(GpiodGpioController.open({ clock, env: { PATH: '/nonexistent' } })).rejects.toThrow('libgpiod tools: gpiodetect not found on PATH (install the "gpiod" package)');
  });

  it('the fake tools are strict like the real ones: v2 gpioget takes the chip as an option, v1 does not know -c', async () => {
    const k2 = new FakeGpiodKernel(PI4_GPIOD_CHIPS, '2.1.3');
    const k1 = new FakeGpiodKernel(PI4_GPIOD_CHIPS, '1.6.3');
    kernels.push(k1, k2);
    await Promise.all([k1.start(), k2.start()]);
    const v2 = await run('gpioget', ['gpiochip0', '17'], { env: k2.env() });
    expect(v2.code).toBe(1);
    expect(v2.stderr).toMatch(/cannot find line 'gpiochip0'|at least one GPIO line/);
    const v1 = await run('gpioget', ['-c', 'gpiochip0', '17'], { env: k1.env() });
    expect(v1.code).toBe(1);
    expect(v1.stderr).toContain("invalid option -- 'c'");
  });
});
