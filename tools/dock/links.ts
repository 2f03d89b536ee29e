/**
 * Link addresses on the command line, keys from files, and a serial `LinkPort` that reopens
 * its port whenever the session on it ends (a serial cable has no "connections": the next
 * device docked on it gets a fresh session).
 */
import { readFile } from 'node:fs/promises';
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../../hal/device.ts';
import type { ByteLink, LinkPort } from '../../hal/link.ts';
import { connectTcp, parseTcpUrl } from '../../hal/net/tcp.ts';
import { SerialLink } from '../../hal/linux/serial-link.ts';
import { Ed25519PrivateKey, fromHex } from '../../protocol/crypto.ts';
import { trustedKeyFromJson, type TrustedKey, type TrustedKeyJson } from '../../protocol/authorization.ts';
import { InputError, UsageError } from '../cli/errors.ts';

export type LinkAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'serial'; path: string };

/** `tcp://host:port`, `serial:/dev/ttyX`, or a plain device path (`/dev/ttyUSB0`). */
export function parseLinkAddress(s: string): LinkAddress {
  if (s.startsWith('tcp://')) {
    try {
      return { kind: 'tcp', ...parseTcpUrl(s) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const path = s.startsWith('serial:') ? s.slice('serial:'.length).replace(/^\/\/(?=\/)/, '') : s;
  if (!path.startsWith('/')) throw new UsageError(`expected tcp://HOST:PORT or a serial device path, got ${JSON.stringify(s)}`);
  return { kind: 'serial', path };
}

export function openLink(a: LinkAddress, baudRate?: number): Promise<ByteLink> {
  return a.kind === 'tcp' ? connectTcp({ host: a.host, port: a.port }) : SerialLink.open({ path: a.path, baudRate });
}

/** Reads a 32-byte Ed25519 seed written as 64 hex digits. */
export async function readSeedFile(file: string): Promise<Ed25519PrivateKey> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new InputError(`cannot read key file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new InputError(`${file}: expected a 32-byte Ed25519 seed as 64 hex digits`);
  return new Ed25519PrivateKey(fromHex(text));
}

/** Reads trusted keys: a JSON array of { keyId, name, role, publicKey (hex) }. */
export async function readTrustFile(file: string): Promise<TrustedKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read trust file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new InputError(`${file}: expected a JSON array of trusted keys`);
  return (parsed as TrustedKeyJson[]).map((k, i) => {
    if (!k || typeof k.keyId !== 'string' || typeof k.publicKey !== 'string' || typeof k.role !== 'string') {
      throw new InputError(`${file}: entry ${i} needs keyId, name, role and publicKey`);
    }
    return trustedKeyFromJson(k);
  });
}

/**
 * A serial port as a `LinkPort`: opens the port and hands out a link; when that link closes,
 * waits `retryMs` and opens it again. Open failures are retried the same way.
 */
export class SerialLinkPort extends DeviceBase implements LinkPort {
  private readonly subject = new Subject<ByteLink>();
  readonly links$: Observable<ByteLink> = this.subject.asObservable();
  private current: ByteLink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly path: string,
    private readonly options: { baudRate?: number; retryMs?: number; onError?: (err: Error) => void } = {},
  ) {
    super(`serial port ${path}`);
  }

  /** Starts opening the port (after subscribers are in place). */
  start(): void {
    void this.openNow();
  }

  private async openNow(): Promise<void> {
    if (this.stopped) return;
    try {
      const link = await SerialLink.open({ path: this.path, baudRate: this.options.baudRate });
      if (this.stopped) {
        await link.close();
        return;
      }
      this.current = link;
      link.data$.subscribe({ complete: () => this.reopen(), error: () => this.reopen() });
      this.subject.next(link);
    } catch (err) {
      this.options.onError?.(err as Error);
      this.reopen();
    }
  }

  private reopen(): void {
    this.current = null;
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.openNow(), this.options.retryMs ?? 2000);
  }

  protected override async onClose(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current?.close();
    this.subject.complete();
  }
}
