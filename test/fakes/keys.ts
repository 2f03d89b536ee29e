/** Test keys and signed authorisations for the recorder firmware's tests. */
import { Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import { signAuthorization, type AuthorizedAction, type Role, type SignedAuthorization, type TrustedKey } from '../../protocol/authorization.ts';

export const SERIAL = 'DZ-BC-0001';
export const INVENTORY = 'INV-7731';

export interface Signer {
  key: Ed25519PrivateKey;
  name: string;
  role: Role;
  counter: number;
}

export function makeSigner(name: string, role: Role): Signer {
  return { key: new Ed25519PrivateKey(deriveTestSeed(`${role}:${name}`)), name, role, counter: 0 };
}

export const trustedKeyOf = (s: Signer): TrustedKey => ({ keyId: s.key.keyId, name: s.name, role: s.role, publicKey: s.key.publicKey });

/** Signs the next authorisation of `signer` (counter increases by one each time). */
export function authorise(signer: Signer, action: AuthorizedAction, params: Record<string, unknown>, opts: { device?: string; issuedAt?: number; counter?: number } = {}): SignedAuthorization {
  const counter = opts.counter ?? ++signer.counter;
  return signAuthorization(signer.key, { action, device: opts.device ?? SERIAL, signer: signer.name, counter, issuedAt: opts.issuedAt ?? 0, params });
}

export function standardSigners() {
  const responsible = makeSigner('Cpt. Responsible', 'responsible');
  const duty = makeSigner('Lt. Duty Officer', 'duty-officer');
  return { responsible, duty, trusted: [trustedKeyOf(responsible), trustedKeyOf(duty)] };
}
