import { describe, expect, it } from 'vitest';
import { Ed25519PrivateKey, deriveTestSeed } from './crypto.ts';
import type { AuthorizationError} from './authorization.ts';
import { ReplayGuard, signAuthorization, verifyAuthorization, type TrustedKey } from './authorization.ts';

const responsible = new Ed25519PrivateKey(deriveTestSeed('responsible'));
const officer = new Ed25519PrivateKey(deriveTestSeed('duty-officer'));
const stranger = new Ed25519PrivateKey(deriveTestSeed('stranger'));
const trusted: TrustedKey[] = [
  { keyId: responsible.keyId, name: 'Capt. Responsible', role: 'responsible', publicKey: responsible.publicKey },
  { keyId: officer.keyId, name: 'Lt. Duty', role: 'duty-officer', publicKey: officer.publicKey },
];
const make = (key: Ed25519PrivateKey, action: 'set-time' | 'pause', counter: number, device = 'BC-0001') =>
  signAuthorization(key, { action, device, signer: 'x', counter, issuedAt: 1, params: {} });
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as AuthorizationError).reason;
  }
  return 'accepted';
};

describe('signed authorisations', () => {
  it('R-TIME-2: accepts a time set signed by the responsible person, once', () => {
    const replay = new ReplayGuard();
    const auth = make(responsible, 'set-time', 7);
    expect(verifyAuthorization(auth, { device: 'BC-0001', trusted, replay, action: 'set-time' }).counter).toBe(7);
    expect(reason(() => verifyAuthorization(auth, { device: 'BC-0001', trusted, replay }))).toBe('replayed');
    expect(replay.toJSON()).toEqual({ [responsible.keyId]: 7 });
  });

  it('R-TIME-2: refuses a time set signed by a duty officer, an unknown key, or for another device', () => {
    const opts = () => ({ device: 'BC-0001', trusted, replay: new ReplayGuard() });
    expect(reason(() => verifyAuthorization(make(officer, 'set-time', 1), opts()))).toBe('role-not-allowed');
    expect(reason(() => verifyAuthorization(make(stranger, 'set-time', 1), opts()))).toBe('unknown-key');
    expect(reason(() => verifyAuthorization(make(responsible, 'set-time', 1, 'BC-0002'), opts()))).toBe('wrong-device');
    expect(reason(() => verifyAuthorization(make(officer, 'pause', 1), { ...opts(), action: 'set-time' }))).toBe('wrong-action');
  });

  it('detects any change to the signed body or the signature', () => {
    const auth = make(officer, 'pause', 3);
    for (let i = 0; i < auth.body.length; i++) {
      const body = auth.body.slice();
      body[i] ^= 0x01;
      const r = reason(() => verifyAuthorization({ body, signature: auth.signature }, { device: 'BC-0001', trusted, replay: new ReplayGuard() }));
      expect(['malformed', 'bad-signature', 'unknown-key']).toContain(r);
    }
    const signature = auth.signature.slice();
    signature[10] ^= 0x80;
    expect(reason(() => verifyAuthorization({ body: auth.body, signature }, { device: 'BC-0001', trusted, replay: new ReplayGuard() }))).toBe('bad-signature');
  });
});
