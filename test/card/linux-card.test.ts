/**
 * The card guard and evidence store on the Linux backend: SysfsCardSlot over a fake sysfs tree
 * with real public CIDs, the card filesystem and internal storage as real folders (FsStorage).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeSealInput, FakeSysfsTree } from './fake-sysfs.ts';
import { MemoryJournal, RecordingAlerts, DEVICE_SERIAL, DEVICE_INVENTORY, START } from './helpers.ts';
import { REAL_CARDS } from '../fixtures/real-sd-cids.ts';
import { SysfsCardSlot } from '../../hal/linux/sysfs-card-slot.ts';
import { FsStorage } from '../../hal/linux/fs-storage.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { CardGuard } from '../../firmware/card/card-guard.ts';
import { PersistentAuthorizationGate } from '../../firmware/auth/authorization-gate.ts';
import { signAuthorization } from '../../protocol/authorization.ts';
import { Ed25519PrivateKey, deriveTestSeed, sha256Hex } from '../../protocol/crypto.ts';
import { DeletionRefusedError } from '../../hal/errors.ts';

describe('card guard on the Linux backend (fake sysfs, real folders)', () => {
  let tree: FakeSysfsTree;
  let internalDir: string;
  let slot: SysfsCardSlot;
  let guard: CardGuard;
  let seal: FakeSealInput;
  let journal: MemoryJournal;
  let alerts: RecordingAlerts;
  let clock: VirtualClock;
  const responsible = new Ed25519PrivateKey(deriveTestSeed('responsible Ivanova'));
  let counter = 0;
  const authorize = (action: 'register-card' | 'reseal', params: Record<string, unknown>) =>
    signAuthorization(responsible, { action, device: DEVICE_SERIAL, signer: 'Lt. A. Ivanova', counter: ++counter, issuedAt: clock.wallTime(), params });

  beforeEach(async () => {
    tree = await FakeSysfsTree.create();
    internalDir = await mkdtemp(path.join(tmpdir(), 'dozor-internal-'));
    clock = new VirtualClock({ startEpochMs: START });
    seal = new FakeSealInput(1);
    slot = new SysfsCardSlot({ blockDevice: tree.blockDevice, mountPoint: tree.mountPoint, sysfsRoot: tree.sysfsRoot, mountsFile: tree.mountsFile, seal, clock });
    const internal = new FsStorage({ name: 'internal', root: internalDir });
    journal = new MemoryJournal(clock);
    alerts = new RecordingAlerts(clock);
    const gate = await PersistentAuthorizationGate.open({
      storage: internal,
      device: DEVICE_SERIAL,
      trusted: [{ keyId: responsible.keyId, name: 'Lt. A. Ivanova', role: 'responsible', publicKey: responsible.publicKey }],
    });
    guard = await CardGuard.start({
      slot,
      internal,
      clock,
      journal,
      alerts,
      authorizations: gate,
      deviceKey: new Ed25519PrivateKey(deriveTestSeed('device BC-0001')),
      deviceSerial: DEVICE_SERIAL,
      deviceInventoryNumber: DEVICE_INVENTORY,
      onDuty: () => true,
      indexReserveBytes: 4096,
    });
  });

  afterEach(async () => {
    await guard.close();
    await slot.close();
    await tree.cleanup();
    await rm(internalDir, { recursive: true, force: true });
  });

  async function poll(): Promise<void> {
    clock.advance(500);
    await slot.refresh();
    await guard.settled();
  }

  it('R-CARD-3 / R-CARD-4: registers a real SanDisk card (CRC stripped by the host), records, offloads and reclaims', async () => {
    const sandisk = REAL_CARDS[1];
    await tree.insert({ label: 'sandisk', cid: sandisk.cid, attrs: sandisk.attrs });
    await poll();
    expect(guard.readiness()).toBe('refused');
    await guard.registerCard(authorize('register-card', { cid: sandisk.cid, inventoryNumber: 'INV-SD-0042' }));
    expect(guard.readiness()).toBe('ready');

    const data = new TextEncoder().encode('h264 bytes '.repeat(100));
    const f = await guard.storage.openAppend('video/000001.h264');
    await f.append(data);
    await f.sync();
    await f.close();
    const file = await guard.evidence.add({ path: 'video/000001.h264', size: data.length, sha256: sha256Hex(data), kind: 'video', startWall: START, endWall: START + 60_000 });
    await expect(guard.evidence.remove(file.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    await guard.evidence.acceptReceipt({ path: file.path, size: file.size, sha256: file.sha256, server: 'storage-1', storedAt: START });
    await guard.evidence.remove(file.path);
    expect(journal.types()).toContain('storage-reclaimed');
    expect((await slot.storage.list()).map((x) => x.path)).toEqual(['dozor/evidence-index.log', 'dozor/index-reserve.bin', 'dozor/registration.token']);
  });

  it('R-CARD-3: a pulled card is journalled and alerted; a CID clone in its place is refused', async () => {
    const phison = REAL_CARDS[0];
    await tree.insert({ label: 'phison', cid: phison.cid, attrs: phison.attrs });
    await poll();
    await guard.registerCard(authorize('register-card', { cid: phison.cid, inventoryNumber: 'INV-SD-0001' }));
    await tree.remove();
    await poll();
    expect(guard.readiness()).toBe('absent');
    expect(journal.of('card-removed')[0]).toMatchObject({ cid: phison.cid, duringDuty: true });
    expect(alerts.of('card-removed')).toHaveLength(1);

    await tree.insert({ label: 'counterfeit', cid: phison.cid, attrs: phison.attrs });
    await poll();
    expect(guard.readiness()).toBe('refused');
    expect(guard.status().card.refusal).toBe('token-missing');

    await tree.remove();
    await tree.insert({ label: 'phison', cid: phison.cid, attrs: phison.attrs });
    await poll();
    expect(guard.readiness()).toBe('ready');
  });

  it('R-CARD-2: the seal switch edge is a tamper event at once; reseal needs the cover closed', async () => {
    await guard.reseal(authorize('reseal', {}));
    seal.set(0);
    expect(alerts.of('seal-opened')[0]).toMatchObject({ severity: 'critical', at: clock.wallTime() });
    await guard.settled();
    expect(journal.of('seal-opened')).toHaveLength(1);
    await expect(guard.reseal(authorize('reseal', {}))).rejects.toMatchObject({ reason: 'seal-open' });
    seal.set(1);
    await guard.reseal(authorize('reseal', {}));
    expect(guard.sealStatus().intact).toBe(true);
  });
});
