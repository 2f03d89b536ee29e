/**
 * The evidence store's vocabulary. A receipt reaches the store only after the protocol layer has
 * verified the storage server's signature over it (docs/card-registration.md, "Receipts"): the
 * store then checks that it names exactly a file it holds — same path, same size, same SHA-256.
 */
export type EvidenceKind = 'video' | 'audio' | 'still' | 'metadata' | 'journal';
export const EVIDENCE_KINDS: readonly EvidenceKind[] = ['video', 'audio', 'still', 'metadata', 'journal'];

/** What the recorder tells the store about a closed, durable file on the card. */
export interface NewEvidence {
  path: string;
  size: number;
  /** SHA-256 of the whole file, 64 lower-case hex digits (hashed while written). */
  sha256: string;
  kind: EvidenceKind;
  /** Device wall time of the first and last moment the file covers (ms since epoch). */
  startWall: number;
  endWall: number;
}

/** A server-signed receipt, already verified by the protocol layer. */
export interface EvidenceReceipt {
  /** Path of the file on the card, as offered in the offload. */
  path: string;
  /** Bytes the server stored. */
  size: number;
  /** SHA-256 the server computed over what it stored. */
  sha256: string;
  /** Which server signed (its name or key id): journalled. */
  server: string;
  /** Server time when the copy became durable (ms since epoch). */
  storedAt: number;
}

export interface EvidenceFile extends NewEvidence {
  /** Device wall time when it was indexed. */
  addedAt: number;
  /** The accepted receipt, or null while the file awaits offload. */
  receipt: (EvidenceReceipt & { acceptedAt: number }) | null;
}
