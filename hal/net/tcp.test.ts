import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { TcpListener, connectTcp, parseTcpUrl, type TcpLink } from './tcp.ts';
import { BusError, DeviceClosedError, InvalidOptionsError } from '../errors.ts';
import type { ByteLink } from '../link.ts';
import { RealClock } from '../real-clock.ts';
import { HostSession } from '../../protocol/host-session.ts';
import { MemorySink } from '../../protocol/memory-sink.ts';
import { pullFile } from '../../protocol/offload.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { toHex } from '../../protocol/crypto.ts';
import { createVirtualDevice } from '../../tools/sim/virtual-device.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function listen(): Promise<TcpListener> {
  const l = await TcpListener.listen({ host: '127.0.0.1', port: 0 });
  cleanup.push(() => l.close());
  return l;
}

describe('TCP links', () => {
  it('parses tcp:// addresses and refuses anything else', () => {
    expect(parseTcpUrl('tcp://127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseTcpUrl('tcp://[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseTcpUrl('http://x:1')).toThrow(InvalidOptionsError);
    expect(() => parseTcpUrl('tcp://x:99999')).toThrow(InvalidOptionsError);
    expect(() => parseTcpUrl('tcp://x')).toThrow(InvalidOptionsError);
  });

  it('carries bytes both ways in order, and a close on one side completes data$ on both', async () => {
    const listener = await listen();
    const accepted = firstValueFrom(listener.links$);
    const client = await connectTcp(listener.address);
    const server = await accepted;
    const fromClient = firstValueFrom(server.data$.pipe(toArray()));
    const fromServer = firstValueFrom(client.data$.pipe(toArray()));
    for (let i = 0; i < 100; i++) await client.write(new Uint8Array(1000).fill(i));
    await server.write(new TextEncoder().encode('bye'));
    await client.close();
    const got = Buffer.concat(await fromClient);
    expect(got.length).toBe(100_000);
    for (let i = 0; i < 100; i++) expect(got[i * 1000 + 999]).toBe(i);
    expect(Buffer.concat(await fromServer).toString()).toBe('bye');
    expect(client.isOpen).toBe(false);
    await expect(client.write(new Uint8Array(1))).rejects.toBeInstanceOf(DeviceClosedError);
    await expect((server as TcpLink).write(new Uint8Array(1))).rejects.toBeInstanceOf(BusError);
    await client.close(); // idempotent
  });

  it('reports a refused connection as a BusError', async () => {
    const listener = await listen();
    const { port } = listener.address;
    await listener.close();
    await expect(connectTcp({ host: '127.0.0.1', port })).rejects.toBeInstanceOf(BusError);
  });

  it('R-OFF-1: a device listening on TCP is offloaded by a host that connects', async () => {
    const clock = new RealClock();
    const dev = await createVirtualDevice({ clock, segments: 2, segmentBytes: 300_000 });
    const listener = await listen();
    const links = dev.serve(listener);
    cleanup.push(() => links.close());
    const link: ByteLink = await connectTcp(listener.address);
    const host = new HostSession({ link, clock, host: 'dock-tcp', key: TEST_KEYS.dock, keepaliveMs: 0 });
    cleanup.push(() => host.close());
    await host.handshake();
    for (const f of await host.listFiles()) {
      const sink = new MemorySink();
      await pullFile(host, f, sink, { clock });
      expect(toHex(sink.bytes())).toBe(toHex(await dev.card.read(f.path)));
    }
  });
});
