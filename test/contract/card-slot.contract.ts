/**
 * The CardSlot contract (hal/card.ts), run against the simulated slot and the Linux sysfs slot
 * over a fake sysfs tree. Each fixture models a physical slot: cards with their own filesystems
 * go in and out, the cover opens and closes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CardSlot, CardStatus } from '../../hal/card.ts';
import { DeviceClosedError, StorageUnavailableError } from '../../hal/errors.ts';
import { cidIdentity } from '../../hal/drivers/sd-cid.ts';

export interface TestCard {
  label: string;
  /** CID with its CRC byte. */
  cid: string;
}

export interface CardSlotFixture {
  slot: CardSlot;
  /** Puts the card in (the same label means the same physical card, with its files). */
  insert(card: TestCard): Promise<void>;
  remove(): Promise<void>;
  openSeal(): Promise<void>;
  closeSeal(): Promise<void>;
  /** Lets the slot notice what the world did (a polling slot polls once). */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

const A: TestCard = { label: 'card A', cid: '275048534431364730da89b82900fb61' };
const B: TestCard = { label: 'card B', cid: '0353445343333247801234abcd0156b5' };
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function describeCardSlotContract(implementation: string, make: () => Promise<CardSlotFixture>): void {
  describe(`CardSlot contract: ${implementation}`, () => {
    let fx: CardSlotFixture;
    let seen: CardStatus[];
    beforeEach(async () => {
      fx = await make();
      seen = [];
      fx.slot.changes$.subscribe((s) => seen.push(s));
    });
    afterEach(async () => {
      await fx.slot.close();
      await fx.cleanup();
    });

    it('R-CARD-3: an empty slot reports no card and its storage refuses every call', async () => {
      expect(await fx.slot.status()).toEqual({ present: false, cid: null, sealClosed: true });
      await expect(fx.slot.storage.read('x')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(fx.slot.storage.writeAtomic('x', bytes('1'))).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(fx.slot.storage.list()).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('R-CARD-3: reports an inserted card with its CID and emits the insertion', async () => {
      await fx.insert(A);
      await fx.settle();
      const s = await fx.slot.status();
      expect(s.present).toBe(true);
      expect(s.cid).toMatch(/^[0-9a-f]{32}$/);
      expect(cidIdentity(s.cid!)).toBe(cidIdentity(A.cid));
      expect(seen.at(-1)).toEqual(s);
    });

    it('gives access to the filesystem of the card in the slot, and only that card', async () => {
      await fx.insert(A);
      await fx.settle();
      await fx.slot.storage.writeAtomic('notes/a.txt', bytes('on card A'));
      await fx.remove();
      await fx.settle();
      await fx.insert(B);
      await fx.settle();
      expect(await fx.slot.storage.stat('notes/a.txt')).toBeNull();
      await fx.remove();
      await fx.settle();
      await fx.insert(A);
      await fx.settle();
      expect(text(await fx.slot.storage.read('notes/a.txt'))).toBe('on card A');
    });

    it('R-CARD-3: emits the removal and refuses storage calls once the card is out', async () => {
      await fx.insert(A);
      await fx.settle();
      await fx.remove();
      await fx.settle();
      expect(seen.at(-1)).toEqual({ present: false, cid: null, sealClosed: true });
      await expect(fx.slot.storage.stat('notes/a.txt')).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('R-CARD-3: a swap to another card shows the other CID', async () => {
      await fx.insert(A);
      await fx.settle();
      await fx.remove();
      await fx.insert(B);
      await fx.settle();
      const s = await fx.slot.status();
      expect(cidIdentity(s.cid!)).toBe(cidIdentity(B.cid));
      expect(cidIdentity(seen.at(-1)!.cid!)).toBe(cidIdentity(B.cid));
    });

    it('R-CARD-2: emits every opening and closing of the seal / cover', async () => {
      await fx.openSeal();
      await fx.settle();
      expect(seen.at(-1)?.sealClosed).toBe(false);
      expect((await fx.slot.status()).sealClosed).toBe(false);
      await fx.closeSeal();
      await fx.settle();
      expect(seen.at(-1)?.sealClosed).toBe(true);
      expect(seen.filter((s) => !s.sealClosed)).toHaveLength(1);
    });

    it('close() is idempotent and later calls throw DeviceClosedError', async () => {
      await fx.slot.close();
      await fx.slot.close();
      await expect(fx.slot.status()).rejects.toBeInstanceOf(DeviceClosedError);
      await expect(fx.slot.storage.list()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
