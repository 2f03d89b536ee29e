/** `dozor dock conformance`: run the named suite against a device or a dock, print the table. */
import { readFile } from 'node:fs/promises';
import { RealClock } from '../../hal/real-clock.ts';
import { CryptoRandom } from '../../hal/random.ts';
import { Ed25519PrivateKey, fromHex } from '../../protocol/crypto.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { InputError, UsageError } from '../cli/errors.ts';
import { CASES, formatTable, runDeviceSuite, runDockSuite, type CaseId, type ConformanceKeys } from './conformance.ts';
import { openLink, parseLinkAddress } from './links.ts';

export interface ConformanceCliOptions {
  device?: string;
  dock?: string;
  keys?: string;
  dockKey?: string;
  allowReceipts?: boolean;
  only?: string[];
  timeout: number;
  baud?: number;
  json?: boolean;
}

async function readKeys(file: string): Promise<ConformanceKeys> {
  let j: Record<string, string>;
  try {
    j = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new InputError(`cannot read keys file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const key = (name: string, fallback: Ed25519PrivateKey) => {
    const hex = j[name];
    if (hex === undefined) return fallback;
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError(`${file}: ${name} must be a 32-byte seed as 64 hex digits`);
    return new Ed25519PrivateKey(fromHex(hex));
  };
  return { dock: key('dock', TEST_KEYS.dock), responsible: key('responsible', TEST_KEYS.responsible), stranger: key('stranger', TEST_KEYS.stranger) };
}

export async function runConformanceCommand(o: ConformanceCliOptions): Promise<number> {
  if (!!o.device === !!o.dock) throw new UsageError('give exactly one of --device URL or --dock URL');
  const only = o.only?.length ? (o.only as CaseId[]) : undefined;
  for (const id of only ?? []) if (!CASES.some((c) => c.id === id)) throw new UsageError(`unknown case ${id}; cases: ${CASES.map((c) => c.id).join(', ')}`);
  const addr = parseLinkAddress((o.device ?? o.dock)!);
  const connect = () => openLink(addr, o.baud);
  const clock = new RealClock();
  const results = o.device
    ? await runDeviceSuite({ connect, clock, keys: o.keys ? await readKeys(o.keys) : undefined, allowReceipts: o.allowReceipts, timeoutMs: o.timeout, only })
    : await runDockSuite({ connect, clock, random: new CryptoRandom(), timeoutMs: o.timeout, dockKey: o.dockKey ? fromHex(o.dockKey) : undefined, only });
  if (o.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${o.device ? `device ${o.device}` : `dock ${o.dock}`}\n\n${formatTable(results)}\n`);
  return results.some((r) => r.outcome === 'fail') ? 1 : 0;
}
