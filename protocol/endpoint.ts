/**
 * One end of a protocol session over a `ByteLink`: frames and unframes, numbers outgoing frames,
 * routes replies to the requests they answer (by `ack`), retries requests with the same `seq`,
 * answers retried requests from a reply cache so a privileged command is never executed twice,
 * and turns every rejected frame or message into a typed error (and, where the peer can use it,
 * an `error` message). Time only through the injected `Clock`.
 */
import type { Subscription } from 'rxjs';
import type { ByteLink } from '../hal/link.ts';
import type { Clock, TimerHandle } from '../hal/clock.ts';
import { DEFAULT_MAX_BODY, FrameDecoder, MIN_MAX_BODY, encodeFrame, maxFrameLength } from './framing.ts';
import {
  FramingError,
  MessageError,
  ProtocolError,
  RemoteError,
  SessionError,
  type WireErrorCode,
} from './errors.ts';
import {
  SPEC_BY_NAME,
  SPEC_BY_TYPE,
  decodeEnvelope,
  decodeMessage,
  encodeMessageParts,
  type Message,
  type MessageName,
  type MessageOf,
  type Payload,
} from './messages.ts';

export interface EndpointOptions {
  link: ByteLink;
  clock: Clock;
  /** Largest frame body this side accepts (announced in hello / device-info). */
  maxBody?: number;
  /** Shortest interval between unsolicited framing-error notices to the peer (ms). */
  noticeIntervalMs?: number;
  /** How many answered requests are remembered for retries. */
  replyCacheSize?: number;
}

export interface RequestOptions {
  /** Time to wait for the reply before re-sending (ms). */
  timeoutMs?: number;
  /** Re-sends with the same seq before giving up. */
  retries?: number;
}

export interface EndpointStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames or messages rejected, by wire code. */
  rejected: Partial<Record<WireErrorCode, number>>;
  /** Replies that matched no pending request (late, or for a cancelled stream). */
  unmatchedReplies: number;
  /** Requests answered again from the reply cache. */
  retriesAnswered: number;
  /** Requests re-sent after a timeout. */
  retriesSent: number;
}

/** Receives each message of a stream; return true when the stream is complete. */
export type StreamHandler = (msg: Message) => boolean | void;

interface Pending {
  name: MessageName;
  onMessage: StreamHandler;
  onClose(err: SessionError): void;
}

interface CachedReply {
  type: number;
  frames: Uint8Array[];
}

/** A request or notice from the peer, with the means to answer it. */
export interface Incoming {
  msg: Message;
  /** Sends one reply (ack = the request's seq); the last one is cached for retries unless `stream`. */
  reply<N extends MessageName>(name: N, payload: Payload<N>, opts?: { stream?: boolean }): Promise<void>;
  /** Replies with an `error` message. */
  fail(code: WireErrorCode | string, message: string): Promise<void>;
}

export type IncomingHandler = (incoming: Incoming) => void;

export class Endpoint {
  readonly link: ByteLink;
  private readonly clock: Clock;
  readonly maxBody: number;
  /** The peer's body limit; MIN_MAX_BODY until the handshake says otherwise. */
  peerMaxBody = MIN_MAX_BODY;
  private readonly decoder: FrameDecoder;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly replyCache = new Map<number, CachedReply>();
  private readonly inProgress = new Set<number>();
  private readonly replyCacheSize: number;
  private readonly noticeIntervalMs: number;
  private lastNoticeAt = -Infinity;
  private subscription: Subscription | null = null;
  private handler: IncomingHandler = () => {};
  private closedFlag = false;
  private closeReason: unknown = null;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private lastActivity: number;
  readonly stats: EndpointStats = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    rejected: {},
    unmatchedReplies: 0,
    retriesAnswered: 0,
    retriesSent: 0,
  };

  constructor(options: EndpointOptions) {
    this.link = options.link;
    this.clock = options.clock;
    this.maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    this.decoder = new FrameDecoder({ maxBody: this.maxBody });
    this.noticeIntervalMs = options.noticeIntervalMs ?? 1000;
    this.replyCacheSize = options.replyCacheSize ?? 32;
    this.lastActivity = this.clock.monotonic();
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Starts reading the link; `handler` gets every request and notice (messages with ack 0). */
  start(handler: IncomingHandler): void {
    if (this.subscription) throw new Error('endpoint already started');
    this.handler = handler;
    this.subscription = this.link.data$.subscribe({
      next: (chunk) => this.onBytes(chunk),
      error: (err) => this.shutdown(err),
      complete: () => this.shutdown(null),
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Resolves when the link has closed (for any reason). */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /** Why the session ended: null for an orderly close, else the link's error. */
  get endReason(): unknown {
    return this.closeReason;
  }

  /** Monotonic time of the last frame received. */
  get lastReceivedAt(): number {
    return this.lastActivity;
  }

  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Forgets the reply cache (the peer restarted its numbering with a new hello). */
  resetPeerState(): void {
    this.replyCache.clear();
    this.inProgress.clear();
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** Encodes and writes one message; resolves when the link accepted the bytes. */
  send<N extends MessageName>(name: N, payload: Payload<N>, ack = 0): Promise<number> {
    const seq = this.nextSeq();
    const frame = this.frame(name, payload, seq, ack);
    return this.write(frame).then(() => seq);
  }

  /** Writes raw bytes (conformance tests use it to send deliberately broken frames). */
  writeRaw(bytes: Uint8Array): Promise<void> {
    return this.write(bytes);
  }

  private frame<N extends MessageName>(name: N, payload: Payload<N>, seq: number, ack: number, target?: Uint8Array): Uint8Array {
    const parts = encodeMessageParts(name, payload, seq, ack);
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (length > this.peerMaxBody) {
      throw new ProtocolError('EFRAME_TOO_LARGE', `${name} of ${length} bytes exceeds the peer's ${this.peerMaxBody}-byte limit`);
    }
    // A chunk's data CRC is already known: the frame CRC combines it instead of reading the data twice.
    return encodeFrame(parts, name === 'chunk' ? [undefined, undefined, (payload as Payload<'chunk'>).crc] : undefined, target);
  }

  /**
   * Frame buffers for streamed replies (chunks), reused once the link has taken the bytes:
   * allocating a fresh 256 KiB buffer per chunk costs more in garbage collection than the COBS
   * encoding itself.
   */
  private readonly framePool: Uint8Array[] = [];

  private writePooled<N extends MessageName>(name: N, payload: Payload<N>, seq: number, ack: number): Promise<void> {
    const need = maxFrameLength(this.peerMaxBody);
    let buf = this.framePool.pop();
    if (!buf || buf.length < need) buf = new Uint8Array(need);
    const frame = this.frame(name, payload, seq, ack, buf);
    const pooled = buf;
    const done = this.write(frame);
    return done.then(() => {
      if (this.framePool.length < 8) this.framePool.push(pooled);
    });
  }

  private write(frame: Uint8Array): Promise<void> {
    if (this.closedFlag) return Promise.reject(new SessionError('ESESSION_CLOSED', 'session is closed'));
    this.stats.framesOut += 1;
    this.stats.bytesOut += frame.length;
    return this.link.write(frame);
  }

  /**
   * Sends a request and resolves with its first reply. An `error` reply rejects with
   * `RemoteError`; no reply after the retries rejects with `SessionError('ETIMEOUT')`.
   */
  request<N extends MessageName>(name: N, payload: Payload<N>, opts: RequestOptions = {}): Promise<Message> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const retries = opts.retries ?? 2;
    return new Promise<Message>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      let attempts = 0;
      const seq = this.nextSeq();
      let frame: Uint8Array;
      try {
        frame = this.frame(name, payload, seq, 0);
      } catch (err) {
        reject(err);
        return;
      }
      const finish = () => {
        timer?.cancel();
        this.pending.delete(seq);
      };
      const transmit = () => {
        attempts += 1;
        this.write(frame).catch((err) => {
          finish();
          reject(err);
        });
        timer = this.clock.setTimeout(() => {
          if (!this.pending.has(seq)) return;
          if (attempts > retries) {
            finish();
            reject(new SessionError('ETIMEOUT', `${name}: no reply after ${attempts} attempt(s) of ${timeoutMs} ms`));
            return;
          }
          this.stats.retriesSent += 1;
          transmit();
        }, timeoutMs);
      };
      this.pending.set(seq, {
        name,
        onMessage: (msg) => {
          finish();
          if (msg.name === 'error') reject(new RemoteError(msg.payload.code, msg.payload.message, name));
          else resolve(msg);
          return true;
        },
        onClose: (err) => {
          finish();
          reject(err);
        },
      });
      transmit();
    });
  }

  /** Like `request`, but checks the reply type. */
  async call<N extends MessageName, R extends MessageName>(name: N, payload: Payload<N>, expect: R, opts?: RequestOptions): Promise<MessageOf<R>> {
    const msg = await this.request(name, payload, opts);
    if (msg.name !== expect) {
      throw new ProtocolError('EUNEXPECTED', `${name} was answered with ${msg.name}, expected ${expect}`);
    }
    return msg as MessageOf<R>;
  }

  /**
   * Sends a request whose answer is a stream of replies (read → chunks). `onMessage` sees each
   * reply (including an `error`) until it returns true or `cancel()` is called. No retries: the
   * caller owns the stream's timeouts.
   */
  openStream<N extends MessageName>(
    name: N,
    payload: Payload<N>,
    onMessage: StreamHandler,
    onClose: (err: SessionError) => void,
  ): { seq: number; sent: Promise<void>; cancel(): void } {
    const seq = this.nextSeq();
    const frame = this.frame(name, payload, seq, 0);
    this.pending.set(seq, {
      name,
      onMessage: (msg) => {
        const done = onMessage(msg) === true;
        if (done) this.pending.delete(seq);
        return done;
      },
      onClose,
    });
    const sent = this.write(frame);
    return { seq, sent, cancel: () => void this.pending.delete(seq) };
  }

  /**
   * Routes replies to `seq` — a request sent with `writeRaw` — to `onMessage` until the returned
   * function is called (conformance tests send hand-made frames and check the answer).
   */
  watchReplies(seq: number, onMessage: (msg: Message) => void): () => void {
    this.pending.set(seq, {
      name: 'ping',
      onMessage: (msg) => {
        onMessage(msg);
        return false;
      },
      onClose: () => {},
    });
    return () => void this.pending.delete(seq);
  }

  /** Ends the session: rejects pending requests and closes the link. */
  async close(reason: unknown = null): Promise<void> {
    this.shutdown(reason);
    await this.link.close();
  }

  private shutdown(reason: unknown): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeReason = reason;
    this.subscription?.unsubscribe();
    const err = new SessionError('ESESSION_CLOSED', 'session closed', reason ? { cause: reason } : undefined);
    for (const [seq, p] of [...this.pending]) {
      this.pending.delete(seq);
      try {
        p.onClose(err);
      } catch {
        // a handler's failure must not stop the others from hearing about the close
      }
    }
    this.resolveClosed();
  }

  // ---- receive path ----

  private onBytes(chunk: Uint8Array): void {
    this.stats.bytesIn += chunk.length;
    this.decoder.push(chunk, (r, crc) => {
      if (r instanceof FramingError) this.onFramingError(r);
      else this.onBody(r, crc);
    });
  }

  private count(code: WireErrorCode): void {
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
  }

  private onFramingError(err: FramingError): void {
    this.count(err.wireCode);
    // The frame's seq cannot be trusted, so there is nothing to answer; tell the peer (rate-limited).
    const now = this.clock.monotonic();
    if (now - this.lastNoticeAt < this.noticeIntervalMs || this.closedFlag) return;
    this.lastNoticeAt = now;
    this.send('error', { code: err.wireCode, message: err.message }).catch(() => {});
  }

  private onBody(body: Uint8Array, crc?: number): void {
    this.stats.framesIn += 1;
    this.lastActivity = this.clock.monotonic();
    let msg: Message;
    try {
      msg = decodeMessage(body, crc);
    } catch (err) {
      if (err instanceof MessageError) this.onMessageError(err, body);
      else throw err;
      return;
    }
    if (msg.ack !== 0) {
      const p = this.pending.get(msg.ack);
      if (!p) {
        this.stats.unmatchedReplies += 1;
        return;
      }
      p.onMessage(msg);
      return;
    }
    this.onRequest(msg);
  }

  private onMessageError(err: MessageError, body: Uint8Array): void {
    this.count(err.wireCode);
    let ack = 0;
    try {
      ack = decodeEnvelope(body).ack;
    } catch {
      // version or flags unreadable: answer by seq if we have it
    }
    const pendingReply = ack !== 0 ? this.pending.get(ack) : undefined;
    if (pendingReply) {
      // A malformed reply to our own request: fail that request locally.
      pendingReply.onMessage({ name: 'error', type: 0x06, seq: err.seq ?? 0, ack, payload: { code: err.wireCode, message: err.message } } as Message);
      return;
    }
    if (err.seq !== undefined && err.seq !== 0) {
      this.send('error', { code: err.wireCode, message: err.message }, err.seq).catch(() => {});
    }
  }

  private onRequest(msg: Message): void {
    const spec = SPEC_BY_NAME.get(msg.name)!;
    if (spec.kind === 'reply') {
      this.count('EUNEXPECTED');
      this.send('error', { code: 'EUNEXPECTED', message: `${msg.name} is a reply but answers nothing (ack 0)` }, msg.seq).catch(() => {});
      return;
    }
    if (spec.kind === 'request') {
      const cached = this.replyCache.get(msg.seq);
      if (cached && cached.type === msg.type) {
        this.stats.retriesAnswered += 1;
        for (const f of cached.frames) this.write(f).catch(() => {});
        return;
      }
      // A retry of a request still being handled: its reply is on the way.
      if (this.inProgress.has(msg.seq)) {
        this.stats.retriesAnswered += 1;
        return;
      }
      this.inProgress.add(msg.seq);
    }
    let answered = false;
    const incoming: Incoming = {
      msg,
      reply: (name, payload, opts) => {
        const seq = this.nextSeq();
        if (opts?.stream) {
          try {
            return this.writePooled(name, payload, seq, msg.seq);
          } catch (err) {
            return Promise.reject(err);
          }
        }
        let frame: Uint8Array;
        try {
          frame = this.frame(name, payload, seq, msg.seq);
        } catch (err) {
          return Promise.reject(err);
        }
        if (!opts?.stream && spec.kind === 'request' && !answered) {
          answered = true;
          this.inProgress.delete(msg.seq);
          this.remember(msg.seq, msg.type, [frame]);
        }
        return this.write(frame);
      },
      fail: (code, message) => {
        if (spec.kind !== 'request') return Promise.resolve();
        return incoming.reply('error', { code, message });
      },
    };
    try {
      this.handler(incoming);
    } catch (err) {
      this.inProgress.delete(msg.seq);
      throw err;
    }
  }

  /** Marks a streamed request as finished so a retry of it is served again, not ignored. */
  finishStream(requestSeq: number): void {
    this.inProgress.delete(requestSeq);
  }

  private remember(seq: number, type: number, frames: Uint8Array[]): void {
    this.replyCache.delete(seq);
    this.replyCache.set(seq, { type, frames });
    while (this.replyCache.size > this.replyCacheSize) {
      const oldest = this.replyCache.keys().next().value as number;
      this.replyCache.delete(oldest);
    }
  }
}

/** The spec of a type code, or undefined. */
export function specOfType(type: number) {
  return SPEC_BY_TYPE.get(type);
}
