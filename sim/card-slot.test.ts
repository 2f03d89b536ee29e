import { describe, expect, it } from 'vitest';
import { SimCard, SimCardSlot, randomCidFields, writeForeignRegistration } from './card-slot.ts';
import { SeededRandom } from './random.ts';
import { decodeSdCid, cidIdentity } from '../hal/drivers/sd-cid.ts';
import { InvalidOptionsError, StorageUnavailableError, StorageError } from '../hal/errors.ts';
import { CARD_TOKEN_PATH, decodeCardToken, verifyCardToken } from '../protocol/card-token.ts';
import { Ed25519PrivateKey, deriveTestSeed } from '../protocol/crypto.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('simulated card slot: world-side API', () => {
  const random = new SeededRandom(11);

  it('makes cards with realistic random CIDs that pass CRC7, reproducibly per seed', () => {
    const a = SimCard.create({ label: 'a', random: new SeededRandom(5) });
    const b = SimCard.create({ label: 'a', random: new SeededRandom(5) });
    expect(a.cid).toBe(b.cid);
    for (let i = 0; i < 50; i++) {
      const f = randomCidFields(random);
      expect(f.mdt.month).toBeGreaterThanOrEqual(1);
      expect(f.mdt.month).toBeLessThanOrEqual(12);
    }
    expect(decodeSdCid(a.cid).crc).toBe('ok');
  });

  it('refuses a given CID without its CRC byte (a card always sends one)', () => {
    expect(() => SimCard.create({ label: 'x', random, cid: '035344534e35313280fff7b17b015700' })).toThrow(InvalidOptionsError);
  });

  it('reports the CID with the CRC byte stripped by default, as the Pi SDHCI host does', async () => {
    const card = SimCard.create({ label: 'a', random, cid: '275048534431364730da89b82900fb61' });
    const pi = new SimCardSlot();
    pi.insert(card);
    expect((await pi.status()).cid).toBe('275048534431364730da89b82900fb00');
    pi.remove();
    const sunxi = new SimCardSlot({ hostStripsCrc: false });
    sunxi.insert(card);
    expect((await sunxi.status()).cid).toBe(card.cid);
  });

  it('a CID-clone reports the same CID with an empty filesystem (no token)', async () => {
    const slot = new SimCardSlot();
    const original = SimCard.create({ label: 'original', random, capacityBytes: 1 << 20 });
    slot.insert(original);
    await slot.storage.writeAtomic(CARD_TOKEN_PATH, bytes('token'));
    slot.remove();
    const clone = original.cloneCid();
    slot.insert(clone);
    expect(cidIdentity((await slot.status()).cid!)).toBe(cidIdentity(original.cid));
    expect(await slot.storage.list()).toEqual([]);
  });

  it('a bit copy carries every file, token included', async () => {
    const slot = new SimCardSlot();
    const original = SimCard.create({ label: 'original', random, capacityBytes: 1 << 20 });
    slot.insert(original);
    await slot.storage.writeAtomic(CARD_TOKEN_PATH, bytes('token'));
    slot.remove();
    const copy = await original.bitCopy();
    slot.insert(copy);
    expect(new TextDecoder().decode(await slot.storage.read(CARD_TOKEN_PATH))).toBe('token');
    expect(original.storage.isAvailable).toBe(false);
  });

  it("a card from another device carries a token signed by that device's key", async () => {
    const other = new Ed25519PrivateKey(deriveTestSeed('device BC-0002'));
    const card = SimCard.create({ label: 'foreign', random, capacityBytes: 1 << 20 });
    await writeForeignRegistration(card, {
      deviceKey: other,
      deviceSerial: 'BC-0002',
      deviceInventoryNumber: 'INV-BC-0002',
      cardInventoryNumber: 'INV-SD-0077',
      registeredAt: Date.UTC(2025, 0, 1),
      authKeyId: '0123456789abcdef',
      authCounter: 3,
    });
    const slot = new SimCardSlot();
    slot.insert(card);
    const token = decodeCardToken(await slot.storage.read(CARD_TOKEN_PATH));
    expect(token).toMatchObject({ deviceSerial: 'BC-0002', cardInventoryNumber: 'INV-SD-0077', cidIdentity: cidIdentity(card.cid) });
    expect(verifyCardToken(token, other.publicKey)).toBe(true);
  });

  it('a card whose CID cannot be read is present with cid null', async () => {
    const slot = new SimCardSlot();
    slot.insert(SimCard.create({ label: 'usb-bridged', random, cidReadable: false }));
    expect(await slot.status()).toEqual({ present: true, cid: null, sealClosed: true });
  });

  it('pulling the card breaks open append handles, and the slot refuses a second card', async () => {
    const slot = new SimCardSlot();
    const card = SimCard.create({ label: 'a', random, capacityBytes: 1 << 20 });
    slot.insert(card);
    expect(() => slot.insert(SimCard.create({ label: 'b', random }))).toThrow(InvalidOptionsError);
    const f = await slot.storage.openAppend('video/1.h264');
    await f.append(bytes('frame'));
    expect(slot.remove()).toBe(card);
    await expect(f.append(bytes('more'))).rejects.toBeInstanceOf(StorageError);
    await expect(slot.storage.stat('video/1.h264')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(slot.remove()).toBeNull();
  });

  it('emits seal openings once each and counts them', () => {
    const slot = new SimCardSlot();
    const seen: boolean[] = [];
    slot.changes$.subscribe((s) => seen.push(s.sealClosed));
    slot.openSeal();
    slot.openSeal();
    slot.closeSeal();
    expect(seen).toEqual([false, true]);
    expect(slot.stats.sealOpenings).toBe(1);
  });
});
