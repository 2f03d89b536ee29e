import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { RealClock } from '../../hal/real-clock.ts';
import { LinkPair } from '../../sim/link-pair.ts';
import { DeviceSession } from '../../protocol/device-session.ts';
import { sha256Hex } from '../../protocol/crypto.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { verifyReceipt } from '../../protocol/dock-statements.ts';
import { testTrustedKeys } from '../../protocol/test-keys.ts';
import { createVirtualDevice, type VirtualDevice } from '../sim/virtual-device.ts';
import { EvidenceStore } from '../evidence/store.ts';
import { DockStation } from './station.ts';
import { authorize } from '../../test/dock-harness.ts';

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function tempStore(): Promise<EvidenceStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dozor-dock-'));
  const store = await EvidenceStore.open(dir);
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => store.close());
  return store;
}

function station(store: EvidenceStore, clock = new RealClock()): DockStation {
  const s = new DockStation({ store, key: TEST_KEYS.dock, name: 'dock-test', clock, window: 64 * 1024, keepaliveMs: 0 });
  cleanup.push(() => s.close());
  return s;
}

/** Docks the device on a fresh in-memory link; resolves when the link closes. */
function dockOnce(st: DockStation, dev: VirtualDevice, cutAfterBytes?: number) {
  const pair = new LinkPair({ cutAfterBytes });
  const session = new DeviceSession({ link: pair.b, clock: dev.clock, random: dev.random, handlers: dev.service });
  const running = session.run();
  const done = st.attach(pair.a);
  return { pair, session, running, done };
}

async function dockUntilOffloaded(st: DockStation, dev: VirtualDevice) {
  const offloaded = firstValueFrom(st.offloaded$.pipe(filter((e) => e.device === dev.identity.device)));
  const d = dockOnce(st, dev);
  const { summary } = await offloaded;
  return { ...d, summary };
}

describe('dock station', () => {
  it('R-OFF-1, R-OFF-2: offloads a docked device into the content-addressed store and hands out verifiable receipts', async () => {
    const store = await tempStore();
    const st = station(store);
    const dev = await createVirtualDevice({ clock: new RealClock(), segments: 3, segmentBytes: 200_000 });
    const d = await dockUntilOffloaded(st, dev);
    expect(d.summary).toMatchObject({ files: 3, bytes: 600_000, failed: [] });
    const items = store.items(dev.identity.device);
    expect(items).toHaveLength(3);
    for (const item of items) {
      const onDevice = await dev.card.read(item.originalPath);
      expect(item.sha256).toBe(sha256Hex(onDevice));
      expect(sha256Hex(await readFile(store.objectPath(item.sha256)))).toBe(item.sha256);
      expect(item).toMatchObject({ deviceInventory: dev.identity.inventory, cardInventory: dev.app.card.inventory, kind: 'video' });
      expect(item.recordedStart).toBeTypeOf('number');
      const r = verifyReceipt({ body: item.receiptBody!, signature: item.receiptSig! }, { device: dev.identity.device, trusted: testTrustedKeys(), file: { path: item.originalPath, size: item.size, sha256: item.sha256 } });
      expect(r.store).toBe('dock-test');
      expect(item.receiptAckedAt).toBeTypeOf('number');
    }
    expect(await dev.source.pending()).toEqual([]);
    expect(dev.journal.ofType('offload-receipt')).toHaveLength(3);
    expect(dev.app.charging).toBe(true);
    expect(dev.journal.ofType('time-drift')).toHaveLength(1);
    await d.pair.a.close();
  });

  it('R-PWR-4: refuses to issue a device whose battery cannot cover the shift, before the device sees it', async () => {
    const store = await tempStore();
    const st = station(store);
    const dev = await createVirtualDevice({ clock: new RealClock(), segments: 1, segmentBytes: 1000, batteryHours: 6 });
    const d = await dockUntilOffloaded(st, dev);
    const issue = authorize(TEST_KEYS.responsible, 'issue', dev.identity.device, { plannedShiftHours: 8, officer: 'Sgt. Petrov' });
    await expect(st.forward(dev.identity.device, issue)).rejects.toMatchObject({ code: 'EBATTERY' });
    expect(dev.app.issued).toBe(false);
    expect(dev.journal.ofType('issue-refused')).toEqual([]); // never reached the device
    expect(store.events(dev.identity.device).map((e) => e.kind)).toContain('issue-refused');
    expect(store.issueJournal()).toEqual([]);
    await d.pair.a.close();
  });

  it('R-LOG-2: issue and return are forwarded and journalled with signer, times and the offload time', async () => {
    const store = await tempStore();
    const st = station(store);
    const dev = await createVirtualDevice({ clock: new RealClock(), segments: 2, segmentBytes: 5000 });
    const first = await dockUntilOffloaded(st, dev);
    await st.forward(dev.identity.device, authorize(TEST_KEYS.dutyOfficer, 'issue', dev.identity.device, { plannedShiftHours: 8, officer: 'Sgt. Petrov' }, { signer: 'Lt. Duty' }));
    expect(dev.app.issued).toBe(true);
    await first.pair.a.close();
    await first.done;
    // The shift: new recordings. Back in the dock: return, then automatic offload.
    await dev.source.addRecordings(dev.random, { segments: 2, segmentBytes: 5000, startWall: Date.now() });
    const offloaded = firstValueFrom(st.offloaded$.pipe(filter((e) => e.device === dev.identity.device)));
    const second = dockOnce(st, dev);
    await st.waitDocked(dev.identity.device, 10_000);
    await st.forward(dev.identity.device, authorize(TEST_KEYS.responsible, 'return', dev.identity.device, { note: 'no damage' }, { signer: 'Capt. Responsible' }));
    await offloaded;
    const [row] = store.issueJournal(dev.identity.device);
    expect(row).toMatchObject({ no: 1, inventoryNumber: dev.identity.inventory, holder: 'Sgt. Petrov', issuedBy: 'Lt. Duty', returnedBy: 'Capt. Responsible', note: 'no damage', plannedHours: 8 });
    expect(row.returnedAt).toBeGreaterThanOrEqual(row.issuedAt);
    expect(row.offloadedAt).toBeGreaterThanOrEqual(row.issuedAt);
    expect(store.items(dev.identity.device)).toHaveLength(4);
    await second.pair.a.close();
  });

  it('R-OFF-2 (property): links cut at random points — every file arrives once, intact, and is only released after a durable copy exists', async () => {
    const clock = new RealClock();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 360_000 }), { minLength: 1, maxLength: 4 }), async (cuts) => {
        const store = await tempStore();
        const st = new DockStation({ store, key: TEST_KEYS.dock, name: 'dock-prop', clock, window: 32 * 1024, keepaliveMs: 0 });
        const dev = await createVirtualDevice({ clock, segments: 3, segmentBytes: 100_000, seed: cuts[0] });
        const originals = new Map((await dev.source.all()).map((f) => [f.path, f.sha256]));
        const released: string[] = [];
        // The device reclaims space as soon as a file is receipted — the most aggressive policy a
        // deletion guard could allow. Check, at that moment, that the dock really holds the copy.
        const accept = dev.source.acceptReceipt.bind(dev.source);
        dev.source.acceptReceipt = async (r) => {
          const state = await accept(r);
          const obj = await readFile(store.objectPath(r.sha256));
          expect(sha256Hex(obj)).toBe(r.sha256);
          expect(store.items(dev.identity.device).some((i) => i.sha256 === r.sha256 && i.originalPath === r.path)).toBe(true);
          if (state === 'accepted') {
            await dev.card.remove(r.path);
            released.push(r.path);
          }
          return state;
        };
        let complete = false;
        for (const cut of [...cuts, undefined]) {
          if (complete) break;
          const offloaded = firstValueFrom(st.offloaded$.pipe(filter((e) => e.device === dev.identity.device)));
          offloaded.catch(() => {});
          const d = dockOnce(st, dev, cut);
          // A docking ends when the cut breaks the link, or the offload finishes first.
          complete = await Promise.race([offloaded.then(() => true), d.done.then(() => false)]);
          await d.pair.a.close();
          await d.done;
          await d.running;
        }
        expect(complete).toBe(true);
        await st.close();
        const items = store.items(dev.identity.device);
        expect(items.map((i) => i.originalPath).sort()).toEqual([...originals.keys()].sort());
        for (const i of items) expect(i.sha256).toBe(originals.get(i.originalPath));
        expect(released.sort()).toEqual([...originals.keys()].sort());
        expect(new Set(released).size).toBe(released.length);
        expect(dev.journal.ofType('offload-receipt')).toHaveLength(originals.size);
      }),
      { numRuns: 15 },
    );
  });
});
