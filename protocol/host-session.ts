/**
 * The host end of a session (dock, storage server, conformance tester; docs/protocol.md §6):
 * says hello, learns who the device is, and then drives it with typed requests. Keeps the link
 * alive with pings while idle and closes it when the device stops answering.
 *
 *     state       on
 *     connecting  handshake(): hello → device-info → ready; no answer / EVERSION → closed
 *     ready       requests; keepalive ping unanswered → closed; bye or link closed → closed
 *     closed      every request rejects with ESESSION_CLOSED
 */
import type { ByteLink } from '../hal/link.ts';
import type { Clock, TimerHandle } from '../hal/clock.ts';
import type { SignedAuthorization } from './authorization.ts';
import type { Ed25519PrivateKey } from './crypto.ts';
import { signTimeAttestation, type SignedStatement } from './dock-statements.ts';
import { Endpoint, type Incoming, type RequestOptions } from './endpoint.ts';
import { ProtocolError, SessionError } from './errors.ts';
import { DEFAULT_MAX_BODY } from './framing.ts';
import { PROTOCOL_VERSION, type FileEntry, type Payload } from './messages.ts';

export type HostRole = 'dock' | 'server' | 'tester';
export type HostSessionState = 'connecting' | 'ready' | 'closed';
export type DeviceInfo = Payload<'device-info'>;

export interface HostSessionOptions {
  link: ByteLink;
  clock: Clock;
  /** This host's id (dock name / server name), put in hello, receipts and attestations. */
  host: string;
  role?: HostRole;
  /** The host's signing key (receipts, time attestations); its public half goes in hello. */
  key: Ed25519PrivateKey;
  maxBody?: number;
  /** Reply timeout per attempt (ms). */
  requestTimeoutMs?: number;
  retries?: number;
  /** Ping after this much silence (ms); 0 disables keepalive. */
  keepaliveMs?: number;
  /** Alerts from the device; the alert is acknowledged once this resolves. */
  onAlert?: (alert: Payload<'alert'>) => Promise<void> | void;
  /** Unsolicited status notices (e.g. the seal was opened while docked). */
  onStatus?: (status: Payload<'status'>) => void;
}

export class HostSession {
  readonly endpoint: Endpoint;
  readonly host: string;
  readonly role: HostRole;
  readonly key: Ed25519PrivateKey;
  private readonly clock: Clock;
  private readonly requestOpts: RequestOptions;
  private readonly keepaliveMs: number;
  private keepalive: TimerHandle | null = null;
  private stateValue: HostSessionState = 'connecting';
  private info: DeviceInfo | null = null;
  private readonly onAlert?: HostSessionOptions['onAlert'];
  private readonly onStatus?: HostSessionOptions['onStatus'];

  constructor(options: HostSessionOptions) {
    this.clock = options.clock;
    this.host = options.host;
    this.role = options.role ?? 'dock';
    this.key = options.key;
    this.requestOpts = { timeoutMs: options.requestTimeoutMs ?? 5000, retries: options.retries ?? 2 };
    this.keepaliveMs = options.keepaliveMs ?? 15000;
    this.onAlert = options.onAlert;
    this.onStatus = options.onStatus;
    this.endpoint = new Endpoint({ link: options.link, clock: options.clock, maxBody: options.maxBody ?? DEFAULT_MAX_BODY });
    this.endpoint.start((incoming) => this.onIncoming(incoming));
    void this.endpoint.closed.then(() => {
      this.stateValue = 'closed';
      this.keepalive?.cancel();
    });
  }

  get state(): HostSessionState {
    return this.stateValue;
  }

  /** The device, after the handshake. */
  get device(): DeviceInfo {
    if (!this.info) throw new SessionError('EHANDSHAKE', 'no handshake yet');
    return this.info;
  }

  get closed(): Promise<void> {
    return this.endpoint.closed;
  }

  /** hello → device-info. Rejects with SessionError('EHANDSHAKE') if the device cannot talk to us. */
  async handshake(): Promise<DeviceInfo> {
    let reply;
    try {
      reply = await this.endpoint.call(
        'hello',
        {
          proto: PROTOCOL_VERSION,
          role: this.role,
          host: this.host,
          keyId: this.key.keyId,
          publicKey: this.key.publicKey,
          time: Math.round(this.clock.wallTime()),
          maxFrame: this.endpoint.maxBody,
        },
        'device-info',
        this.requestOpts,
      );
    } catch (err) {
      throw new SessionError('EHANDSHAKE', `handshake failed: ${(err as Error).message}`, { cause: err });
    }
    const info = reply.payload;
    if (info.proto !== PROTOCOL_VERSION) {
      throw new SessionError('EHANDSHAKE', `device speaks protocol ${info.proto}, this host ${PROTOCOL_VERSION}`);
    }
    this.info = info;
    this.endpoint.peerMaxBody = info.maxFrame;
    this.stateValue = 'ready';
    this.startKeepalive();
    return info;
  }

  private startKeepalive(): void {
    if (this.keepaliveMs <= 0 || this.keepalive) return;
    this.keepalive = this.clock.setInterval(() => {
      if (this.stateValue !== 'ready') return;
      if (this.clock.monotonic() - this.endpoint.lastReceivedAt < this.keepaliveMs) return;
      this.ping().catch(() => {
        void this.endpoint.close(new SessionError('ETIMEOUT', 'device stopped answering pings'));
      });
    }, this.keepaliveMs);
  }

  private onIncoming(incoming: Incoming): void {
    const msg = incoming.msg;
    switch (msg.name) {
      case 'ping':
        void incoming.reply('pong', {}).catch(() => {});
        return;
      case 'bye':
        void this.endpoint.close();
        return;
      case 'status':
        this.onStatus?.(msg.payload);
        return;
      case 'alert':
        void Promise.resolve(this.onAlert?.(msg.payload))
          .then(() => incoming.reply('ok', {}))
          .catch((err: Error) => incoming.fail('EINTERNAL', err.message))
          .catch(() => {});
        return;
      case 'error':
        return; // a framing notice from the device: counted by the endpoint
      default:
        void incoming.fail('EUNEXPECTED', `${msg.name} is not sent to hosts`).catch(() => {});
    }
  }

  private ready(): void {
    if (this.stateValue !== 'ready') {
      throw new SessionError(this.stateValue === 'closed' ? 'ESESSION_CLOSED' : 'EHANDSHAKE', `session is ${this.stateValue}`);
    }
  }

  async ping(): Promise<void> {
    await this.endpoint.call('ping', {}, 'pong', this.requestOpts);
  }

  async status(): Promise<Payload<'status'>> {
    this.ready();
    return (await this.endpoint.call('status-get', {}, 'status', this.requestOpts)).payload;
  }

  async charge(enable: boolean): Promise<void> {
    this.ready();
    await this.endpoint.call('charge', { enable }, 'ok', this.requestOpts);
  }

  /** Signs the host's current wall time for this session's nonce and sends it. */
  async timeSync(): Promise<{ result: Payload<'time-result'>; sentTime: number }> {
    this.ready();
    const sentTime = Math.round(this.clock.wallTime());
    const att = signTimeAttestation(this.key, { device: this.device.device, nonce: this.device.nonce, time: sentTime, host: this.host });
    return { result: await this.sendTimeAttestation(att), sentTime };
  }

  /** Sends a prepared attestation (conformance tests send stale and foreign ones). */
  async sendTimeAttestation(att: SignedStatement): Promise<Payload<'time-result'>> {
    this.ready();
    return (await this.endpoint.call('time-sync', { att: { body: att.body, sig: att.signature } }, 'time-result', this.requestOpts)).payload;
  }

  /** Forwards a signed authorisation; rejects with RemoteError (EAUTH_…, EBATTERY, …) when refused. */
  async command(auth: SignedAuthorization, opts?: RequestOptions): Promise<Payload<'command-result'>> {
    this.ready();
    const sig = auth.signature.length > 0 ? auth.signature : undefined;
    return (await this.endpoint.call('command', { auth: { body: auth.body, sig } }, 'command-result', { ...this.requestOpts, ...opts })).payload;
  }

  /** Every file pending offload, all pages. */
  async listFiles(pageSize = 200): Promise<FileEntry[]> {
    this.ready();
    const out: FileEntry[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await this.endpoint.call('list-files', { after, limit: pageSize }, 'file-list', this.requestOpts)).payload;
      out.push(...page.files);
      if (!page.more) return out;
      if (page.files.length === 0) throw new ProtocolError('EINVALID', 'file-list says more but returned no files');
      after = page.files[page.files.length - 1].path;
    }
  }

  async sendReceipt(receipt: SignedStatement): Promise<Payload<'receipt-ack'>> {
    this.ready();
    return (await this.endpoint.call('receipt', { receipt: { body: receipt.body, sig: receipt.signature } }, 'receipt-ack', this.requestOpts)).payload;
  }

  /** Says bye and closes the link. */
  async close(reason = 'host closing'): Promise<void> {
    this.keepalive?.cancel();
    if (!this.endpoint.isClosed) await this.endpoint.send('bye', { reason }).catch(() => {});
    this.stateValue = 'closed';
    await this.endpoint.close();
  }
}
