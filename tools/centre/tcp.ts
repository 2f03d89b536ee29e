/**
 * A TCP listener for the demo centre (node:net), with sockets wrapped as `ByteLink`s. Local to
 * tools/ until the protocol's `hal/net/tcp.ts` lands; then the lead can swap it in.
 */
import net from 'node:net';
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../../hal/device.ts';
import { BusError, DeviceClosedError } from '../../hal/errors.ts';
import type { ByteLink } from '../../hal/link.ts';

export class SocketLink extends DeviceBase implements ByteLink {
  private readonly incoming = new Subject<Uint8Array>();
  readonly data$: Observable<Uint8Array> = this.incoming.asObservable();
  private ended = false;

  constructor(private readonly socket: net.Socket) {
    super(`tcp ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
    socket.on('data', (b: Buffer) => this.incoming.next(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on('error', (err) => {
      this.ended = true;
      this.incoming.error(new BusError(`${this.name}: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      if (!this.ended) this.incoming.complete();
      this.ended = true;
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.ended;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    if (this.ended) return Promise.reject(new BusError(`${this.name}: connection ended`));
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(new BusError(`${this.name}: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  protected override onClose(): void {
    this.ended = true;
    this.socket.end();
  }
}

/** Parses `tcp://host:port`. */
export function parseTcpUrl(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(url);
  if (!m || Number(m[2]) > 65535) throw new RangeError(`expected tcp://HOST:PORT, got ${url}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function listenTcp(host: string, port: number, onLink: (link: ByteLink) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => onLink(new SocketLink(socket)));
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function connectTcp(host: string, port: number): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    socket.once('error', (err) => reject(new BusError(`tcp ${host}:${port}: ${err.message}`, { cause: err })));
    socket.once('connect', () => resolve(new SocketLink(socket)));
  });
}
