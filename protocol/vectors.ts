/**
 * Test vectors: one sample of every message, plus the signed objects, built only from the
 * public test keys so every byte is reproducible (Ed25519 signatures are deterministic).
 * `docs/protocol.md` §12 lists them; `protocol/vectors.test.ts` checks that every hex string in
 * the document is exactly what this implementation encodes and that it decodes back.
 *
 * Regenerate the document section with: node --import tsx protocol/vectors.ts
 */
import { signAuthorization, type SignedAuthorization } from './authorization.ts';
import { sha256, toHex } from './crypto.ts';
import { signReceipt, signTimeAttestation, type SignedStatement } from './dock-statements.ts';
import { encodeFrame } from './framing.ts';
import { crc32 } from './crc32.ts';
import { encodeMessageParts, typeOf, type MessageName, type Payload } from './messages.ts';
import { TEST_KEYS } from './test-keys.ts';

export interface MessageVector<N extends MessageName = MessageName> {
  name: N;
  seq: number;
  ack: number;
  payload: Payload<N>;
}

const T0 = 1795420800000; // 2026-11-23T08:00:00Z
const DEVICE = 'BC-0001';
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i);
const DATA = new TextEncoder().encode('dozor chunk data');
const FILE_A = new TextEncoder().encode('segment 000001');
const SHA_A = sha256(FILE_A);

export const VECTOR_AUTHORIZATION: SignedAuthorization = signAuthorization(TEST_KEYS.responsible, {
  action: 'set-time',
  device: DEVICE,
  signer: 'Capt. Responsible',
  counter: 1,
  issuedAt: T0,
  params: { time: T0 + 1500 },
});

export const VECTOR_TIME_ATTESTATION: SignedStatement = signTimeAttestation(TEST_KEYS.dock, { device: DEVICE, nonce: NONCE, time: T0, host: 'dock-01' });

export const VECTOR_RECEIPT: SignedStatement = signReceipt(TEST_KEYS.dock, {
  device: DEVICE,
  path: 'video/000001.h264',
  size: FILE_A.length,
  sha256: SHA_A,
  storedAt: T0 + 60_000,
  store: 'dock-01',
});

function v<N extends MessageName>(name: N, seq: number, ack: number, payload: Payload<N>): MessageVector<N> {
  return { name, seq, ack, payload };
}

export const MESSAGE_VECTORS: MessageVector[] = [
  v('hello', 1, 0, { proto: 1, role: 'dock', host: 'dock-01', keyId: TEST_KEYS.dock.keyId, publicKey: TEST_KEYS.dock.publicKey, time: T0, maxFrame: 263168 }),
  v('device-info', 1, 1, {
    proto: 1,
    device: DEVICE,
    kind: 'bodycam',
    model: 'Dozor BC-1',
    firmware: '0.1.0',
    inventory: 'INV-0042',
    nonce: NONCE,
    maxFrame: 263168,
    time: T0 + 2300,
    clockTrusted: true,
  }),
  v('ping', 2, 0, {}),
  v('pong', 2, 2, {}),
  v('bye', 9, 0, { reason: 'undocked' }),
  v('error', 3, 5, { code: 'ESTATE', message: 'status-get is not allowed before hello' }),
  v('ok', 4, 6, {}),
  v('status-get', 3, 0, {}),
  v('status', 5, 3, {
    time: T0 + 2500,
    clockTrusted: true,
    batteryHours: 11.5,
    batteries: [
      { slot: 0, present: true, soc: 72 },
      { slot: 1, present: true, soc: 71.5 },
    ],
    externalPower: true,
    charging: true,
    seal: 'closed',
    card: { present: true, cid: '035344535533324780000000010167a0', inventory: 'CARD-0042', registered: true },
    onDuty: false,
    issued: false,
    pendingFiles: 96,
    pendingBytes: 25165824,
  }),
  v('charge', 4, 0, { enable: true }),
  v('time-sync', 5, 0, { att: { body: VECTOR_TIME_ATTESTATION.body, sig: VECTOR_TIME_ATTESTATION.signature } }),
  v('time-result', 6, 5, { driftMs: 2300, applied: true, reason: 'applied' }),
  v('command', 6, 0, { auth: { body: VECTOR_AUTHORIZATION.body, sig: VECTOR_AUTHORIZATION.signature } }),
  v('command-result', 7, 6, { action: 'set-time', counter: 1, result: { oldTime: T0 + 2400, newTime: T0 + 1500 } }),
  v('list-files', 7, 0, { limit: 200 }),
  v('file-list', 8, 7, {
    files: [{ path: 'video/000001.h264', size: FILE_A.length, sha256: SHA_A, kind: 'video', start: T0 - 300_000, end: T0 }],
    more: false,
  }),
  v('read', 8, 0, { path: 'video/000001.h264', offset: 0, length: 1048576, sha256: SHA_A }),
  v('chunk', 9, 8, { offset: 0, crc: crc32(DATA), data: DATA }),
  v('receipt', 9, 0, { receipt: { body: VECTOR_RECEIPT.body, sig: VECTOR_RECEIPT.signature } }),
  v('receipt-ack', 10, 9, { path: 'video/000001.h264', sha256: SHA_A, state: 'accepted' }),
  v('alert', 11, 0, { id: 'A-000017', kind: 'seal-opened', at: T0 + 5000, detail: { duringDuty: false } }),
];

export function vectorFrame(vec: MessageVector): Uint8Array {
  return encodeFrame(encodeMessageParts(vec.name, vec.payload as never, vec.seq, vec.ack));
}

/** CBOR-diagnostic-like rendering of a payload: byte strings as h'…'. */
export function render(value: unknown): string {
  if (value instanceof Uint8Array) return `h'${toHex(value)}'`;
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `"${k}": ${render(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function wrap(hex: string, width = 96): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += width) lines.push(hex.slice(i, i + width));
  return lines.join('\n');
}

/** The markdown of docs/protocol.md §12 (between the vector markers). */
export function vectorsMarkdown(): string {
  const out: string[] = [];
  const signed = (title: string, s: SignedStatement | SignedAuthorization, domain: string) => {
    out.push(`#### ${title}`, '', `Signed message: \`${domain}\` ‖ body.`, '', '```text', `body      ${wrap(toHex(s.body), 80).replace(/\n/g, '\n          ')}`, `signature ${wrap(toHex(s.signature), 80).replace(/\n/g, '\n          ')}`, '```', '');
  };
  signed(`Authorisation (set-time, signed by the test responsible key ${TEST_KEYS.responsible.keyId})`, VECTOR_AUTHORIZATION, 'dozor-auth-v1\\0');
  signed(`Time attestation (test dock key ${TEST_KEYS.dock.keyId})`, VECTOR_TIME_ATTESTATION, 'dozor-time-v1\\0');
  signed(`Receipt (test dock key ${TEST_KEYS.dock.keyId})`, VECTOR_RECEIPT, 'dozor-receipt-v1\\0');
  for (const vec of MESSAGE_VECTORS) {
    const type = typeOf(vec.name);
    out.push(
      `#### ${vec.name} (0x${type.toString(16).padStart(2, '0')}) seq ${vec.seq} ack ${vec.ack}`,
      '',
      '```text',
      `payload ${render(vec.payload)}`,
      `frame   ${wrap(toHex(vectorFrame(vec)), 96).replace(/\n/g, '\n        ')}`,
      '```',
      '',
    );
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(vectorsMarkdown());
}
