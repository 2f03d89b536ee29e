import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray, take } from 'rxjs';
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import { SerialLink } from './serial-link.ts';
import { DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import { RealClock } from '../real-clock.ts';
import { openPtyPair } from '../../test/pty-pair.ts';
import { HostSession } from '../../protocol/host-session.ts';
import { DeviceSession } from '../../protocol/device-session.ts';
import { MemorySink } from '../../protocol/memory-sink.ts';
import { pullFile } from '../../protocol/offload.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { toHex } from '../../protocol/crypto.ts';
import { createVirtualDevice } from '../../tools/sim/virtual-device.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  MockBinding.reset();
});

describe('serial link over @serialport/binding-mock', () => {
  it('validates options before opening anything', async () => {
    await expect(SerialLink.open({ path: '', binding: MockBinding })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(SerialLink.open({ path: '/dev/x', baudRate: 12.5, binding: MockBinding })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(SerialLink.open({ path: '/dev/x', parity: 'mark' as 'odd', binding: MockBinding })).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('reports a missing port as DeviceNotFoundError', async () => {
    await expect(SerialLink.open({ path: '/dev/ttyNOPE', binding: MockBinding })).rejects.toBeInstanceOf(DeviceNotFoundError);
  });

  it('delivers bytes the port receives and writes bytes out; close is idempotent and ends data$', async () => {
    MockBinding.createPort('/dev/ttyMOCK0', { echo: false, record: true });
    const link = await SerialLink.open({ path: '/dev/ttyMOCK0', binding: MockBinding, baudRate: 921600 });
    const received = firstValueFrom(link.data$.pipe(toArray()));
    const port = link.stream.port as unknown as MockPortBinding;
    port.emitData(Buffer.from('$GPGGA,hello\r\n'));
    await link.write(new TextEncoder().encode('out'));
    await new Promise((r) => setTimeout(r, 20)); // the mock binding delivers reads on its own schedule
    expect(port.recording.toString()).toBe('out');
    await link.close();
    await link.close();
    expect(Buffer.concat(await received).toString()).toBe('$GPGGA,hello\r\n');
    await expect(link.write(new Uint8Array(1))).rejects.toBeInstanceOf(DeviceClosedError);
  });

  it('echoing port: what is written comes back in order', async () => {
    MockBinding.createPort('/dev/ttyECHO', { echo: true });
    const link = await SerialLink.open({ path: '/dev/ttyECHO', binding: MockBinding });
    cleanup.push(() => link.close());
    const got = firstValueFrom(link.data$.pipe(take(3), toArray()));
    await link.write(new Uint8Array([1, 2]));
    await link.write(new Uint8Array([3]));
    await link.write(new Uint8Array([4, 5, 6]));
    expect([...Buffer.concat(await got)]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('serial link over a socat pseudo-terminal pair', () => {
  it('carries bytes between the two ends of a real pty pair', async () => {
    const pty = await openPtyPair();
    cleanup.push(() => pty.close());
    const a = await SerialLink.open({ path: pty.a });
    const b = await SerialLink.open({ path: pty.b });
    cleanup.push(() => a.close(), () => b.close());
    const payload = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
    const got: Uint8Array[] = [];
    let n = 0;
    const done = new Promise<void>((resolve) =>
      b.data$.subscribe((c) => {
        got.push(c);
        n += c.length;
        if (n >= payload.length) resolve();
      }),
    );
    await a.write(payload);
    await done;
    expect(toHex(Buffer.concat(got))).toBe(toHex(payload));
  });

  it('R-OFF-1: the same protocol code offloads a device over the pty pair', async () => {
    const pty = await openPtyPair();
    cleanup.push(() => pty.close());
    const clock = new RealClock();
    const dev = await createVirtualDevice({ clock, segments: 2, segmentBytes: 120_000 });
    const deviceLink = await SerialLink.open({ path: pty.a });
    const hostLink = await SerialLink.open({ path: pty.b });
    const session = new DeviceSession({ link: deviceLink, clock, random: dev.random, handlers: dev.service });
    const running = session.run();
    const host = new HostSession({ link: hostLink, clock, host: 'dock-serial', key: TEST_KEYS.dock, keepaliveMs: 0 });
    cleanup.push(async () => {
      await host.close();
      await session.close();
      await running;
    });
    await host.handshake();
    for (const f of await host.listFiles()) {
      const sink = new MemorySink();
      await pullFile(host, f, sink, { clock });
      expect(toHex(sink.bytes())).toBe(toHex(await dev.card.read(f.path)));
    }
  });
});
