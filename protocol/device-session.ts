/**
 * The device end of a session (docs/protocol.md §6): waits for the host's hello, answers with
 * device-info and a fresh nonce, then serves status, charging, time sync, privileged commands,
 * the file list, reads (as chunk streams) and receipts. What those mean for the device is the
 * job of `DeviceSessionHandlers` (the firmware's dock service implements them); this class owns
 * the state machine, paging, chunking, flow control and the mapping of failures to wire codes.
 *
 *     state           accepts                                     on
 *     awaiting-hello  hello → ready; ping; bye                    anything else: ESTATE
 *     ready           hello (restarts the session), every host request, bye → closed
 *     closed          nothing (link closed or bye)
 */
import type { ByteLink } from '../hal/link.ts';
import type { Clock } from '../hal/clock.ts';
import type { Random } from '../hal/random.ts';
import { DozorError } from '../hal/errors.ts';
import { AuthorizationError, type SignedAuthorization } from './authorization.ts';
import { StatementError, type SignedStatement } from './dock-statements.ts';
import { Endpoint, type Incoming } from './endpoint.ts';
import { ProtocolError, isWireErrorCode, type WireErrorCode } from './errors.ts';
import { DEFAULT_MAX_BODY } from './framing.ts';
import { crc32 } from './crc32.ts';
import { PROTOCOL_VERSION, type FileEntry, type MessageName, type MessageOf, type Payload } from './messages.ts';
import { pack } from './msgpack.ts';

export type DeviceKind = 'bodycam' | 'vehicle' | 'radar';

export interface DeviceIdentityInfo {
  /** Serial number: the `device` every authorisation and receipt names. */
  device: string;
  kind: DeviceKind;
  model: string;
  firmware: string;
  /** Inventory number (R-CARD-1). */
  inventory: string;
}

/** What the device learnt from the host's hello. */
export interface HostInfo {
  role: 'dock' | 'server' | 'tester';
  host: string;
  keyId: string;
  publicKey: Uint8Array;
  time: number;
  maxFrame: number;
}

export interface SessionContext {
  /** The nonce sent in device-info for this session (binds time attestations to it). */
  nonce: Uint8Array;
  host: HostInfo;
}

/** A file range the session reads chunk by chunk. */
export interface ReadableRange {
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * The device's behaviour behind the protocol. Throw `ProtocolError` (or `AuthorizationError`,
 * `StatementError`) to answer with that wire code; any other error becomes EINTERNAL.
 */
export interface DeviceSessionHandlers {
  identity(): DeviceIdentityInfo;
  clockTrusted(): boolean;
  status(): Promise<Payload<'status'>>;
  charge(enable: boolean): Promise<void>;
  timeSync(attestation: SignedStatement, ctx: SessionContext): Promise<Payload<'time-result'>>;
  command(auth: SignedAuthorization, ctx: SessionContext): Promise<Payload<'command-result'>>;
  /** Files pending offload after `after` (by path order), at most `limit`. */
  listFiles(after: string | undefined, limit: number): Promise<{ files: FileEntry[]; more: boolean }>;
  /** Validates the request (file exists, size and SHA-256 match, range inside) and opens it. */
  openRead(path: string, sha256: Uint8Array, offset: number, length: number): Promise<ReadableRange>;
  receipt(receipt: SignedStatement, ctx: SessionContext): Promise<Payload<'receipt-ack'>>;
}

export interface DeviceSessionOptions {
  link: ByteLink;
  clock: Clock;
  random: Random;
  handlers: DeviceSessionHandlers;
  /** Largest frame body this device accepts. */
  maxBody?: number;
  /** Largest chunk sent, before the host's frame limit is applied. */
  maxChunk?: number;
  /** Chunk frames written but not yet accepted by the link, at most. */
  writeWindow?: number;
}

export type DeviceSessionState = 'awaiting-hello' | 'ready' | 'closed';

/** Messages each state accepts from the host (others are answered with ESTATE). */
export const DEVICE_SESSION_ACCEPTS: Readonly<Record<DeviceSessionState, ReadonlySet<MessageName>>> = {
  'awaiting-hello': new Set<MessageName>(['hello', 'ping', 'bye']),
  ready: new Set<MessageName>(['hello', 'ping', 'bye', 'status-get', 'charge', 'time-sync', 'command', 'list-files', 'read', 'receipt']),
  closed: new Set<MessageName>(),
};

/** Envelope + chunk map overhead, generously rounded (12 + 1 + 7 + 9 + 4 + 5 + 5 + 5 = 48). */
const CHUNK_OVERHEAD = 64;

interface ReadJob {
  incoming: Incoming;
  req: Payload<'read'>;
  generation: number;
}

export class DeviceSession {
  readonly endpoint: Endpoint;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly handlers: DeviceSessionHandlers;
  private readonly maxChunk: number;
  private readonly writeWindow: number;
  private stateValue: DeviceSessionState = 'awaiting-hello';
  private ctx: SessionContext | null = null;
  private readonly reads: ReadJob[] = [];
  private readGeneration = 0;
  private reading = false;
  /** Counters for tests and the status line. */
  readonly stats = { sessions: 0, chunksSent: 0, bytesSent: 0, readsServed: 0, readsCancelled: 0 };

  constructor(options: DeviceSessionOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.handlers = options.handlers;
    this.maxChunk = options.maxChunk ?? 262144;
    this.writeWindow = options.writeWindow ?? 4;
    this.endpoint = new Endpoint({ link: options.link, clock: options.clock, maxBody: options.maxBody ?? DEFAULT_MAX_BODY });
  }

  get state(): DeviceSessionState {
    return this.stateValue;
  }

  /** The current session's context (after hello). */
  get context(): SessionContext | null {
    return this.ctx;
  }

  /** Serves the link until it closes; resolves then. */
  async run(): Promise<void> {
    this.endpoint.start((incoming) => this.onIncoming(incoming));
    await this.endpoint.closed;
    this.stateValue = 'closed';
    this.readGeneration += 1;
    this.reads.length = 0;
  }

  /** Ends the session from the device side (undocked, shutting down). */
  async close(reason = 'device closing'): Promise<void> {
    if (this.stateValue !== 'closed' && !this.endpoint.isClosed) {
      await this.endpoint.send('bye', { reason }).catch(() => {});
    }
    this.stateValue = 'closed';
    await this.endpoint.close();
  }

  /** Sends an unsolicited status (e.g. on a seal or battery change while docked). */
  async notifyStatus(): Promise<void> {
    if (this.stateValue !== 'ready') return;
    await this.endpoint.send('status', await this.handlers.status());
  }

  /** Sends an alert and resolves when the host acknowledged it (store-and-forward uplinks). */
  async alert(payload: Payload<'alert'>, opts?: { timeoutMs?: number; retries?: number }): Promise<void> {
    await this.endpoint.call('alert', payload, 'ok', opts);
  }

  private onIncoming(incoming: Incoming): void {
    const msg = incoming.msg;
    if (msg.name === 'error' || msg.name === 'status') return; // notices from the host: nothing to do
    if (!DEVICE_SESSION_ACCEPTS[this.stateValue].has(msg.name)) {
      if (msg.name === 'bye' || this.stateValue === 'closed') return;
      const fromDevice = ['device-info', 'file-list', 'chunk', 'time-result', 'command-result', 'receipt-ack', 'alert'].includes(msg.name);
      void incoming.fail(
        fromDevice ? 'EUNEXPECTED' : 'ESTATE',
        fromDevice ? `${msg.name} is sent by devices, not hosts` : `${msg.name} is not allowed before hello`,
      );
      return;
    }
    void this.dispatch(incoming).catch((err) => this.answerError(incoming, err));
  }

  private async dispatch(incoming: Incoming): Promise<void> {
    const msg = incoming.msg;
    switch (msg.name) {
      case 'hello':
        return this.onHello(incoming, msg);
      case 'ping':
        return incoming.reply('pong', {});
      case 'bye':
        this.stateValue = 'closed';
        await this.endpoint.close();
        return;
      case 'status-get':
        return incoming.reply('status', await this.handlers.status());
      case 'charge':
        await this.handlers.charge(msg.payload.enable);
        return incoming.reply('ok', {});
      case 'time-sync':
        return incoming.reply('time-result', await this.handlers.timeSync(toStatement(msg.payload.att), this.ctx!));
      case 'command': {
        const auth = msg.payload.auth;
        if (!auth.sig || auth.sig.length === 0) throw new ProtocolError('EAUTH_UNSIGNED', 'privileged command carries no signature');
        return incoming.reply('command-result', await this.handlers.command({ body: auth.body, signature: auth.sig }, this.ctx!));
      }
      case 'list-files':
        return incoming.reply('file-list', await this.listPage(msg.payload.after, msg.payload.limit));
      case 'read':
        return this.enqueueRead(incoming, msg.payload);
      case 'receipt':
        return incoming.reply('receipt-ack', await this.handlers.receipt(toStatement(msg.payload.receipt), this.ctx!));
      default:
        throw new ProtocolError('EUNEXPECTED', `${msg.name} is not a host request`);
    }
  }

  private async onHello(incoming: Incoming, msg: MessageOf<'hello'>): Promise<void> {
    const p = msg.payload;
    if (p.proto !== PROTOCOL_VERSION) {
      throw new ProtocolError('EVERSION', `protocol ${p.proto} is not supported (this device speaks ${PROTOCOL_VERSION})`);
    }
    // A hello restarts the session: the host's numbering starts again, pending reads are dropped.
    this.endpoint.resetPeerState();
    this.readGeneration += 1;
    this.reads.length = 0;
    this.endpoint.peerMaxBody = p.maxFrame;
    const nonce = this.random.bytes(16);
    this.ctx = { nonce, host: { role: p.role, host: p.host, keyId: p.keyId, publicKey: p.publicKey, time: p.time, maxFrame: p.maxFrame } };
    this.stateValue = 'ready';
    this.stats.sessions += 1;
    const id = this.handlers.identity();
    await incoming.reply('device-info', {
      proto: PROTOCOL_VERSION,
      device: id.device,
      kind: id.kind,
      model: id.model,
      firmware: id.firmware,
      inventory: id.inventory,
      nonce,
      maxFrame: this.endpoint.maxBody,
      time: Math.round(this.clock.wallTime()),
      clockTrusted: this.handlers.clockTrusted(),
    });
  }

  /** One page of the file list, trimmed so it fits the host's frame limit. */
  private async listPage(after: string | undefined, limit: number): Promise<Payload<'file-list'>> {
    const page = await this.handlers.listFiles(after, limit);
    const budget = this.endpoint.peerMaxBody - 64;
    let used = 0;
    const files: FileEntry[] = [];
    for (const f of page.files) {
      const size = pack(f as unknown as Parameters<typeof pack>[0]).length;
      if (used + size > budget) return { files, more: true };
      used += size;
      files.push(f);
    }
    return { files, more: page.more };
  }

  private enqueueRead(incoming: Incoming, req: Payload<'read'>): void {
    if (req.restart) {
      this.stats.readsCancelled += this.reads.length + (this.reading ? 1 : 0);
      this.readGeneration += 1;
      this.reads.length = 0;
    }
    this.reads.push({ incoming, req, generation: this.readGeneration });
    if (!this.reading) void this.serveReads();
  }

  private async serveReads(): Promise<void> {
    this.reading = true;
    try {
      while (this.reads.length > 0) {
        const job = this.reads.shift()!;
        if (job.generation !== this.readGeneration) continue;
        try {
          await this.serveRead(job);
        } catch (err) {
          this.answerError(job.incoming, err);
        } finally {
          this.endpoint.finishStream(job.incoming.msg.seq);
        }
      }
    } finally {
      this.reading = false;
    }
  }

  private async serveRead(job: ReadJob): Promise<void> {
    const { path, sha256, offset, length } = job.req;
    const range = await this.handlers.openRead(path, sha256, offset, length);
    const chunk = Math.max(1, Math.min(this.maxChunk, this.endpoint.peerMaxBody - CHUNK_OVERHEAD));
    const inFlight: Promise<void>[] = [];
    let at = offset;
    const end = offset + length;
    while (at < end) {
      if (job.generation !== this.readGeneration || this.endpoint.isClosed) break;
      const n = Math.min(chunk, end - at);
      const data = await range.read(at, n);
      if (data.length !== n) throw new ProtocolError('EIO', `${path}: read ${data.length} of ${n} bytes at ${at}`);
      if (job.generation !== this.readGeneration) break;
      inFlight.push(job.incoming.reply('chunk', { offset: at, crc: crc32(data), data }, { stream: true }));
      this.stats.chunksSent += 1;
      this.stats.bytesSent += n;
      at += n;
      if (inFlight.length >= this.writeWindow) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (at >= end) this.stats.readsServed += 1;
  }

  private answerError(incoming: Incoming, err: unknown): void {
    if (this.endpoint.isClosed) return;
    const [code, message] = wireErrorOf(err);
    void incoming.fail(code, message).catch(() => {});
  }
}

function toStatement(s: { body: Uint8Array; sig?: Uint8Array }): SignedStatement {
  return { body: s.body, signature: s.sig ?? new Uint8Array(0) };
}

/** Maps any failure to the wire code a host sees. */
export function wireErrorOf(err: unknown): [WireErrorCode, string] {
  if (err instanceof ProtocolError) return [err.wireCode, err.message];
  if (err instanceof AuthorizationError || err instanceof StatementError) {
    const code = err.code as string;
    return [isWireErrorCode(code) ? code : 'EINTERNAL', err.message];
  }
  if (err instanceof DozorError && isWireErrorCode(err.code)) return [err.code, err.message];
  return ['EINTERNAL', err instanceof Error ? err.message : String(err)];
}
