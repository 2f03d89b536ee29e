/**
 * The dock station: for every device that docks (a TCP connection, a serial cable), it shakes
 * hands, turns charging on, syncs the device's time, and offloads every pending file into the
 * evidence store — resuming partial copies, verifying each file's SHA-256, storing it durably
 * and only then sending the device a signed receipt (R-OFF-1/2). It forwards the responsible
 * person's signed authorisations (card registration, reseal, set-time, issue/return, pauses),
 * refuses to issue a device whose battery cannot cover the planned shift (R-PWR-4), and keeps
 * the issue/return journal with the offload time (R-LOG-2).
 */
import { Subject, type Subscription } from 'rxjs';
import type { ByteLink, LinkPort } from '../../hal/link.ts';
import type { Clock } from '../../hal/clock.ts';
import { DozorError } from '../../hal/errors.ts';
import { decodeAuthorizationBody, type SignedAuthorization } from '../../protocol/authorization.ts';
import { COMMAND_PARAMS } from '../../protocol/command-params.ts';
import { toHex, type Ed25519PrivateKey } from '../../protocol/crypto.ts';
import { signReceipt } from '../../protocol/dock-statements.ts';
import { HostSession, type DeviceInfo } from '../../protocol/host-session.ts';
import type { FileEntry, Payload } from '../../protocol/messages.ts';
import { pullFile } from '../../protocol/offload.ts';
import { DEFAULT_MAX_BODY, MIN_MAX_BODY } from '../../protocol/framing.ts';
import type { DiskSink, EvidenceStore } from '../evidence/store.ts';

export interface DockStationOptions {
  store: EvidenceStore;
  /** The dock's signing key (receipts, time attestations). */
  key: Ed25519PrivateKey;
  /** This dock's id, written into receipts and attestations. */
  name: string;
  clock: Clock;
  requestTimeoutMs?: number;
  keepaliveMs?: number;
  /** How often a docked, idle device's status is refreshed (ms). */
  statusIntervalMs?: number;
  /** Offload tuning (see pullFile). */
  window?: number;
  inFlight?: number;
  stallTimeoutMs?: number;
  /** Largest frame body the dock accepts. */
  maxBody?: number;
}

export type DockedState = 'handshake' | 'offloading' | 'idle' | 'closed' | 'failed';

export interface DeviceProgress {
  /** Serial number, or the link's name before the handshake. */
  device: string;
  state: DockedState;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  file?: string;
  error?: string;
}

export interface DockEvent {
  at: number;
  device: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

/** The operator asked for something the dock's own rules forbid (e.g. R-PWR-4). */
export class DockRefusedError extends DozorError {
  constructor(code: 'EBATTERY' | 'ENOT_DOCKED' | 'EAUTH_MALFORMED' | 'EINVALID', message: string) {
    super(code, message);
  }
}

export interface OffloadSummary {
  files: number;
  bytes: number;
  resumed: number;
  deduplicated: number;
  failed: Array<{ path: string; error: string }>;
}

interface Pulled {
  /** The verified partial copy; null when the store already held the object. */
  sink: DiskSink | null;
  resumed: boolean;
  deduplicated: boolean;
}

/** Per-link settings: on a slow serial line, small frames and windows keep requests responsive. */
export interface LinkTuning {
  /** Largest frame body the dock accepts on this link (so also the device's chunk size). */
  maxBody?: number;
  /** Bytes per read request. */
  window?: number;
  /** Reply timeout per attempt, and the read stall timeout (ms). */
  requestTimeoutMs?: number;
}

/**
 * Frames that take about a quarter second on the line, windows of eight frames, and timeouts
 * long enough for a request queued behind everything in flight (two files × two reads).
 */
export function tuningForBaud(baudRate: number): Required<LinkTuning> {
  const bytesPerSecond = baudRate / 10; // 8N1
  const maxBody = Math.max(MIN_MAX_BODY, Math.min(DEFAULT_MAX_BODY, Math.floor(bytesPerSecond / 4)));
  const window = maxBody * 8;
  return { maxBody, window, requestTimeoutMs: Math.max(5000, Math.ceil(((4 * window) / bytesPerSecond) * 2000)) };
}

interface Docked {
  window?: number;
  stallTimeoutMs?: number;
  session: HostSession;
  info: DeviceInfo;
  progress: DeviceProgress;
  status: Payload<'status'> | null;
  /** Serialises what the dock sends this device (offload vs forwarded commands). */
  busy: Promise<unknown>;
}

export class DockStation {
  private readonly o: DockStationOptions;
  private readonly docked = new Map<string, Docked>();
  private readonly subscriptions: Subscription[] = [];
  private readonly running = new Set<Promise<unknown>>();
  readonly progress$ = new Subject<DeviceProgress>();
  readonly events$ = new Subject<DockEvent>();
  /** Emits a device's serial when its offload round completes (nothing pending). */
  readonly offloaded$ = new Subject<{ device: string; summary: OffloadSummary }>();
  private closing = false;

  constructor(options: DockStationOptions) {
    this.o = options;
  }

  /** Serial numbers of the devices docked now. */
  dockedDevices(): string[] {
    return [...this.docked.keys()];
  }

  progressOf(serial: string): DeviceProgress | undefined {
    return this.docked.get(serial)?.progress;
  }

  /** Runs a session on every link the port hands out (with per-port tuning, e.g. a slow UART). */
  serve(port: LinkPort, tuning: LinkTuning = {}): void {
    this.subscriptions.push(port.links$.subscribe((link) => void this.attach(link, tuning)));
  }

  private event(device: string | null, kind: string, detail: Record<string, unknown>): void {
    const at = Math.round(this.o.clock.wallTime());
    this.o.store.event(at, device, kind, detail);
    this.events$.next({ at, device, kind, detail });
  }

  /** Serves one docked device until its link closes. Resolves with the final progress. */
  attach(link: ByteLink, tuning: LinkTuning = {}): Promise<DeviceProgress> {
    const p = this.runLink(link, tuning);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  private async runLink(link: ByteLink, tuning: LinkTuning): Promise<DeviceProgress> {
    const progress: DeviceProgress = { device: link.name, state: 'handshake', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    const session = new HostSession({
      link,
      clock: this.o.clock,
      host: this.o.name,
      role: 'dock',
      key: this.o.key,
      requestTimeoutMs: tuning.requestTimeoutMs ?? this.o.requestTimeoutMs,
      keepaliveMs: this.o.keepaliveMs,
      maxBody: tuning.maxBody ?? this.o.maxBody,
      onAlert: (a) => this.event(progress.device, 'alert', { ...a }),
      onStatus: (s) => {
        const d = this.docked.get(progress.device);
        if (d) d.status = s;
        this.o.store.deviceStatus(progress.device, s, Math.round(this.o.clock.wallTime()));
      },
    });
    let info: DeviceInfo;
    try {
      info = await session.handshake();
    } catch (err) {
      progress.state = 'failed';
      progress.error = (err as Error).message;
      this.progress$.next({ ...progress });
      await session.close('handshake failed').catch(() => {});
      return progress;
    }
    progress.device = info.device;
    const previous = this.docked.get(info.device);
    if (previous) await previous.session.close('docked again on another link').catch(() => {});
    const entry: Docked = {
      session,
      info,
      progress,
      status: null,
      busy: Promise.resolve(),
      window: tuning.window ?? this.o.window,
      stallTimeoutMs: tuning.requestTimeoutMs ?? this.o.stallTimeoutMs,
    };
    this.docked.set(info.device, entry);
    const now = () => Math.round(this.o.clock.wallTime());
    this.o.store.upsertDevice({ serial: info.device, kind: info.kind, model: info.model, firmware: info.firmware, inventoryNumber: info.inventory }, now());
    this.event(info.device, 'docked', { link: link.name, model: info.model, firmware: info.firmware, clockTrusted: info.clockTrusted });
    try {
      await session.charge(true);
      const { result, sentTime } = await session.timeSync();
      this.event(info.device, 'time-sync', { sentTime, ...result });
      entry.status = await session.status();
      this.o.store.deviceStatus(info.device, entry.status, now());
      await this.exclusive(entry, () => this.offload(entry));
      progress.state = 'idle';
      this.progress$.next({ ...progress });
      await this.idle(entry);
    } catch (err) {
      if (!session.endpoint.isClosed) {
        progress.error = (err as Error).message;
        this.event(info.device, 'session-error', { error: (err as Error).message, code: (err as DozorError).code });
        await session.close('dock error').catch(() => {});
      }
    } finally {
      if (this.docked.get(info.device) === entry) this.docked.delete(info.device);
      progress.state = progress.error ? 'failed' : 'closed';
      this.progress$.next({ ...progress });
      this.event(info.device, 'undocked', { filesDone: progress.filesDone, bytesDone: progress.bytesDone });
    }
    return progress;
  }

  private exclusive<T>(entry: Docked, fn: () => Promise<T>): Promise<T> {
    const run = entry.busy.then(fn);
    entry.busy = run.catch(() => {});
    return run;
  }

  /** While docked: refresh status now and then, until the link closes. */
  private async idle(entry: Docked): Promise<void> {
    const interval = this.o.statusIntervalMs ?? 30_000;
    const timer = this.o.clock.setInterval(() => {
      void this.exclusive(entry, async () => {
        if (entry.session.state !== 'ready') return;
        entry.status = await entry.session.status();
        this.o.store.deviceStatus(entry.info.device, entry.status, Math.round(this.o.clock.wallTime()));
        if (entry.status.pendingFiles > 0) await this.offload(entry);
      }).catch(() => {});
    }, interval);
    try {
      await entry.session.closed;
    } finally {
      timer.cancel();
    }
  }

  /**
   * Offloads everything the device lists; returns what happened. Pipelined: while one file is
   * being made durable and receipted, the next one is already being pulled, so the link never
   * idles on the dock's fsyncs.
   */
  private async offload(entry: Docked): Promise<OffloadSummary> {
    const { session, info, progress } = entry;
    const files = await session.listFiles();
    const summary: OffloadSummary = { files: 0, bytes: 0, resumed: 0, deduplicated: 0, failed: [] };
    progress.state = 'offloading';
    progress.filesTotal = files.length;
    progress.filesDone = 0;
    progress.bytesTotal = files.reduce((n, f) => n + f.size, 0);
    progress.bytesDone = 0;
    this.progress$.next({ ...progress });
    const acks: number[] = [];
    const failed = (f: FileEntry, err: unknown) => {
      summary.failed.push({ path: f.path, error: (err as Error).message });
      this.event(info.device, 'offload-failed', { path: f.path, error: (err as Error).message, code: (err as DozorError).code });
    };
    let committing: Promise<void> = Promise.resolve();
    let lost: unknown = null;
    const queue = [...files];
    const held = new Map<string, number>();
    let settledBytes = 0;
    const report = () => {
      let inFlight = 0;
      for (const n of held.values()) inFlight += n;
      progress.bytesDone = settledBytes + inFlight;
      this.progress$.next({ ...progress });
    };
    // Two files in flight: the next file's reads queue behind the current one's on the device,
    // so the link does not drain at file boundaries.
    const worker = async () => {
      while (queue.length > 0 && !lost && !session.endpoint.isClosed) {
        const f = queue.shift()!;
        progress.file = f.path;
        held.set(f.path, 0);
        let pulled: Pulled;
        try {
          pulled = await this.pull(entry, f, (n) => {
            held.set(f.path, n);
            report();
          });
        } catch (err) {
          held.delete(f.path);
          if (session.endpoint.isClosed) {
            lost = err;
            return;
          }
          failed(f, err);
          progress.filesDone += 1;
          continue;
        }
        held.delete(f.path);
        settledBytes += f.size;
        report();
        committing = committing.then(async () => {
          if (lost) return;
          try {
            acks.push(await this.storeAndReceipt(entry, f, pulled));
            summary.files += 1;
            summary.bytes += f.size;
            if (pulled.resumed) summary.resumed += 1;
            if (pulled.deduplicated) summary.deduplicated += 1;
          } catch (err) {
            if (session.endpoint.isClosed) lost = err;
            else failed(f, err);
          }
          progress.filesDone += 1;
          this.progress$.next({ ...progress });
        });
      }
    };
    await Promise.all([worker(), worker()]);
    await committing;
    // Acknowledged receipts are bookkeeping (the device holds them): one transaction per round.
    this.o.store.receiptsAcked(acks, Math.round(this.o.clock.wallTime()));
    progress.file = undefined;
    if (lost) throw lost;
    if (summary.failed.length === 0 && !session.endpoint.isClosed) {
      const remaining = await session.listFiles();
      if (remaining.length === 0) {
        this.o.store.offloadComplete(info.device, Math.round(this.o.clock.wallTime()));
        this.event(info.device, 'offload-complete', { ...summary, failed: summary.failed.length });
        this.offloaded$.next({ device: info.device, summary });
      }
    }
    return summary;
  }

  /** Pulls one file into a partial copy (resuming one from an earlier docking). */
  private async pull(entry: Docked, f: FileEntry, onProgress: (held: number) => void): Promise<Pulled> {
    const { session, info } = entry;
    const sha = toHex(f.sha256);
    // The dock already holds these exact bytes (a receipt got lost, or identical content).
    if (this.o.store.hasObject(sha)) {
      await this.o.store.dropPartial(info.device, sha);
      return { sink: null, resumed: false, deduplicated: true };
    }
    const sink = await this.o.store.openPartial(info.device, sha);
    const resumed = sink.length > 0;
    try {
      await pullFile(session, f, sink, {
        clock: this.o.clock,
        window: entry.window,
        inFlight: this.o.inFlight,
        stallTimeoutMs: entry.stallTimeoutMs,
        onProgress,
      });
    } catch (err) {
      await sink.close();
      throw err;
    }
    return { sink, resumed, deduplicated: false };
  }

  /**
   * Makes the verified copy durable and indexed, with its signed receipt in the same
   * transaction, then hands the receipt to the device (R-OFF-2: never before). Returns the item id.
   */
  private async storeAndReceipt(entry: Docked, f: FileEntry, pulled: Pulled): Promise<number> {
    const { session, info, status } = entry;
    const storedAt = Math.round(this.o.clock.wallTime());
    const receipt = signReceipt(this.o.key, { device: info.device, path: f.path, size: f.size, sha256: f.sha256, storedAt, store: this.o.name });
    const itemId = await this.o.store.commit(
      {
        sha256: toHex(f.sha256),
        size: f.size,
        device: info.device,
        deviceInventory: info.inventory,
        cardInventory: status?.card.inventory,
        cardCid: status?.card.cid,
        originalPath: f.path,
        kind: f.kind,
        recordedStart: f.start,
        recordedEnd: f.end,
        receivedAt: storedAt,
      },
      pulled.sink ?? undefined,
      receipt,
    );
    await session.sendReceipt(receipt);
    return itemId;
  }

  /**
   * Forwards an authorisation to a docked device and records what the regulations want from
   * it: issue/return rows in the journal (R-LOG-2); an issue is refused here when the device's
   * battery cannot cover the planned shift (R-PWR-4), before it reaches the device.
   */
  async forward(serial: string, auth: SignedAuthorization): Promise<Payload<'command-result'>> {
    const entry = this.docked.get(serial);
    if (!entry) throw new DockRefusedError('ENOT_DOCKED', `${serial} is not docked`);
    let body;
    try {
      body = decodeAuthorizationBody(auth.body);
    } catch (err) {
      throw new DockRefusedError('EAUTH_MALFORMED', (err as Error).message);
    }
    return this.exclusive(entry, async () => {
      const now = () => Math.round(this.o.clock.wallTime());
      const status = await entry.session.status();
      entry.status = status;
      if (body.action === 'issue') {
        const params = COMMAND_PARAMS.issue.safeParse(body.params);
        if (!params.success) throw new DockRefusedError('EINVALID', `issue params: ${params.error.issues[0].message}`);
        if (status.batteryHours < params.data.plannedShiftHours) {
          const reason = `battery covers ${status.batteryHours.toFixed(1)} h, the planned shift is ${params.data.plannedShiftHours} h`;
          this.event(serial, 'issue-refused', { reason, signer: body.signer, counter: body.counter, batteryHours: status.batteryHours, plannedShiftHours: params.data.plannedShiftHours });
          throw new DockRefusedError('EBATTERY', `issue of ${serial} refused: ${reason} (R-PWR-4)`);
        }
      }
      let result: Payload<'command-result'>;
      try {
        result = await entry.session.command(auth);
      } catch (err) {
        this.event(serial, 'command-refused', { action: body.action, signer: body.signer, counter: body.counter, code: (err as DozorError).code, error: (err as Error).message });
        throw err;
      }
      this.event(serial, 'command', { action: body.action, signer: body.signer, keyId: body.keyId, counter: body.counter, result: result.result });
      if (body.action === 'issue') {
        const p = COMMAND_PARAMS.issue.parse(body.params);
        const holder = p.officer ?? [p.vehicle?.boardNumber, p.vehicle?.plate, p.vehicle?.trip].filter(Boolean).join(' / ');
        this.o.store.recordIssue({
          device: serial,
          inventoryNumber: entry.info.inventory,
          holder: holder || undefined,
          plannedHours: p.plannedShiftHours,
          batteryHours: status.batteryHours,
          at: now(),
          by: body.signer,
          keyId: body.keyId,
          auth: auth.body,
          sig: auth.signature,
          note: p.note,
        });
      } else if (body.action === 'return') {
        const p = COMMAND_PARAMS.return.parse(body.params);
        this.o.store.recordReturn({ device: serial, at: now(), by: body.signer, keyId: body.keyId, auth: auth.body, sig: auth.signature, note: p.note });
        const after = await entry.session.status();
        if (after.pendingFiles === 0) this.o.store.fillOffloadFromLast(serial);
      }
      return result;
    });
  }

  /** Waits until the device is docked (or the timeout passes). */
  async waitDocked(serial: string, timeoutMs: number): Promise<boolean> {
    const start = this.o.clock.monotonic();
    while (!this.docked.has(serial) || this.docked.get(serial)!.progress.state === 'handshake') {
      if (this.o.clock.monotonic() - start > timeoutMs) return false;
      await this.o.clock.sleep(50);
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.all([...this.docked.values()].map((d) => d.session.close('dock shutting down').catch(() => {})));
    await Promise.allSettled([...this.running]);
    this.progress$.complete();
    this.events$.complete();
    this.offloaded$.complete();
  }
}
