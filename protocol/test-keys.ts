/**
 * The public test provisioning (docs/protocol.md §11): keys derived from fixed labels, so a
 * simulated device, our dock and the conformance kit trust each other out of the box. Their
 * private halves are public knowledge: never provision them on a real device.
 */
import type { TrustedKey } from './authorization.ts';
import { Ed25519PrivateKey, deriveTestSeed } from './crypto.ts';

export const TEST_KEY_LABELS = {
  dock: 'dock',
  responsible: 'responsible',
  dutyOfficer: 'duty-officer',
  unitHead: 'unit-head',
  stranger: 'stranger',
} as const;

export const TEST_KEYS = {
  /** Signs receipts and time attestations (role dock). */
  dock: new Ed25519PrivateKey(deriveTestSeed(TEST_KEY_LABELS.dock)),
  /** The responsible person: time, cards, seals, issue/return, corrections. */
  responsible: new Ed25519PrivateKey(deriveTestSeed(TEST_KEY_LABELS.responsible)),
  /** The duty officer: pauses, issue/return. */
  dutyOfficer: new Ed25519PrivateKey(deriveTestSeed(TEST_KEY_LABELS.dutyOfficer)),
  unitHead: new Ed25519PrivateKey(deriveTestSeed(TEST_KEY_LABELS.unitHead)),
  /** Provisioned nowhere: what a forger would use. */
  stranger: new Ed25519PrivateKey(deriveTestSeed(TEST_KEY_LABELS.stranger)),
};

/** Keys a test-provisioned device trusts. */
export function testTrustedKeys(): TrustedKey[] {
  return [
    { keyId: TEST_KEYS.dock.keyId, name: 'Test dock', role: 'dock', publicKey: TEST_KEYS.dock.publicKey },
    { keyId: TEST_KEYS.responsible.keyId, name: 'Test Responsible', role: 'responsible', publicKey: TEST_KEYS.responsible.publicKey },
    { keyId: TEST_KEYS.dutyOfficer.keyId, name: 'Test Duty Officer', role: 'duty-officer', publicKey: TEST_KEYS.dutyOfficer.publicKey },
    { keyId: TEST_KEYS.unitHead.keyId, name: 'Test Unit Head', role: 'unit-head', publicKey: TEST_KEYS.unitHead.publicKey },
  ];
}
