/**
 * The key that authenticates the evidence index on the card. Anyone holding the card in a reader
 * can edit plain files; an inserted "receipt" line would let the device reclaim evidence the
 * server never got. Each index line therefore carries an HMAC under a key only this device can
 * compute: derived from its Ed25519 key by signing a fixed label (RFC 8032 signatures are
 * deterministic, so the key is stable; without the private key it cannot be computed).
 */
import type { Ed25519PrivateKey } from '../../protocol/crypto.ts';
import { sha256 } from '../../protocol/crypto.ts';

const LABEL = new TextEncoder().encode('dozor-evidence-index-key-v1');

export function deriveEvidenceIndexKey(deviceKey: Ed25519PrivateKey): Uint8Array {
  return sha256(deviceKey.sign(LABEL));
}
