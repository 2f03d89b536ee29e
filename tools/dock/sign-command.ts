/**
 * `dozor dock sign`: the responsible person (or duty officer) signs an authorisation with their
 * key, for the dock's inbox. `dozor dock keygen` makes a key and prints its trust entry.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { ACTION_ROLES, ROLES, signAuthorization, trustedKeyToJson, type AuthorizedAction, type Role } from '../../protocol/authorization.ts';
import { COMMAND_PARAMS } from '../../protocol/command-params.ts';
import { Ed25519PrivateKey, toHex } from '../../protocol/crypto.ts';
import { UsageError } from '../cli/errors.ts';
import { authorizationFile } from './inbox.ts';
import { readSeedFile } from './links.ts';

export interface SignCliOptions {
  key: string;
  action: string;
  device: string;
  signer: string;
  param?: string[];
  counter?: number;
  out?: string;
}

function parseParams(list: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--param takes NAME=VALUE, got ${JSON.stringify(kv)}`);
    const name = kv.slice(0, i);
    const raw = kv.slice(i + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string
    }
    // a.b=c builds nested objects (vehicle.plate=…)
    const path = name.split('.');
    let at = out;
    for (const p of path.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]] = value;
  }
  return out;
}

export async function runSignCommand(o: SignCliOptions): Promise<number> {
  if (!(o.action in ACTION_ROLES)) throw new UsageError(`unknown action ${o.action}; one of ${Object.keys(ACTION_ROLES).join(', ')}`);
  const action = o.action as AuthorizedAction;
  const params = parseParams(o.param ?? []);
  const check = COMMAND_PARAMS[action].safeParse(params);
  if (!check.success) throw new UsageError(`${action} params: ${check.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`);
  const key = await readSeedFile(o.key);
  // Counters only have to grow per key: microseconds of wall time do, across runs.
  const counter = o.counter ?? Date.now() * 1000;
  const auth = signAuthorization(key, { action, device: o.device, signer: o.signer, counter, issuedAt: Date.now(), params });
  const text = `${JSON.stringify(authorizationFile(auth), null, 2)}\n`;
  if (o.out) await writeFile(o.out, text);
  else process.stdout.write(text);
  return 0;
}

export interface KeygenCliOptions {
  out: string;
  name: string;
  role: string;
}

export async function runKeygenCommand(o: KeygenCliOptions): Promise<number> {
  if (!(ROLES as readonly string[]).includes(o.role)) throw new UsageError(`role must be one of ${ROLES.join(', ')}`);
  const seed = new Uint8Array(randomBytes(32));
  const key = new Ed25519PrivateKey(seed);
  await writeFile(o.out, `${toHex(seed)}\n`, { mode: 0o600 });
  process.stdout.write(`${JSON.stringify(trustedKeyToJson({ keyId: key.keyId, name: o.name, role: o.role as Role, publicKey: key.publicKey }))}\n`);
  return 0;
}
