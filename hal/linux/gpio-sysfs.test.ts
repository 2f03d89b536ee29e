import { afterEach, describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeGpioSysfs, PI_CHIPS, type FakeChipSpec } from '../../test/fakes/gpio-sysfs.ts';
import { BusError, DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import type { Level } from '../bus/gpio.ts';
import { SysfsGpioController, mapSysfsError } from './gpio-sysfs.ts';

const fakes: FakeGpioSysfs[] = [];
afterEach(() => {
  while (fakes.length) fakes.pop()!.dispose();
});

async function setup(chips: FakeChipSpec[] = PI_CHIPS.pi4Kernel66, chipLabel?: string) {
  const fake = new FakeGpioSysfs(chips);
  fakes.push(fake);
  const clock = new VirtualClock({ startEpochMs: 0 });
  const gpio = await SysfsGpioController.open({ clock, sysfsRoot: fake.root, onoff: fake.loadOnoff(), chipLabel });
  return { fake, clock, gpio };
}

describe('sysfs GPIO (onoff over a fake /sys/class/gpio)', () => {
  it('the fake reproduces the Bookworm trap: onoff exporting BCM 17 on a Pi 4 with kernel 6.6 gets EINVAL', () => {
    const fake = new FakeGpioSysfs(PI_CHIPS.pi4Kernel66);
    fakes.push(fake);
    const { Gpio } = fake.loadOnoff();
    let caught: unknown;
    try {
      new Gpio(17, 'out');
    } catch (err) {
      caught = err;
    }
    expect((caught as NodeJS.ErrnoException).code).toBe('EINVAL');
    expect(mapSysfsError(caught, 'GPIO 17')).toBeInstanceOf(DeviceNotFoundError);
    expect(fake.isExported(17)).toBe(false);
  });

  it('maps BCM lines through the chip base: Pi 4 on kernel 6.6 → 512 + line', async () => {
    const { fake, gpio } = await setup(PI_CHIPS.pi4Kernel66);
    expect(gpio.chip).toMatchObject({ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 });
    const led = await gpio.output({ line: 16, initial: 1 });
    expect(fake.isExported(528)).toBe(true);
    expect(fake.physical(528)).toBe(1);
    await led.write(0);
    expect(fake.physical(528)).toBe(0);
  });

  it('picks the RP1 header chip on a Pi 5 (base 571), not the SoC chips listed before it', async () => {
    const { fake, gpio } = await setup(PI_CHIPS.pi5);
    expect(gpio.chip).toMatchObject({ label: 'pinctrl-rp1', base: 571 });
    await gpio.output({ line: 17, initial: 1 });
    expect(fake.physical(588)).toBe(1);
    expect(fake.isExported(529)).toBe(false);
  });

  it('uses base 0 on kernels before 6.6', async () => {
    const { fake, gpio } = await setup(PI_CHIPS.pi4Kernel515);
    await gpio.output({ line: 17, initial: 1 });
    expect(fake.physical(17)).toBe(1);
  });

  it('names the chips it found when no header chip exists, and accepts a chip label override', async () => {
    const chips = [{ base: 0, ngpio: 32, label: 'gpio-mockup-A' }];
    await expect(setup(chips)).rejects.toThrow(/no chip labelled pinctrl-rp1 or pinctrl-bcm2711 or pinctrl-bcm2835 \(found: gpiochip0 \[gpio-mockup-A\] base 0, 32 lines\)/);
    const { gpio } = await setup(chips, 'gpio-mockup-A');
    expect(gpio.chip.label).toBe('gpio-mockup-A');
  });

  it('reports a missing sysfs GPIO class as DeviceNotFoundError', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    await expect(SysfsGpioController.open({ clock, sysfsRoot: '/nonexistent/gpio' })).rejects.toBeInstanceOf(DeviceNotFoundError);
  });

  it('R-REC-8: a bouncing active-low marker button gives one debounced press and one release on the injected clock', async () => {
    const { fake, clock, gpio } = await setup();
    const n = 512 + 17;
    fake.drive(n, 1); // pull-up: released reads high
    const button = await gpio.input({ line: 17, edge: 'both', activeLow: true, debounceMs: 20 });
    const events: Array<{ value: Level; at: number }> = [];
    const raw: Level[] = [];
    button.changes$.subscribe((e) => events.push(e));
    (button as unknown as { raw$: Observable<{ value: Level }> }).raw$.subscribe((e) => raw.push(e.value));
    expect(fake.state(n)).toMatchObject({ direction: 'in', activeLow: true, edge: 'both' });

    // Press at t=100 with 4 ms of contact bounce, release at t=400 with bounce.
    const script: Array<[number, Level]> = [[100, 0], [101, 1], [102, 0], [104, 1], [104, 0], [400, 1], [402, 0], [403, 1]];
    for (const [t, level] of script) {
      clock.advance(t - clock.monotonic());
      fake.drive(n, level);
      await fake.flush();
    }
    clock.advance(1000);
    expect(events).toEqual([
      { value: 1, at: 124 },
      { value: 0, at: 423 },
    ]);
    expect(raw.length).toBeGreaterThanOrEqual(6); // the bounce was seen, just not reported
    expect(await button.read()).toBe(0);
  });

  it('reports only the requested edge', async () => {
    const { fake, clock, gpio } = await setup();
    const input = await gpio.input({ line: 25, edge: 'rising' });
    const values: Level[] = [];
    input.changes$.subscribe((e) => values.push(e.value));
    for (const level of [1, 0, 1, 0] as Level[]) {
      fake.drive(512 + 25, level);
      await fake.flush();
      clock.advance(1);
    }
    expect(values).toEqual([1, 1]);
  });

  it('drives an active-low output: initial off is a high line, on is low', async () => {
    const { fake, gpio } = await setup();
    const led = await gpio.output({ line: 13, initial: 0, activeLow: true });
    expect(fake.state(525)).toMatchObject({ direction: 'out', activeLow: true });
    expect(fake.physical(525)).toBe(1);
    await led.write(1);
    expect(fake.physical(525)).toBe(0);
    expect(led.value).toBe(1);
    // The kernel never saw a glitch to "on" while configuring: direction was set raw high.
    expect(fake.writes.filter((w) => w.startsWith('gpio525/'))).toEqual(['gpio525/active_low=1', 'gpio525/direction=high', 'gpio525/value=1']);
  });

  it('claims lines: a second claim is refused; a closed line is unexported and free again', async () => {
    const { fake, gpio } = await setup();
    const a = await gpio.output({ line: 5 });
    await expect(gpio.input({ line: 5 })).rejects.toThrow(InvalidOptionsError);
    await expect(gpio.input({ line: 5 })).rejects.toThrow('GPIO line 5 is already claimed by an output');
    await a.close();
    await a.close();
    expect(fake.isExported(517)).toBe(false);
    await expect(a.write(1)).rejects.toBeInstanceOf(DeviceClosedError);
    const b = await gpio.input({ line: 5 });
    expect(b.line).toBe(5);
  });

  it('validates options before touching sysfs', async () => {
    const { fake, gpio } = await setup();
    await expect(gpio.output({ line: 58 })).rejects.toThrow('GPIO (sysfs) output: line must be an integer in 0..57, got 58');
    await expect(gpio.input({ line: 4, edge: 'up' as never })).rejects.toThrow(InvalidOptionsError);
    await expect(gpio.input({ line: 4, debounceMs: -1 })).rejects.toThrow(InvalidOptionsError);
    const out = await gpio.output({ line: 6 });
    await expect(out.write(2 as Level)).rejects.toThrow(InvalidOptionsError);
    expect(fake.writes.filter((w) => w.startsWith('export'))).toEqual(['export=518']);
  });

  it('reports a line held by a kernel driver as a BusError and keeps it unclaimed', async () => {
    const { fake, gpio } = await setup();
    fake.kernelClaimed.add(512 + 18);
    await expect(gpio.output({ line: 18 })).rejects.toThrow(BusError);
    await expect(gpio.output({ line: 18 })).rejects.toThrow(/line is in use/);
    fake.kernelClaimed.clear();
    await expect(gpio.output({ line: 18 })).resolves.toBeDefined();
  });

  it('closing the controller releases every line, once', async () => {
    const { fake, gpio } = await setup();
    const input = await gpio.input({ line: 17, edge: 'both' });
    await gpio.output({ line: 16 });
    let completed = false;
    input.changes$.subscribe({ complete: () => (completed = true) });
    await gpio.close();
    await gpio.close();
    expect(fake.isExported(529)).toBe(false);
    expect(fake.isExported(528)).toBe(false);
    expect(completed).toBe(true);
    await expect(gpio.output({ line: 16 })).rejects.toBeInstanceOf(DeviceClosedError);
  });
});
