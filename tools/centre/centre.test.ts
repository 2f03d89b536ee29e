import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../sim/random.ts';
import { SimStorage } from '../../sim/storage.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { Outbox } from '../../firmware/radar/outbox.ts';
import { InterimUplinkChannel } from '../../firmware/radar/uplink-interim.ts';
import { CentreStore } from './centre-store.ts';
import { serveCentreSession } from './session.ts';
import { connectTcp, listenTcp, parseTcpUrl } from './tcp.ts';
import { main } from '../cli.ts';

describe('processing centre over TCP (R-RAD-1)', () => {
  it('stores items a radar submits over a real loopback TCP connection once, and acknowledges repeats', async () => {
    const store = new CentreStore();
    const server = await listenTcp('127.0.0.1', 0, (link) => void serveCentreSession(link, store));
    const port = (server.address() as { port: number }).port;
    const clock = new VirtualClock({ startEpochMs: 0 });
    const storage = new SimStorage({ name: 'internal', capacityBytes: 2 ** 24, random: new SeededRandom(1) });
    const { outbox } = await Outbox.open({ storage, random: new SeededRandom(1), deviceId: 'DZR-7' });
    const channel = new InterimUplinkChannel({ clock, deviceId: 'DZR-7', connect: () => connectTcp('127.0.0.1', port) });
    const items = [await outbox.enqueue('vehicles', 1_715_650_000_000, { shiftId: 's1', records: [[1, 1_715_650_000_000, 1, 0, 612, 600, 9, 0]] })];
    expect(await channel.deliver(items)).toEqual([items[0].id]);
    expect(await channel.deliver(items)).toEqual([items[0].id]);
    expect(store.counts()).toEqual({ items: 1, violations: 0, vehicles: 1 });
    await channel.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('parses listen addresses and rejects bad ones with a usage error', async () => {
    expect(parseTcpUrl('tcp://127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(parseTcpUrl('tcp://[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parseTcpUrl('http://x:1')).toThrow(RangeError);
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'dozor', 'centre', 'serve', '--listen', 'udp://x'])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
  });
});
