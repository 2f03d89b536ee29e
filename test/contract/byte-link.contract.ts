/**
 * The ByteLink contract (hal/link.ts), for every transport: in-memory sim links now, TCP and
 * serial (pty) links from the protocol work later. A fixture makes a connected pair and says how
 * to let bytes move (run the virtual clock, or yield to the event loop for real sockets).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ByteLink } from '../../hal/link.ts';
import { BusError, DeviceClosedError } from '../../hal/errors.ts';

export interface ByteLinkFixture {
  a: ByteLink;
  b: ByteLink;
  /** Lets queued bytes move one step (virtual time, or one event-loop turn). */
  settle(): Promise<void>;
  /** Breaks the connection underneath both ends (cable pulled, connection reset), if possible. */
  cut?(): Promise<void> | void;
  cleanup(): Promise<void>;
}

const MAX_SETTLES = 10_000;

export function describeByteLinkContract(implementation: string, makeFixture: () => Promise<ByteLinkFixture>): void {
  describe(`ByteLink contract: ${implementation}`, () => {
    let fx: ByteLinkFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.a.close();
      await fx.b.close();
      await fx.cleanup();
    });

    const until = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < MAX_SETTLES && !cond(); i++) await fx.settle();
      expect(cond(), what).toBe(true);
    };
    const sink = (link: ByteLink) => {
      const got: number[] = [];
      let error: unknown = null;
      let completed = false;
      link.data$.subscribe({
        next: (d) => {
          for (const x of d) got.push(x);
        }, error: (e: unknown) => (error = e), complete: () => (completed = true) });
      return { got, error: () => error, completed: () => completed };
    };
    /** Writes and lets time move until the write resolved (a paced link resolves when the bytes are on the wire). */
    const write = async (link: ByteLink, data: Uint8Array) => {
      let settled = false;
      let failure: unknown = null;
      link.write(data).then(
        () => (settled = true),
        (e: unknown) => {
          settled = true;
          failure = e;
        },
      );
      await until(() => settled, 'write finished');
      if (failure) throw failure;
    };
    const pattern = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + salt) & 0xff);

    it('carries bytes both ways, in order, intact', async () => {
      const atB = sink(fx.b);
      const atA = sink(fx.a);
      expect(fx.a.isOpen && fx.b.isOpen).toBe(true);
      await write(fx.a, Uint8Array.of(1, 2, 3));
      await write(fx.b, Uint8Array.of(9));
      await write(fx.a, Uint8Array.of(4));
      await until(() => atB.got.length === 4 && atA.got.length === 1, 'bytes arrived');
      expect(atB.got).toEqual([1, 2, 3, 4]);
      expect(atA.got).toEqual([9]);
    });

    it('a large write arrives complete (any chunking)', async () => {
      const atB = sink(fx.b);
      const big = pattern(256 * 1024, 7);
      await write(fx.a, big);
      await until(() => atB.got.length === big.length, 'all bytes arrived');
      expect(Buffer.from(atB.got).equals(Buffer.from(big))).toBe(true);
    });

    it('an empty write is harmless', async () => {
      const atB = sink(fx.b);
      await write(fx.a, new Uint8Array(0));
      await write(fx.a, Uint8Array.of(5));
      await until(() => atB.got.length === 1, 'byte arrived');
      expect(atB.got).toEqual([5]);
    });

    it('closing one end ends the stream at the other; the closed end refuses writes; close is idempotent', async () => {
      const atB = sink(fx.b);
      await write(fx.a, Uint8Array.of(42));
      await until(() => atB.got.length === 1, 'byte arrived');
      await fx.a.close();
      await fx.a.close();
      expect(fx.a.isOpen).toBe(false);
      await until(() => atB.completed() || atB.error() !== null, 'peer saw the end');
      expect(atB.got).toEqual([42]);
      await expect(write(fx.a, Uint8Array.of(1))).rejects.toBeInstanceOf(DeviceClosedError);
    });

    it('a cut fails both ends with BusError', async (ctx) => {
      if (!fx.cut) return ctx.skip();
      const atA = sink(fx.a);
      const atB = sink(fx.b);
      await fx.cut();
      await until(() => atA.error() !== null && atB.error() !== null, 'both ends failed');
      expect(atA.error()).toBeInstanceOf(BusError);
      expect(atB.error()).toBeInstanceOf(BusError);
      await expect(write(fx.a, Uint8Array.of(1))).rejects.toBeInstanceOf(BusError);
      expect(fx.b.isOpen).toBe(false);
    });
  });
}
