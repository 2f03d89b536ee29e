import { describe, expect, it } from 'vitest';
import { PersistentAuthorizationGate, ReplayStateCorruptError } from './authorization-gate.ts';
import { AuthorizationError, signAuthorization, type TrustedKey } from '../../protocol/authorization.ts';
import { Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { StorageFullError } from '../../hal/errors.ts';

const responsible = new Ed25519PrivateKey(deriveTestSeed('responsible'));
const trusted: TrustedKey[] = [{ keyId: responsible.keyId, name: 'Lt. A. Ivanova', role: 'responsible', publicKey: responsible.publicKey }];
const auth = (counter: number, action: 'register-card' | 'reseal' = 'reseal') =>
  signAuthorization(responsible, { action, device: 'BC-0001', signer: 'Lt. A. Ivanova', counter, issuedAt: 0, params: {} });

function storage(capacityBytes = 1 << 20): SimStorage {
  return new SimStorage({ name: 'internal', capacityBytes, random: new SeededRandom(1) });
}

describe('persistent authorisation gate (replay guard on internal storage)', () => {
  it('consumes each counter once, durably: a restart still refuses the replay', async () => {
    const s = storage();
    const gate = await PersistentAuthorizationGate.open({ storage: s, device: 'BC-0001', trusted });
    expect((await gate.authorize(auth(5), 'reseal')).counter).toBe(5);
    await expect(gate.authorize(auth(5), 'reseal')).rejects.toMatchObject({ reason: 'replayed' });
    s.powerCut();
    const again = await PersistentAuthorizationGate.open({ storage: s, device: 'BC-0001', trusted });
    await expect(again.authorize(auth(4), 'reseal')).rejects.toMatchObject({ reason: 'replayed' });
    expect((await again.authorize(auth(6), 'reseal')).counter).toBe(6);
  });

  it('checks the action: an authorisation for one action cannot be used for another', async () => {
    const gate = await PersistentAuthorizationGate.open({ storage: storage(), device: 'BC-0001', trusted });
    await expect(gate.authorize(auth(1, 'register-card'), 'reseal')).rejects.toMatchObject({ reason: 'wrong-action' });
    expect(gate.counters()).toEqual({});
  });

  it('does not consume a counter it could not persist, so the command can be sent again', async () => {
    const s = storage(10);
    const gate = await PersistentAuthorizationGate.open({ storage: s, device: 'BC-0001', trusted });
    await expect(gate.authorize(auth(1), 'reseal')).rejects.toBeInstanceOf(StorageFullError);
    expect(gate.counters()).toEqual({});
  });

  it('serialises concurrent authorisations with the same counter: exactly one wins', async () => {
    const gate = await PersistentAuthorizationGate.open({ storage: storage(), device: 'BC-0001', trusted });
    const results = await Promise.allSettled([gate.authorize(auth(9), 'reseal'), gate.authorize(auth(9), 'reseal')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(AuthorizationError);
  });

  it('refuses to start on unreadable replay state rather than forget used counters', async () => {
    const s = storage();
    await s.writeAtomic('auth/replay-counters.json', new TextEncoder().encode('{"abc": -1}'));
    await expect(PersistentAuthorizationGate.open({ storage: s, device: 'BC-0001', trusted })).rejects.toBeInstanceOf(ReplayStateCorruptError);
  });
});
