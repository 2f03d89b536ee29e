import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import type { CardStatus } from '../card.ts';
import { InvalidOptionsError, StorageUnavailableError } from '../errors.ts';
import { SysfsCardSlot, type SysfsCardSlotOptions } from './sysfs-card-slot.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeSealInput, FakeSysfsTree } from '../../test/card/fake-sysfs.ts';
import { REAL_CARDS, REAL_EMMC } from '../../test/fixtures/real-sd-cids.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('SysfsCardSlot (Linux) over a fake sysfs tree', () => {
  let tree: FakeSysfsTree;
  let seal: FakeSealInput;
  let clock: VirtualClock;
  let slot: SysfsCardSlot;
  let seen: CardStatus[];

  function options(over: Partial<SysfsCardSlotOptions> = {}): SysfsCardSlotOptions {
    return {
      blockDevice: tree.blockDevice,
      mountPoint: tree.mountPoint,
      sysfsRoot: tree.sysfsRoot,
      mountsFile: tree.mountsFile,
      seal,
      clock,
      ...over,
    };
  }

  beforeEach(async () => {
    tree = await FakeSysfsTree.create();
    seal = new FakeSealInput(1);
    clock = new VirtualClock({ startEpochMs: Date.UTC(2025, 0, 6, 8) });
    slot = new SysfsCardSlot(options());
    seen = [];
    slot.changes$.subscribe((s) => seen.push(s));
    await slot.refresh();
  });

  afterEach(async () => {
    await slot.close();
    await tree.cleanup();
  });

  for (const card of REAL_CARDS) {
    it(`R-CARD-3: reads the CID of a real card as the kernel shows it: ${card.label}`, async () => {
      await tree.insert({ label: card.label, cid: card.cid, attrs: card.attrs });
      const s = await slot.status();
      expect(s).toEqual({ present: true, cid: card.cid, sealClosed: true });
      expect(slot.identity().problem).toBeNull();
      expect(slot.identity().cid?.crc).toBe(card.crc);
    });
  }

  it('R-CARD-3: an eMMC (type MMC) is present but has no trusted CID', async () => {
    await tree.insert({ label: 'emmc', cid: REAL_EMMC.cid, type: 'MMC', attrs: REAL_EMMC.attrs });
    expect(await slot.status()).toMatchObject({ present: true, cid: null });
    expect(slot.identity().problem).toMatch(/not an SD card/);
  });

  it('R-CARD-3: an eMMC CID shown without a type file is still caught by the attribute cross-check', async () => {
    await tree.insert({ label: 'emmc', cid: REAL_EMMC.cid, attrs: REAL_EMMC.attrs });
    expect((await slot.status()).cid).toBeNull();
    expect(slot.identity().problem).toMatch(/contradict the CID: .*name/);
  });

  it('R-CARD-3: a serial attribute that contradicts the CID makes the identity untrusted', async () => {
    const real = REAL_CARDS[0];
    await tree.insert({ label: 'x', cid: real.cid, attrs: { ...real.attrs, serial: '0x12345678' } });
    expect((await slot.status()).cid).toBeNull();
    expect(slot.identity().problem).toMatch(/serial "0x12345678" ≠ "0xda89b829"/);
  });

  it('R-CARD-3: a CID with a wrong CRC7 is not trusted', async () => {
    await tree.insert({ label: 'x', cid: REAL_CARDS[0].cid, attrs: { cid: '275048534431364730da89b82900fb63' } });
    expect((await slot.status()).cid).toBeNull();
    expect(slot.identity().problem).toMatch(/CRC/);
  });

  it('polls presence on the injected clock and emits insertion and removal', async () => {
    await tree.insert({ label: 'a', cid: REAL_CARDS[1].cid });
    clock.advance(499);
    expect(seen).toHaveLength(0);
    clock.advance(1);
    await slot.refresh(); // joins the poll the timer started
    expect(seen).toEqual([{ present: true, cid: REAL_CARDS[1].cid, sealClosed: true }]);
    await tree.remove();
    clock.advance(500);
    await slot.refresh();
    expect(seen.at(-1)).toEqual({ present: false, cid: null, sealClosed: true });
  });

  it('a card swapped faster than one poll shows as a removal and an insertion', async () => {
    await tree.insert({ label: 'a', cid: REAL_CARDS[0].cid });
    await slot.refresh();
    await tree.remove();
    await tree.insert({ label: 'b', cid: REAL_CARDS[1].cid });
    await slot.refresh();
    expect(seen.map((s) => [s.present, s.cid])).toEqual([
      [true, REAL_CARDS[0].cid],
      [false, null],
      [true, REAL_CARDS[1].cid],
    ]);
  });

  it('R-CARD-3: even a counterfeit with the same CID swapped in between two polls shows as a new insertion', async () => {
    await tree.insert({ label: 'original', cid: REAL_CARDS[0].cid });
    await slot.refresh();
    await tree.remove();
    await tree.insert({ label: 'counterfeit', cid: REAL_CARDS[0].cid });
    await slot.refresh();
    expect(seen.map((s) => s.present)).toEqual([true, false, true]);
    await slot.refresh();
    expect(seen).toHaveLength(3);
  });

  it('R-CARD-2: seal edges are reported at once, and a missed edge is caught by the next poll', async () => {
    seal.set(0);
    expect(seen.at(-1)?.sealClosed).toBe(false);
    seal.set(1, false);
    await slot.refresh();
    expect(seen.at(-1)?.sealClosed).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('honours sealClosedLevel 0 (switch wired the other way)', async () => {
    await slot.close();
    seal = new FakeSealInput(0);
    slot = new SysfsCardSlot(options({ seal, sealClosedLevel: 0 }));
    expect((await slot.status()).sealClosed).toBe(true);
  });

  it('never writes into the bare mount point while the card filesystem is not mounted', async () => {
    await tree.insert({ label: 'a', cid: REAL_CARDS[0].cid, unmounted: true });
    expect((await slot.status()).present).toBe(true);
    await expect(slot.storage.writeAtomic('video/1.h264', bytes('x'))).rejects.toThrow(/not mounted/);
    await expect(slot.storage.openAppend('video/1.h264')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await readdir(tree.mountPoint)).toEqual([]);
  });

  it('refuses a filesystem mounted there from another device', async () => {
    await tree.insert({ label: 'a', cid: REAL_CARDS[0].cid, mountSource: '/dev/sda1' });
    await expect(slot.storage.stat('x')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('finds the mount point in the mounts table when its path holds a space (octal escape)', async () => {
    await slot.close();
    await tree.cleanup();
    tree = await FakeSysfsTree.create('mmcblk1', 'media/evidence card');
    slot = new SysfsCardSlot(options());
    await tree.insert({ label: 'a', cid: REAL_CARDS[0].cid });
    await slot.storage.writeAtomic('a.txt', bytes('ok'));
    expect(new TextDecoder().decode(await slot.storage.read('a.txt'))).toBe('ok');
  });

  it('validates its options before touching anything', () => {
    expect(() => new SysfsCardSlot(options({ blockDevice: 'sda' }))).toThrow(InvalidOptionsError);
    expect(() => new SysfsCardSlot(options({ mountPoint: 'media/evidence' }))).toThrow(InvalidOptionsError);
    expect(() => new SysfsCardSlot(options({ mountPoint: '/' }))).toThrow(InvalidOptionsError);
    expect(() => new SysfsCardSlot(options({ pollMs: 10 }))).toThrow(InvalidOptionsError);
    expect(() => new SysfsCardSlot(options({ seal: undefined as never }))).toThrow(InvalidOptionsError);
    expect(() => new SysfsCardSlot(undefined as never)).toThrow(InvalidOptionsError);
  });

  it('stops polling when closed', async () => {
    await slot.close();
    const reads = seal.reads;
    clock.advance(5000);
    expect(seal.reads).toBe(reads);
    expect(clock.pending).toBe(0);
  });
});
