/**
 * The operator's way in: signed authorisations dropped as files into a folder (`dozor dock sign`
 * writes them; they can be signed anywhere the responsible person keeps their key). When the
 * named device is docked the dock forwards each one, writes `done/NAME.result.json` with the
 * device's answer (or the refusal), and moves the authorisation to `done/`.
 *
 *     { "device": "BC-0001", "action": "issue", "body": "<hex>", "signature": "<hex>" }
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeAuthorizationBody, type SignedAuthorization } from '../../protocol/authorization.ts';
import { fromHex, toHex } from '../../protocol/crypto.ts';
import type { DozorError } from '../../hal/errors.ts';
import type { DockStation } from './station.ts';

export interface AuthorizationFile {
  device: string;
  action: string;
  body: string;
  signature: string;
}

export function authorizationFile(auth: SignedAuthorization): AuthorizationFile {
  const body = decodeAuthorizationBody(auth.body);
  return { device: body.device, action: body.action, body: toHex(auth.body), signature: toHex(auth.signature) };
}

export class AuthorizationInbox {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly dir: string,
    private readonly station: DockStation,
    private readonly log: (line: string) => void,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await mkdir(path.join(this.dir, 'done'), { recursive: true });
    this.timer = setInterval(() => void this.scan(), this.pollMs);
    void this.scan();
  }

  /** Forwards every pending authorisation whose device is docked. */
  async scan(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const names = (await readdir(this.dir)).filter((n) => n.endsWith('.auth.json')).sort();
      for (const name of names) await this.handle(name);
    } finally {
      this.busy = false;
    }
  }

  private async handle(name: string): Promise<void> {
    const file = path.join(this.dir, name);
    let a: AuthorizationFile;
    try {
      a = JSON.parse(await readFile(file, 'utf8')) as AuthorizationFile;
      if (typeof a.device !== 'string' || typeof a.body !== 'string' || typeof a.signature !== 'string') throw new Error('needs device, body and signature');
    } catch (err) {
      await this.finish(name, { ok: false, code: 'EINPUT', error: `unreadable authorisation: ${(err as Error).message}` });
      return;
    }
    if (!this.station.dockedDevices().includes(a.device)) return; // wait until it docks
    try {
      const result = await this.station.forward(a.device, { body: fromHex(a.body), signature: fromHex(a.signature) });
      await this.finish(name, { ok: true, result });
      this.log(`${a.device}: ${a.action} accepted`);
    } catch (err) {
      const code = (err as DozorError).code ?? 'ERROR';
      await this.finish(name, { ok: false, code, error: (err as Error).message });
      this.log(`${a.device}: ${a.action} refused: ${code} ${(err as Error).message}`);
    }
  }

  private async finish(name: string, result: Record<string, unknown>): Promise<void> {
    const base = name.replace(/\.auth\.json$/, '');
    await writeFile(path.join(this.dir, 'done', `${base}.result.json`), `${JSON.stringify(result, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v), 2)}\n`);
    await rename(path.join(this.dir, name), path.join(this.dir, 'done', name));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
