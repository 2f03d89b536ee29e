import { describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { createLinkPair, SimLinkPort } from './link.ts';
import { VirtualClock } from './virtual-clock.ts';
import { BusError, DeviceClosedError } from '../hal/errors.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('simulated byte links', () => {
  it('delivers what one end writes to the other, in order', async () => {
    const [a, b] = createLinkPair();
    const got: number[] = [];
    b.data$.subscribe((d) => got.push(...d));
    await a.write(bytes(1, 2));
    await a.write(bytes(3));
    await Promise.resolve();
    expect(got).toEqual([1, 2, 3]);
  });

  it('takes the virtual time the line rate and latency imply', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const [a, b] = createLinkPair({ clock, bytesPerSecond: 1000, latencyMs: 5 });
    const arrivals: number[] = [];
    b.data$.subscribe(() => arrivals.push(clock.monotonic()));
    let writtenAt = -1;
    void a.write(new Uint8Array(500)).then(() => (writtenAt = clock.monotonic()));
    void a.write(new Uint8Array(500));
    await clock.runFor(2000);
    expect(writtenAt).toBe(500);
    expect(arrivals).toEqual([505, 1005]);
  });

  it('a cut fails both ends with BusError; close gives the peer end-of-stream', async () => {
    const [a, b] = createLinkPair();
    const done = firstValueFrom(b.data$.pipe(toArray())).catch((e) => e);
    a.cut('cable pulled');
    expect(await done).toBeInstanceOf(BusError);
    await expect(a.write(bytes(1))).rejects.toBeInstanceOf(BusError);
    const [c, d] = createLinkPair();
    const all = firstValueFrom(d.data$.pipe(toArray()));
    await c.write(bytes(9));
    await Promise.resolve();
    await c.close();
    expect((await all).map((x) => [...x])).toEqual([[9]]);
    await expect(c.write(bytes(1))).rejects.toBeInstanceOf(DeviceClosedError);
  });

  it('a link port hands the device side of each new connection to its subscriber', async () => {
    const port = new SimLinkPort('dock connector');
    const received: number[] = [];
    port.links$.subscribe((link) => link.data$.subscribe((d) => received.push(...d)));
    const remote = port.connect();
    await remote.write(bytes(7, 7));
    await Promise.resolve();
    expect(received).toEqual([7, 7]);
  });
});
