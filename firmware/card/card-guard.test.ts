import { beforeEach, describe, expect, it } from 'vitest';
import { makeCardWorld, DEVICE_INVENTORY, DEVICE_SERIAL, type CardWorld } from '../../test/card/helpers.ts';
import type { CardGuard } from './card-guard.ts';
import { CardCommandError } from './errors.ts';
import { AuthorizationError } from '../../protocol/authorization.ts';
import { CARD_TOKEN_PATH, decodeCardToken, signCardToken } from '../../protocol/card-token.ts';
import { Ed25519PrivateKey, deriveTestSeed, sha256Hex } from '../../protocol/crypto.ts';
import { DeletionRefusedError, InvalidOptionsError, InvalidPathError, StorageUnavailableError } from '../../hal/errors.ts';
import { cidIdentity } from '../../hal/drivers/sd-cid.ts';
import { SimCard, writeForeignRegistration } from '../../sim/card-slot.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

async function cidOf(w: CardWorld): Promise<string> {
  return (await w.slot.status()).cid!;
}

/** Inserts a card, registers it as `inventoryNumber`, and returns it. */
async function registerNew(w: CardWorld, guard: CardGuard, label: string, inventoryNumber: string): Promise<SimCard> {
  const card = w.newCard(label);
  w.slot.insert(card);
  await guard.settled();
  await guard.registerCard(w.authorize('register-card', { cid: await cidOf(w), inventoryNumber }));
  return card;
}

/** What the recorder does: write a segment through the guard's storage. */
async function recordSegment(guard: CardGuard, n: number): Promise<void> {
  const f = await guard.storage.openAppend(`video/${String(n).padStart(6, '0')}.h264`);
  await f.append(bytes(`segment ${n} `.repeat(50)));
  await f.sync();
  await f.close();
}

describe('card guard: registration (R-CARD-3, R-CARD-1)', () => {
  let w: CardWorld;
  let guard: CardGuard;
  beforeEach(async () => {
    w = await makeCardWorld();
    guard = await w.startGuard();
  });

  it('R-CARD-3: refuses an unregistered card: nothing is written onto it, it alerts and journals', async () => {
    const card = w.newCard('new card');
    w.slot.insert(card);
    expect(guard.readiness()).toBe('checking');
    await guard.settled();
    expect(guard.readiness()).toBe('refused');
    expect(w.journal.types()).toEqual(['card-inserted', 'card-refused']);
    expect(w.journal.of('card-refused')[0]).toMatchObject({ cid: await cidOf(w), reason: 'unregistered' });
    expect(w.alerts.of('card-refused')).toHaveLength(1);
    await expect(guard.storage.openAppend('video/000001.h264')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(guard.storage.writeAtomic('markers.json', bytes('[]'))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await w.slot.storage.list()).toEqual([]);
  });

  it('R-CARD-3: registers a card on a signed responsible-person command: token on the card, registry, journal, ready', async () => {
    const card = w.newCard('card 42');
    w.slot.insert(card);
    await guard.settled();
    const cid = await cidOf(w);
    const entry = await guard.registerCard(w.authorize('register-card', { cid, inventoryNumber: 'INV-SD-0042' }));

    expect(guard.readiness()).toBe('ready');
    expect(entry).toMatchObject({ cid, cidIdentity: cidIdentity(card.cid), inventoryNumber: 'INV-SD-0042', by: { name: 'Lt. A. Ivanova', counter: 1 } });
    const token = decodeCardToken(await w.slot.storage.read(CARD_TOKEN_PATH));
    expect(token).toMatchObject({ cidIdentity: cidIdentity(card.cid), deviceSerial: DEVICE_SERIAL, deviceInventoryNumber: DEVICE_INVENTORY, cardInventoryNumber: 'INV-SD-0042', authCounter: 1 });
    const registry = JSON.parse(new TextDecoder().decode(await w.internal.read('card/registry.json')));
    expect(registry.cards).toHaveLength(1);
    expect(registry.cards[0].tokenSha256).toBe(sha256Hex(await w.slot.storage.read(CARD_TOKEN_PATH)));
    expect(w.journal.of('card-registered')).toEqual([expect.objectContaining({ cid, inventoryNumber: 'INV-SD-0042', by: { name: 'Lt. A. Ivanova', keyId: w.responsible.keyId, counter: 1 } })]);
    expect(w.alerts.standing.has('card-refused')).toBe(false);
    await recordSegment(guard, 1);
    expect(await w.slot.storage.stat('video/000001.h264')).not.toBeNull();
  });

  it('R-CARD-1: the dock status carries the device and card inventory numbers', async () => {
    await registerNew(w, guard, 'card 7', 'INV-SD-0007');
    expect(guard.status()).toMatchObject({
      deviceSerial: DEVICE_SERIAL,
      deviceInventoryNumber: DEVICE_INVENTORY,
      readiness: 'ready',
      card: { present: true, inventoryNumber: 'INV-SD-0007', refusal: null },
    });
  });

  it('R-CARD-3: only the responsible person may register a card', async () => {
    w.slot.insert(w.newCard('c'));
    await guard.settled();
    const auth = w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-1' }, w.dutyOfficer);
    await expect(guard.registerCard(auth)).rejects.toMatchObject({ reason: 'role-not-allowed' });
    const stranger = new Ed25519PrivateKey(deriveTestSeed('stranger'));
    await expect(guard.registerCard(w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-1' }, stranger))).rejects.toMatchObject({ reason: 'unknown-key' });
    await expect(guard.registerCard(w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-1' }, w.responsible, 'BC-9999'))).rejects.toMatchObject({ reason: 'wrong-device' });
    expect(guard.readiness()).toBe('refused');
    expect(w.journal.of('card-registered')).toEqual([]);
  });

  it('R-CARD-3: an authorisation cannot be replayed, and the counter survives a restart', async () => {
    w.slot.insert(w.newCard('c'));
    await guard.settled();
    const auth = w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-1' });
    await guard.registerCard(auth);
    await expect(guard.registerCard(auth)).rejects.toMatchObject({ reason: 'replayed' });
    await guard.close();
    const { PersistentAuthorizationGate } = await import('../auth/authorization-gate.ts');
    const gate = await PersistentAuthorizationGate.open({ storage: w.internal, device: DEVICE_SERIAL, trusted: w.trusted });
    const again = await w.startGuard({ authorizations: gate });
    await expect(again.registerCard(auth)).rejects.toBeInstanceOf(AuthorizationError);
  });

  it('R-CARD-3: an authorisation for another card is refused and not consumed', async () => {
    w.slot.insert(w.newCard('c'));
    await guard.settled();
    const other = w.newCard('other');
    const auth = w.authorize('register-card', { cid: `${other.cid.slice(0, 30)}00`, inventoryNumber: 'INV-1' });
    await expect(guard.registerCard(auth)).rejects.toMatchObject({ reason: 'cid-mismatch' });
    expect(w.gate.counters()).toEqual({});
    w.slot.remove();
    w.slot.insert(other);
    await guard.settled();
    await guard.registerCard(auth); // the same authorisation, now for the card it names
    expect(guard.readiness()).toBe('ready');
  });

  it('R-CARD-3: refuses registration with no card, an unreadable CID, bad params or a duplicate inventory number', async () => {
    const cid = '0353445343333247801234abcd015600';
    await expect(guard.registerCard(w.authorize('register-card', { cid, inventoryNumber: 'INV-1' }))).rejects.toMatchObject({ reason: 'no-card' });
    w.slot.insert(SimCard.create({ label: 'usb', random: w.random, cidReadable: false }));
    await guard.settled();
    await expect(guard.registerCard(w.authorize('register-card', { cid, inventoryNumber: 'INV-1' }))).rejects.toMatchObject({ reason: 'cid-unreadable' });
    w.slot.remove();
    await registerNew(w, guard, 'first', 'INV-1');
    w.slot.remove();
    w.slot.insert(w.newCard('second'));
    await guard.settled();
    const now = await cidOf(w);
    await expect(guard.registerCard(w.authorize('register-card', { cid: now, inventoryNumber: 'INV-1' }))).rejects.toMatchObject({ reason: 'inventory-in-use' });
    await expect(guard.registerCard(w.authorize('register-card', { cid: now, inventoryNumber: '' }))).rejects.toBeInstanceOf(CardCommandError);
    await expect(guard.registerCard(w.authorize('register-card', { cid: 'nope', inventoryNumber: 'INV-2' }))).rejects.toMatchObject({ reason: 'bad-params' });
    await expect(guard.registerCard(w.authorize('register-card', { cid: now, inventoryNumber: 'INV\n2' }))).rejects.toMatchObject({ reason: 'bad-params' });
  });

  it('R-CARD-3: the registry survives a restart: the same card is ready at once', async () => {
    await registerNew(w, guard, 'card 42', 'INV-SD-0042');
    await guard.close();
    const again = await w.startGuard();
    expect(again.readiness()).toBe('ready');
    expect(again.status().card.inventoryNumber).toBe('INV-SD-0042');
    expect(again.registeredCards()).toHaveLength(1);
  });

  it('re-registering a card under a new inventory number replaces its entry and token', async () => {
    await registerNew(w, guard, 'card', 'INV-OLD');
    await guard.registerCard(w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-NEW' }));
    expect(guard.registeredCards().map((c) => c.inventoryNumber)).toEqual(['INV-NEW']);
    expect(guard.status().card.inventoryNumber).toBe('INV-NEW');
    expect(guard.readiness()).toBe('ready');
  });
});

describe('card guard: cards that must be refused (R-CARD-3)', () => {
  let w: CardWorld;
  let guard: CardGuard;
  let original: SimCard;
  beforeEach(async () => {
    w = await makeCardWorld(2);
    guard = await w.startGuard();
    original = await registerNew(w, guard, 'registered card', 'INV-SD-0001');
    await recordSegment(guard, 1);
    w.slot.remove();
    await guard.settled();
    w.journal.entries.length = 0;
  });

  async function insertAndCheck(card: SimCard): Promise<string | null> {
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('refused');
    await expect(guard.storage.openAppend('video/x.h264')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(w.alerts.standing.get('card-refused')).toBeDefined();
    return guard.status().card.refusal;
  }

  it('R-CARD-3: a cloned-CID card (same CID, no token) is refused as token-missing and gets no data', async () => {
    const clone = original.cloneCid();
    expect(await insertAndCheck(clone)).toBe('token-missing');
    expect(w.journal.of('card-refused')[0]).toMatchObject({ reason: 'token-missing', cid: `${original.cid.slice(0, 30)}00` });
    expect(await w.slot.storage.list()).toEqual([]);
  });

  it('R-CARD-3: a card registered to another device is refused as foreign', async () => {
    const foreign = w.newCard('from BC-0002');
    await writeForeignRegistration(foreign, {
      deviceKey: new Ed25519PrivateKey(deriveTestSeed('device BC-0002')),
      deviceSerial: 'BC-0002',
      deviceInventoryNumber: 'INV-BC-0002',
      cardInventoryNumber: 'INV-SD-0099',
      registeredAt: w.clock.wallTime(),
      authKeyId: w.responsible.keyId,
      authCounter: 9,
    });
    expect(await insertAndCheck(foreign)).toBe('foreign');
    expect(w.journal.of('card-refused')[0].reason).toBe('foreign');
  });

  it('R-CARD-3: a token claiming this serial but signed by another key is foreign', async () => {
    const forged = w.newCard('forged');
    await writeForeignRegistration(forged, {
      deviceKey: new Ed25519PrivateKey(deriveTestSeed('attacker')),
      deviceSerial: DEVICE_SERIAL,
      deviceInventoryNumber: DEVICE_INVENTORY,
      cardInventoryNumber: 'INV-SD-0001',
      registeredAt: 0,
      authKeyId: w.responsible.keyId,
      authCounter: 1,
    });
    expect(await insertAndCheck(forged)).toBe('foreign');
  });

  it("R-CARD-3: this device's valid token copied onto another card is refused as cid-mismatch", async () => {
    const token = await (async () => {
      w.slot.insert(original);
      const t = await w.slot.storage.read('dozor/registration.token');
      w.slot.remove();
      return t;
    })();
    await guard.settled();
    const other = w.newCard('other card');
    w.slot.insert(other);
    await w.slot.storage.writeAtomic('dozor/registration.token', token);
    w.slot.remove();
    await guard.settled();
    expect(await insertAndCheck(other)).toBe('cid-mismatch');
  });

  it('R-CARD-3: a damaged token, or one superseded by a re-registration, is token-invalid', async () => {
    const copy = await original.bitCopy('copy made before re-registration');
    w.slot.insert(original);
    await guard.settled();
    await guard.registerCard(w.authorize('register-card', { cid: await cidOf(w), inventoryNumber: 'INV-SD-0001-B' }));
    w.slot.remove();
    await guard.settled();
    expect(await insertAndCheck(copy)).toBe('token-invalid');
    w.slot.remove();
    await guard.settled();

    const damaged = original.cloneCid('damaged token');
    w.slot.insert(damaged);
    const good = signCardToken(w.deviceKey, {
      cidIdentity: cidIdentity(original.cid),
      deviceSerial: DEVICE_SERIAL,
      deviceInventoryNumber: DEVICE_INVENTORY,
      cardInventoryNumber: 'INV-SD-0001-B',
      registeredAt: 1,
      authKeyId: w.responsible.keyId,
      authCounter: 2,
    });
    good[good.length - 1] ^= 1;
    await w.slot.storage.writeAtomic('dozor/registration.token', good);
    w.slot.remove();
    await guard.settled();
    expect(await insertAndCheck(damaged)).toBe('token-invalid');
  });

  it('R-CARD-3: a card whose CID cannot be read is refused as unreadable', async () => {
    expect(await insertAndCheck(SimCard.create({ label: 'behind a USB bridge', random: w.random, cidReadable: false }))).toBe('unreadable');
    expect(w.journal.of('card-inserted')[0].cid).toBeNull();
  });

  it('R-CARD-3: a swap leaves ready at once, and a check overtaken by a swap never makes the new card ready', async () => {
    w.slot.insert(original);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    const states: string[] = [];
    guard.readiness$.subscribe((r) => states.push(r));
    w.slot.remove();
    w.slot.insert(original.cloneCid());
    expect(guard.readiness()).toBe('checking');
    await expect(guard.storage.openAppend('video/x.h264')).rejects.toBeInstanceOf(StorageUnavailableError);
    await guard.settled();
    expect(guard.readiness()).toBe('refused');

    w.slot.remove();
    await guard.settled();
    states.length = 0;
    w.slot.insert(original); // its check starts...
    w.slot.remove();
    w.slot.insert(original.cloneCid('second clone')); // ...and is overtaken before it ends
    await guard.settled();
    expect(states).not.toContain('ready');
    expect(guard.readiness()).toBe('refused');
    // The blip is journalled as it happened: in and out without a verdict, then the clone refused.
    expect(w.journal.types().slice(-5)).toEqual(['card-removed', 'card-inserted', 'card-removed', 'card-inserted', 'card-refused']);
  });

  it('the full bit copy (CID and token) is accepted: the documented limit the seal covers', async () => {
    const copy = await original.bitCopy();
    w.slot.insert(copy);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
  });
});

describe('card guard: card pulled mid-shift (R-CARD-3, R-LOG-1)', () => {
  it('journals and alerts the removal during duty, refuses writes, and resumes when the registered card is back', async () => {
    const w = await makeCardWorld(3);
    const guard = await w.startGuard();
    const card = await registerNew(w, guard, 'card', 'INV-SD-0005');
    w.duty.on = true;
    await recordSegment(guard, 1);
    const states: string[] = [];
    guard.readiness$.subscribe((r) => states.push(r));

    await w.clock.runFor(60_000);
    const pulledAt = w.clock.wallTime();
    w.slot.remove();
    await guard.settled();
    expect(guard.readiness()).toBe('absent');
    expect(w.journal.of('card-removed')).toEqual([expect.objectContaining({ cid: `${card.cid.slice(0, 30)}00`, duringDuty: true, wall: pulledAt })]);
    expect(w.alerts.of('card-removed')).toEqual([expect.objectContaining({ severity: 'critical', at: pulledAt })]);
    expect(w.alerts.of('card-removed')[0].message).toContain('INV-SD-0005');
    await expect(guard.storage.openAppend('video/000002.h264')).rejects.toBeInstanceOf(StorageUnavailableError);

    await w.clock.runFor(30_000);
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    expect(w.alerts.standing.has('card-removed')).toBe(false);
    await recordSegment(guard, 2);
    expect(states).toEqual(['ready', 'absent', 'checking', 'ready']);
  });

  it('a removal off duty is journalled without an alert', async () => {
    const w = await makeCardWorld(4);
    const guard = await w.startGuard();
    await registerNew(w, guard, 'card', 'INV-SD-0006');
    w.slot.remove();
    await guard.settled();
    expect(w.journal.of('card-removed')[0].duringDuty).toBe(false);
    expect(w.alerts.of('card-removed')).toEqual([]);
  });

  it('a refused card replaced by the registered one clears the refusal alert', async () => {
    const w = await makeCardWorld(5);
    const guard = await w.startGuard();
    const card = await registerNew(w, guard, 'card', 'INV-SD-0007');
    w.slot.remove();
    w.slot.insert(card.cloneCid());
    await guard.settled();
    expect(w.alerts.standing.has('card-refused')).toBe(true);
    w.slot.remove();
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    expect(w.alerts.standing.has('card-refused')).toBe(false);
  });
});

describe('card guard: the seal (R-CARD-2)', () => {
  let w: CardWorld;
  let guard: CardGuard;
  beforeEach(async () => {
    w = await makeCardWorld(6);
    guard = await w.startGuard();
  });

  it('R-CARD-2: a new device is not sealed until an authorised reseal with the cover closed', async () => {
    expect(guard.sealStatus()).toMatchObject({ closed: true, intact: false, resealedAt: null });
    w.slot.openSeal();
    await expect(guard.reseal(w.authorize('reseal', {}))).rejects.toMatchObject({ reason: 'seal-open' });
    expect(w.gate.counters()).toEqual({});
    w.slot.closeSeal();
    await expect(guard.reseal(w.authorize('reseal', {}, w.dutyOfficer))).rejects.toMatchObject({ reason: 'role-not-allowed' });
    const s = await guard.reseal(w.authorize('reseal', {}));
    expect(s).toMatchObject({ closed: true, intact: true, openings: 0, brokenAt: null, resealedBy: { name: 'Lt. A. Ivanova' } });
    expect(w.journal.of('seal-resealed')).toHaveLength(1);
  });

  it('R-CARD-2: a seal opened while recording is journalled and alerted at once with its time; recording goes on', async () => {
    await registerNew(w, guard, 'card', 'INV-SD-0008');
    await guard.reseal(w.authorize('reseal', {}));
    w.duty.on = true;
    let segment = 0;
    const recorder = w.clock.setInterval(() => void recordSegment(guard, ++segment), 10_000);
    await w.clock.runFor(65_000);
    const openedAt = w.clock.wallTime();

    w.slot.openSeal();
    // The alert is raised synchronously, before any await.
    expect(w.alerts.of('seal-opened')).toEqual([
      expect.objectContaining({ severity: 'critical', at: openedAt, details: expect.objectContaining({ at: openedAt, duringDuty: true, wasSealed: true, cardInventoryNumber: 'INV-SD-0008' }) }),
    ]);
    expect(w.alerts.of('seal-opened')[0].message).toContain(new Date(openedAt).toISOString());
    await guard.settled();
    expect(w.journal.of('seal-opened')).toEqual([expect.objectContaining({ duringDuty: true, wall: openedAt })]);
    expect(guard.sealStatus()).toMatchObject({ closed: false, intact: false, brokenAt: openedAt, openings: 1 });

    await w.clock.runFor(60_000);
    recorder.cancel();
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    expect(segment).toBe(12);
    expect((await w.slot.storage.list('video/')).length).toBe(12);

    w.slot.closeSeal();
    await guard.settled();
    expect(guard.sealStatus()).toMatchObject({ closed: true, intact: false });
    expect(w.alerts.standing.has('seal-opened')).toBe(true);
    await guard.reseal(w.authorize('reseal', {}));
    expect(w.alerts.standing.has('seal-opened')).toBe(false);
  });

  it('R-CARD-2: every opening is journalled; the first after a reseal is critical, later ones off duty are warnings', async () => {
    await guard.reseal(w.authorize('reseal', {}));
    w.slot.openSeal();
    w.slot.closeSeal();
    w.slot.openSeal();
    await guard.settled();
    expect(w.journal.of('seal-opened')).toHaveLength(2);
    expect(w.alerts.of('seal-opened').map((a) => a.severity)).toEqual(['critical', 'warning']);
    expect(guard.sealStatus().openings).toBe(2);
  });

  it('R-CARD-2: a broken seal stays broken across a reboot, even with the cover closed again', async () => {
    await guard.reseal(w.authorize('reseal', {}));
    w.slot.openSeal();
    await guard.settled();
    const brokenAt = guard.sealStatus().brokenAt;
    w.slot.closeSeal();
    await guard.close();
    const again = await w.startGuard();
    expect(again.sealStatus()).toMatchObject({ closed: true, intact: false, brokenAt });
  });

  it('R-CARD-2: a cover found open at boot after a reseal is a tamper event', async () => {
    await guard.reseal(w.authorize('reseal', {}));
    await guard.close();
    w.slot.openSeal(); // while the device was off
    w.alerts.raised.length = 0;
    const again = await w.startGuard();
    expect(w.alerts.of('seal-opened')[0]).toMatchObject({ severity: 'critical', details: expect.objectContaining({ wasSealed: true }) });
    expect(w.journal.of('seal-opened')).toHaveLength(1);
    expect(again.sealStatus().intact).toBe(false);
  });

  it('R-CARD-3: when the cover closes the card is checked again: a card tampered with in place is refused', async () => {
    await registerNew(w, guard, 'card', 'INV-SD-0010');
    await guard.reseal(w.authorize('reseal', {}));
    w.slot.openSeal();
    await guard.settled();
    expect(guard.readiness()).toBe('ready'); // an open cover alone does not stop recording
    await w.slot.storage.writeAtomic('dozor/registration.token', new Uint8Array(200)); // tampering while open
    w.slot.closeSeal();
    await guard.settled();
    expect(guard.readiness()).toBe('refused');
    expect(w.journal.of('card-refused').at(-1)).toMatchObject({ reason: 'token-invalid' });
  });

  it('emits seal status changes for the dock', async () => {
    const seen: boolean[] = [];
    guard.sealStatus$.subscribe((s) => seen.push(s.closed));
    w.slot.openSeal();
    w.slot.closeSeal();
    expect(seen).toEqual([true, false, true]);
  });
});

describe('card guard: the storage the recorder gets (R-REC-6, R-CARD-4)', () => {
  let w: CardWorld;
  let guard: CardGuard;
  beforeEach(async () => {
    w = await makeCardWorld(7);
    guard = await w.startGuard();
    await registerNew(w, guard, 'card', 'INV-SD-0009');
    await recordSegment(guard, 1);
  });

  it('R-REC-6: never removes anything', async () => {
    await expect(guard.storage.remove('video/000001.h264')).rejects.toBeInstanceOf(DeletionRefusedError);
    expect(await w.slot.storage.stat('video/000001.h264')).not.toBeNull();
  });

  it("R-CARD-4: never touches the device's own files", async () => {
    await expect(guard.storage.writeAtomic('dozor/registration.token', bytes('x'))).rejects.toBeInstanceOf(InvalidPathError);
    await expect(guard.storage.openAppend('dozor/evidence-index.log')).rejects.toBeInstanceOf(InvalidPathError);
    await expect(guard.storage.truncate('dozor/evidence-index.log', 0)).rejects.toBeInstanceOf(InvalidPathError);
  });

  it('R-REC-6: indexed evidence is never overwritten, appended to, truncated or renamed; renames never replace a file', async () => {
    const st = (await w.slot.storage.stat('video/000001.h264'))!;
    const data = await w.slot.storage.read('video/000001.h264');
    await guard.evidence.add({ path: st.path, size: st.size, sha256: sha256Hex(data), kind: 'video', startWall: 0, endWall: 1 });
    await expect(guard.storage.writeAtomic(st.path, bytes('x'))).rejects.toBeInstanceOf(DeletionRefusedError);
    await expect(guard.storage.openAppend(st.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    await expect(guard.storage.truncate(st.path, 0)).rejects.toBeInstanceOf(DeletionRefusedError);
    await expect(guard.storage.rename(st.path, 'video/other.h264')).rejects.toBeInstanceOf(DeletionRefusedError);
    await recordSegment(guard, 2);
    await expect(guard.storage.rename('video/000002.h264', st.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    await guard.storage.writeAtomic('video/000003.part', bytes('x'));
    await expect(guard.storage.rename('video/000003.part', 'video/000002.h264')).rejects.toBeInstanceOf(DeletionRefusedError);
    await guard.storage.rename('video/000003.part', 'video/000003.h264');
    expect(await w.slot.storage.read(st.path)).toEqual(data);
  });
});

describe('card guard: damaged state and options', () => {
  it('keeps an unreadable registry aside, journals a fault, alerts, and refuses cards until registered again', async () => {
    const w = await makeCardWorld(8);
    await w.internal.writeAtomic('card/registry.json', bytes('{"v":1,"cards":[{"oops"'));
    const card = w.newCard('card');
    w.slot.insert(card);
    const guard = await w.startGuard();
    expect(guard.readiness()).toBe('refused');
    expect(w.journal.of('fault')[0]).toMatchObject({ device: 'card guard', state: 'raised' });
    expect(w.alerts.of('device-fault')).toHaveLength(1);
    const kept = (await w.internal.list('card/')).map((f) => f.path);
    expect(kept.some((p) => p.startsWith('card/registry.json.corrupt-'))).toBe(true);
  });

  it('treats an unreadable seal state as a broken seal', async () => {
    const w = await makeCardWorld(9);
    await w.internal.writeAtomic('card/seal.json', bytes('garbage'));
    const guard = await w.startGuard();
    expect(guard.sealStatus()).toMatchObject({ intact: false });
    expect(guard.sealStatus().brokenAt).not.toBeNull();
  });

  it('validates its options before touching anything', async () => {
    const w = await makeCardWorld(10);
    await expect(w.startGuard({ deviceSerial: '' })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(w.startGuard({ deviceInventoryNumber: 'a\nb' })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(w.startGuard({ onDuty: undefined as never })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(w.startGuard({ slot: undefined as never })).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(w.journal.entries).toEqual([]);
  });

  it('close() is idempotent', async () => {
    const w = await makeCardWorld(11);
    const guard = await w.startGuard();
    await guard.close();
    await guard.close();
    w.slot.insert(w.newCard('late'));
    expect(w.journal.entries).toEqual([]);
  });
});
