import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RealClock } from '../../hal/real-clock.ts';
import { CryptoRandom } from '../../hal/random.ts';
import { TcpListener, connectTcp } from '../../hal/net/tcp.ts';
import { TEST_KEYS, testTrustedKeys } from '../../protocol/test-keys.ts';
import { createVirtualDevice } from '../sim/virtual-device.ts';
import { EvidenceStore } from '../evidence/store.ts';
import { DockStation } from './station.ts';
import { CASES, formatTable, runDeviceSuite, runDockSuite } from './conformance.ts';

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function deviceOnTcp(o: Parameters<typeof createVirtualDevice>[0]) {
  const dev = await createVirtualDevice(o);
  const listener = await TcpListener.listen({ host: '127.0.0.1', port: 0 });
  const links = dev.serve(listener);
  cleanup.push(() => listener.close(), () => links.close());
  return { dev, address: listener.address };
}

describe('conformance kit', () => {
  it('our virtual device passes every device case (over TCP)', async () => {
    const clock = new RealClock();
    const { address } = await deviceOnTcp({ clock, segments: 3, segmentBytes: 300_000 });
    const results = await runDeviceSuite({ connect: () => connectTcp(address), clock, allowReceipts: true });
    expect(results.map((r) => r.id)).toEqual(CASES.map((c) => c.id));
    expect(results.filter((r) => r.outcome !== 'pass'), formatTable(results)).toEqual([]);
  });

  it('our dock passes every dock case that applies to docks (over TCP)', async () => {
    const clock = new RealClock();
    const dir = await mkdtemp(path.join(tmpdir(), 'dozor-conf-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const store = await EvidenceStore.open(dir);
    cleanup.push(() => store.close());
    const station = new DockStation({ store, key: TEST_KEYS.dock, name: 'dock-under-test', clock, keepaliveMs: 0 });
    const listener = await TcpListener.listen({ host: '127.0.0.1', port: 0 });
    station.serve(listener);
    cleanup.push(() => listener.close(), () => station.close());
    const results = await runDockSuite({ connect: () => connectTcp(listener.address), clock, random: new CryptoRandom(), dockKey: TEST_KEYS.dock.publicKey });
    expect(results.filter((r) => r.outcome === 'fail'), formatTable(results)).toEqual([]);
    expect(results.filter((r) => r.outcome === 'pass').map((r) => r.id)).toEqual([
      'handshake',
      'bad-crc',
      'oversize-frame',
      'unknown-type',
      'interrupted-transfer',
      'no-deletion-before-receipt',
      'time-sync',
    ]);
  });

  it('fails a device that trusts a key it should not (wrong-key case)', async () => {
    const clock = new RealClock();
    const lax = [...testTrustedKeys(), { keyId: TEST_KEYS.stranger.keyId, name: 'someone', role: 'responsible' as const, publicKey: TEST_KEYS.stranger.publicKey }];
    const { address } = await deviceOnTcp({ clock, segments: 1, segmentBytes: 1000, trusted: lax });
    const results = await runDeviceSuite({ connect: () => connectTcp(address), clock, only: ['wrong-key-command', 'handshake'] });
    expect(results.find((r) => r.id === 'handshake')?.outcome).toBe('pass');
    const wrong = results.find((r) => r.id === 'wrong-key-command')!;
    expect(wrong.outcome).toBe('fail');
    expect(wrong.detail).toMatch(/EAUTH_UNKNOWN_KEY/);
    expect(formatTable(results)).toMatch(/1 passed, 1 failed/);
  });
});
