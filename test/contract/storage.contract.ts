/**
 * The Storage contract, run against every implementation (simulated, real filesystem).
 * Power-loss behaviour is tested separately on the simulated storage, which can cut power.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../hal/storage.ts';
import { DeviceClosedError, FileNotFoundError, InvalidPathError, StorageError } from '../../hal/errors.ts';

export interface StorageFixture {
  storage: Storage;
  cleanup(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function describeStorageContract(implementation: string, make: () => Promise<StorageFixture>): void {
  describe(`Storage contract: ${implementation}`, () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.storage.close();
      await fx.cleanup();
    });

    it('appends, reports sizes, and reads back any range', async () => {
      const f = await fx.storage.openAppend('journal/a.log');
      expect(f.size).toBe(0);
      await f.append(bytes('hello '));
      await f.append(bytes('world'));
      expect(f.size).toBe(11);
      await f.sync();
      expect(f.syncedSize).toBe(11);
      await f.close();
      expect(text(await fx.storage.read('journal/a.log'))).toBe('hello world');
      expect(text(await fx.storage.read('journal/a.log', 6))).toBe('world');
      expect(text(await fx.storage.read('journal/a.log', 2, 3))).toBe('llo');
      expect((await fx.storage.read('journal/a.log', 50)).length).toBe(0);
      expect(await fx.storage.stat('journal/a.log')).toEqual({ path: 'journal/a.log', size: 11 });
    });

    it('reopening a file appends after the existing bytes', async () => {
      const a = await fx.storage.openAppend('x.bin');
      await a.append(bytes('one'));
      await a.sync();
      await a.close();
      const b = await fx.storage.openAppend('x.bin');
      expect(b.size).toBe(3);
      await b.append(bytes('two'));
      await b.sync();
      await b.close();
      expect(text(await fx.storage.read('x.bin'))).toBe('onetwo');
    });

    it('allows one writer per path', async () => {
      const a = await fx.storage.openAppend('busy.log');
      await expect(fx.storage.openAppend('busy.log')).rejects.toBeInstanceOf(StorageError);
      await a.close();
      const b = await fx.storage.openAppend('busy.log');
      await b.close();
    });

    it('lists files by prefix in path order', async () => {
      for (const p of ['video/0002.h264', 'video/0001.h264', 'journal/j.log', 'video-index']) {
        await fx.storage.writeAtomic(p, bytes(p));
      }
      expect((await fx.storage.list('video/')).map((f) => f.path)).toEqual(['video/0001.h264', 'video/0002.h264']);
      expect((await fx.storage.list()).map((f) => f.path)).toEqual(['journal/j.log', 'video-index', 'video/0001.h264', 'video/0002.h264']);
      expect(await fx.storage.list('nothing/')).toEqual([]);
    });

    it('writeAtomic replaces a whole file', async () => {
      await fx.storage.writeAtomic('conf/state.json', bytes('{"v":1}'));
      await fx.storage.writeAtomic('conf/state.json', bytes('{"v":22}'));
      expect(text(await fx.storage.read('conf/state.json'))).toBe('{"v":22}');
    });

    it('rename moves a file and replaces the target', async () => {
      await fx.storage.writeAtomic('a.part', bytes('new'));
      await fx.storage.writeAtomic('a.final', bytes('old'));
      await fx.storage.rename('a.part', 'a.final');
      expect(await fx.storage.stat('a.part')).toBeNull();
      expect(text(await fx.storage.read('a.final'))).toBe('new');
    });

    it('truncate cuts a tail and remove deletes', async () => {
      await fx.storage.writeAtomic('t.log', bytes('0123456789'));
      await fx.storage.truncate('t.log', 4);
      expect(text(await fx.storage.read('t.log'))).toBe('0123');
      await expect(fx.storage.truncate('t.log', 10)).rejects.toBeInstanceOf(StorageError);
      await fx.storage.remove('t.log');
      expect(await fx.storage.stat('t.log')).toBeNull();
    });

    it('reports missing files with FileNotFoundError', async () => {
      await expect(fx.storage.read('missing')).rejects.toBeInstanceOf(FileNotFoundError);
      await expect(fx.storage.remove('missing')).rejects.toBeInstanceOf(FileNotFoundError);
      await expect(fx.storage.rename('missing', 'b')).rejects.toBeInstanceOf(FileNotFoundError);
      expect(await fx.storage.stat('missing')).toBeNull();
    });

    it('rejects paths that could escape the volume', async () => {
      for (const bad of ['', '/etc/passwd', '../x', 'a/../../b', 'a//b', 'a/./b', 'dir/']) {
        await expect(fx.storage.writeAtomic(bad, bytes('x'))).rejects.toBeInstanceOf(InvalidPathError);
        await expect(fx.storage.read(bad)).rejects.toBeInstanceOf(InvalidPathError);
      }
    });

    it('reports space, and written bytes use it', async () => {
      const before = await fx.storage.space();
      expect(before.totalBytes).toBeGreaterThan(0);
      expect(before.freeBytes).toBeLessThanOrEqual(before.totalBytes);
    });

    it('close() is idempotent and every other call afterwards throws DeviceClosedError', async () => {
      await fx.storage.close();
      await fx.storage.close();
      await expect(fx.storage.openAppend('a')).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.storage.list()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
