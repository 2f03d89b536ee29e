/**
 * TCP as a `ByteLink` (one connection) and a `LinkPort` (a listener that hands out a link per
 * accepted connection): the dock's network side, the simulator's virtual devices, and the
 * field uplink when it runs over IP.
 */
import net from 'node:net';
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { BusError, DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import type { ByteLink, LinkPort } from '../link.ts';

export interface TcpEndpoint {
  host: string;
  port: number;
}

/** Parses `tcp://host:port` (IPv6 hosts in brackets). */
export function parseTcpUrl(url: string): TcpEndpoint {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(url);
  if (!m) throw new InvalidOptionsError(`not a tcp://HOST:PORT address: ${JSON.stringify(url)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new InvalidOptionsError(`port out of range in ${url}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function formatTcpUrl(e: TcpEndpoint): string {
  return `tcp://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

export class TcpLink extends DeviceBase implements ByteLink {
  private readonly subject = new Subject<Uint8Array>();
  readonly data$: Observable<Uint8Array> = this.subject.asObservable();
  private ended = false;

  constructor(
    private readonly socket: net.Socket,
    name = `tcp ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
  ) {
    super(name);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.subject.next(chunk));
    socket.on('error', (err) => this.finish(new BusError(`${this.name}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.finish(null));
    socket.on('end', () => {
      // The peer finished sending: finish our side too, so both see the session end.
      socket.end();
    });
  }

  get isOpen(): boolean {
    return !this.ended && !this.closed && !this.socket.destroyed;
  }

  /** Remote address, for logs. */
  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    if (this.ended || this.socket.destroyed) return Promise.reject(new BusError(`${this.name}: connection closed`));
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(new BusError(`${this.name}: write failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  private finish(err: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    if (err) this.subject.error(err);
    else this.subject.complete();
  }

  protected override async onClose(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      // Flush what was written, then close.
      this.socket.end();
    });
  }
}

export interface TcpConnectOptions extends TcpEndpoint {
  /** Give up connecting after this long (ms). */
  timeoutMs?: number;
}

export function connectTcp(options: TcpConnectOptions): Promise<TcpLink> {
  if (typeof options.host !== 'string' || options.host.length === 0) throw new InvalidOptionsError('tcp connect: host required');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new InvalidOptionsError(`tcp connect: bad port ${options.port}`);
  const timeoutMs = options.timeoutMs ?? 10000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DeviceNotRespondingError(formatTcpUrl(options), `no connection after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new TcpLink(socket, `tcp ${formatTcpUrl(options)}`));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new BusError(`${formatTcpUrl(options)}: ${err.message}`, { cause: err }));
    });
  });
}

export class TcpListener extends DeviceBase implements LinkPort {
  private readonly subject = new Subject<ByteLink>();
  readonly links$: Observable<ByteLink> = this.subject.asObservable();
  private readonly links = new Set<TcpLink>();

  private constructor(private readonly server: net.Server, name: string) {
    super(name);
    server.on('connection', (socket) => {
      const link = new TcpLink(socket);
      this.links.add(link);
      socket.once('close', () => this.links.delete(link));
      this.subject.next(link);
    });
  }

  /** Listens on host:port (port 0 picks a free one; see `address`). */
  static listen(options: TcpEndpoint): Promise<TcpListener> {
    if (typeof options.host !== 'string' || options.host.length === 0) throw new InvalidOptionsError('tcp listen: host required');
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new InvalidOptionsError(`tcp listen: bad port ${options.port}`);
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', (err) => reject(new BusError(`listen ${formatTcpUrl(options)}: ${err.message}`, { cause: err })));
      server.listen(options.port, options.host, () => {
        server.removeAllListeners('error');
        resolve(new TcpListener(server, `tcp listener ${formatTcpUrl(options)}`));
      });
    });
  }

  /** The address actually bound. */
  get address(): TcpEndpoint {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  get url(): string {
    return formatTcpUrl(this.address);
  }

  protected override async onClose(): Promise<void> {
    this.subject.complete();
    await Promise.all([...this.links].map((l) => l.close()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
