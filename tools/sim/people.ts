/**
 * The people around a simulated device and their keys: the responsible person, the duty
 * officer, the dock, and a stranger whose key the device does not trust. Keys derive from fixed
 * labels and the device from the seed, so every run with the same seed signs the same bytes.
 */
import { Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import { signAuthorization, type AuthorizedAction, type Role, type SignedAuthorization, type TrustedKey } from '../../protocol/authorization.ts';
import type { ProvisionedIdentity } from '../../firmware/device.ts';

export type SignerName = 'responsible' | 'duty-officer' | 'dock' | 'stranger';

export interface Person {
  name: string;
  role: Role;
  key: Ed25519PrivateKey;
  counter: number;
}

export class People {
  readonly people: Record<SignerName, Person>;

  constructor(private readonly deviceSerial: string) {
    const person = (name: string, role: Role, label: string): Person => ({ name, role, key: new Ed25519PrivateKey(deriveTestSeed(label)), counter: 0 });
    this.people = {
      responsible: person('Capt. A. Serikov (responsible)', 'responsible', 'sim:responsible'),
      'duty-officer': person('Lt. B. Nurlanova (duty officer)', 'duty-officer', 'sim:duty-officer'),
      dock: person('Dock station 1', 'dock', 'sim:dock'),
      stranger: person('Unknown key', 'responsible', 'sim:stranger'),
    };
  }

  /** Keys provisioned on the device: everyone but the stranger. */
  trusted(): TrustedKey[] {
    return (['responsible', 'duty-officer', 'dock'] as const).map((n) => {
      const p = this.people[n];
      return { keyId: p.key.keyId, name: p.name, role: p.role, publicKey: p.key.publicKey };
    });
  }

  sign(who: SignerName, action: AuthorizedAction, params: Record<string, unknown>, issuedAt: number): SignedAuthorization {
    const p = this.people[who];
    p.counter += 1;
    return signAuthorization(p.key, { action, device: this.deviceSerial, signer: p.name, counter: p.counter, issuedAt, params });
  }
}

/** The device's provisioned identity for a seed. */
export function simulatedIdentity(seed: number, people: People, variant: string): ProvisionedIdentity {
  const prefix = variant === 'vehicle' ? 'VR' : variant === 'radar' ? 'RD' : 'BC';
  return {
    serial: `${prefix}-SIM-${String(seed).padStart(6, '0')}`,
    inventoryNumber: `INV-${prefix}-${String(1000 + (seed % 9000)).padStart(4, '0')}`,
    deviceKey: new Ed25519PrivateKey(deriveTestSeed(`sim:device:${variant}:${seed}`)),
    trustedKeys: people.trusted(),
  };
}
