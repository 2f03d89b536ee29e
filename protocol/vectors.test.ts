import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MESSAGE_VECTORS, vectorsMarkdown } from './vectors.ts';
import { FrameDecoder } from './framing.ts';
import { decodeMessage } from './messages.ts';
import { fromHex, toHex } from './crypto.ts';
import { ReplayGuard, verifyAuthorization } from './authorization.ts';
import { verifyReceipt, verifyTimeAttestation } from './dock-statements.ts';
import { testTrustedKeys } from './test-keys.ts';

const doc = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../docs/protocol.md'), 'utf8');
const section = doc.slice(doc.indexOf('<!-- vectors:start -->') + '<!-- vectors:start -->'.length, doc.indexOf('<!-- vectors:end -->'));

/** Hex after a label in a ```text block, continuation lines included. */
function hexAfter(block: string, label: string): string {
  const lines = block.split('\n');
  const i = lines.findIndex((l) => l.startsWith(label));
  let hex = lines[i].slice(label.length).trim();
  for (let j = i + 1; j < lines.length && /^\s+[0-9a-f]+$/.test(lines[j]); j++) hex += lines[j].trim();
  return hex;
}

function blocks(): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of section.split('\n#### ').slice(1)) out.set(part.slice(0, part.indexOf('\n')), part);
  return out;
}

const normal = (v: unknown): unknown =>
  v instanceof Uint8Array ? `h'${toHex(v)}'` : Array.isArray(v) ? v.map(normal) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)])) : v;

describe('test vectors in docs/protocol.md', () => {
  it('are exactly what this implementation generates', () => {
    expect(section.trim()).toBe(vectorsMarkdown().trim());
  });

  it('every message frame in the document decodes to its payload, seq and ack', () => {
    const byTitle = blocks();
    expect(MESSAGE_VECTORS).toHaveLength(21);
    for (const v of MESSAGE_VECTORS) {
      const title = [...byTitle.keys()].find((t) => t.startsWith(`${v.name} (`) && t.endsWith(`seq ${v.seq} ack ${v.ack}`));
      expect(title, v.name).toBeDefined();
      const frame = fromHex(hexAfter(byTitle.get(title!)!, 'frame'));
      const bodies: Uint8Array[] = [];
      new FrameDecoder({ maxBody: 1 << 20 }).push(frame, (r, crc) => {
        expect(r).toBeInstanceOf(Uint8Array);
        bodies.push(r as Uint8Array);
        const m = decodeMessage(r as Uint8Array, crc);
        expect({ name: m.name, seq: m.seq, ack: m.ack, payload: normal(m.payload) }).toEqual({ name: v.name, seq: v.seq, ack: v.ack, payload: normal(v.payload) });
      });
      expect(bodies).toHaveLength(1);
    }
  });

  it('the signed objects in the document verify with the public test keys', () => {
    const byTitle = blocks();
    const find = (prefix: string) => byTitle.get([...byTitle.keys()].find((t) => t.startsWith(prefix))!)!;
    const signed = (prefix: string) => {
      const b = find(prefix);
      return { body: fromHex(hexAfter(b, 'body')), signature: fromHex(hexAfter(b, 'signature')) };
    };
    const trusted = testTrustedKeys();
    const auth = verifyAuthorization(signed('Authorisation'), { device: 'BC-0001', trusted, replay: new ReplayGuard() });
    expect(auth).toMatchObject({ action: 'set-time', counter: 1, signer: 'Capt. Responsible' });
    const time = verifyTimeAttestation(signed('Time attestation'), { device: 'BC-0001', nonce: Uint8Array.from({ length: 16 }, (_, i) => i), trusted });
    expect(time.time).toBe(1795420800000);
    const receipt = verifyReceipt(signed('Receipt'), { device: 'BC-0001', trusted });
    expect(receipt).toMatchObject({ path: 'video/000001.h264', size: 14, store: 'dock-01' });
  });
});
