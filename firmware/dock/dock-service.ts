/**
 * The device's dock service: what the device does when a host (the dock while it charges, or
 * the server over the field uplink) talks to it. It implements the protocol's device handlers:
 *
 * - offload: lists pending evidence, serves byte ranges, and accepts only receipts signed by a
 *   provisioned dock key for the exact path, size and SHA-256 it holds (R-OFF-1/2); the receipt
 *   goes to the `OffloadSource` and the journal (`offload-receipt`); nothing is deleted here;
 * - privileged commands: verifies the signed authorisation (key, role, device, counter), makes
 *   the replay guard durable, validates the parameters, refuses an issue the battery cannot
 *   cover (R-PWR-4, journalled `issue-refused`), then calls the application's handler;
 * - time sync: a dock-signed time bound to this session's nonce; the drift is journalled, and a
 *   drift beyond the tolerance is corrected and journalled with old and new time (R-TIME-2);
 * - status and charging for the dock.
 */
import type { Clock } from '../../hal/clock.ts';
import type { Random } from '../../hal/random.ts';
import {
  ReplayGuard,
  verifyAuthorization,
  type AuthorizationBody,
  type SignedAuthorization,
  type TrustedKey,
} from '../../protocol/authorization.ts';
import { COMMAND_PARAMS } from '../../protocol/command-params.ts';
import { fromHex, toHex } from '../../protocol/crypto.ts';
import {
  StatementError,
  decodeReceiptBody,
  decodeTimeAttestationBody,
  verifyReceipt,
  verifyTimeAttestation,
  type SignedStatement,
} from '../../protocol/dock-statements.ts';
import type {
  DeviceIdentityInfo,
  DeviceSessionHandlers,
  ReadableRange,
  SessionContext,
} from '../../protocol/device-session.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { FileEntry, Payload } from '../../protocol/messages.ts';
import type { JournalWriter } from '../journal/entries.ts';
import type { ChargeControl, CommandHandlers, DeviceStatusProvider, OffloadFile, OffloadSource, ReplayStore } from './interfaces.ts';

export interface TimeSyncPolicy {
  /** Drift (ms) below which the clock is left alone; the drift is journalled anyway. */
  toleranceMs?: number;
  /** Whether a dock-signed time may correct the clock at all (else only journal the drift). */
  apply?: boolean;
  /** Told after the wall clock was corrected (the application writes the RTC). */
  onApplied?: (oldTime: number, newTime: number) => Promise<void> | void;
}

export interface DockServiceOptions {
  clock: Clock;
  random: Random;
  identity: DeviceIdentityInfo;
  /** Provisioned keys: people (authorisations) and docks (receipts, time). */
  trusted: readonly TrustedKey[];
  replay: ReplayStore;
  source: OffloadSource;
  status: DeviceStatusProvider;
  charge: ChargeControl;
  commands: CommandHandlers;
  journal: JournalWriter;
  /** Whether the device's wall clock is currently trustworthy (the clock guard's view). */
  clockTrusted: () => boolean;
  timeSync?: TimeSyncPolicy;
}

export class DockService implements DeviceSessionHandlers {
  private readonly o: DockServiceOptions;
  private guard: ReplayGuard | null = null;
  /** Privileged commands run one at a time: the replay guard is a sequence. */
  private commandChain: Promise<unknown> = Promise.resolve();

  constructor(options: DockServiceOptions) {
    this.o = options;
  }

  identity(): DeviceIdentityInfo {
    return this.o.identity;
  }

  clockTrusted(): boolean {
    return this.o.clockTrusted();
  }

  async status(): Promise<Payload<'status'>> {
    const s = await this.o.status.status();
    const pending = await this.o.source.pending();
    return {
      time: Math.round(this.o.clock.wallTime()),
      clockTrusted: this.o.clockTrusted(),
      batteryHours: s.batteryHours,
      batteries: s.batteries,
      externalPower: s.externalPower,
      charging: s.charging,
      seal: s.seal,
      card: s.card,
      onDuty: s.onDuty,
      issued: s.issued,
      pendingFiles: pending.length,
      pendingBytes: pending.reduce((n, f) => n + f.size, 0),
      freeBytes: s.freeBytes,
    };
  }

  async charge(enable: boolean): Promise<void> {
    await this.o.charge.setCharging(enable);
  }

  // ---- offload ----

  async listFiles(after: string | undefined, limit: number): Promise<{ files: FileEntry[]; more: boolean }> {
    const all = await this.o.source.pending();
    const rest = after === undefined ? all : all.filter((f) => f.path > after);
    return { files: rest.slice(0, limit).map(toEntry), more: rest.length > limit };
  }

  async openRead(path: string, sha256: Uint8Array, offset: number, length: number): Promise<ReadableRange> {
    const file = await this.o.source.file(path);
    if (!file) throw new ProtocolError('ENOENT', `no file ${path}`);
    if (file.sha256 !== toHex(sha256)) throw new ProtocolError('EMISMATCH', `${path} has SHA-256 ${file.sha256.slice(0, 16)}…, not ${toHex(sha256).slice(0, 16)}…`);
    if (offset + length > file.size) throw new ProtocolError('ERANGE', `${path}: ${offset}+${length} is past its ${file.size} bytes`);
    const source = this.o.source;
    return {
      async read(at: number, n: number): Promise<Uint8Array> {
        try {
          return await source.read(path, at, n);
        } catch (err) {
          throw new ProtocolError('EIO', `${path}: ${(err as Error).message}`, { cause: err });
        }
      },
    };
  }

  async receipt(s: SignedStatement, _ctx: SessionContext): Promise<Payload<'receipt-ack'>> {
    const claimed = decodeReceiptBody(s.body);
    const file = await this.o.source.file(claimed.path);
    if (!file) throw new StatementError('receipt', 'mismatch', `no file ${claimed.path} on this device`);
    const body = verifyReceipt(s, { device: this.o.identity.device, trusted: this.o.trusted, file });
    const state = await this.o.source.acceptReceipt({
      path: body.path,
      size: body.size,
      sha256: file.sha256,
      storedAt: body.storedAt,
      store: body.store,
      keyId: body.keyId,
      receipt: s,
    });
    if (state === 'accepted') {
      await this.o.journal.append('offload-receipt', { path: body.path, sha256: file.sha256, bytes: body.size, server: body.store, storedAt: body.storedAt });
    }
    return { path: body.path, sha256: body.sha256, state };
  }

  // ---- time ----

  async timeSync(att: SignedStatement, ctx: SessionContext): Promise<Payload<'time-result'>> {
    const receivedAt = this.o.clock.wallTime();
    const receivedMono = this.o.clock.monotonic();
    let body;
    try {
      body = verifyTimeAttestation(att, { device: this.o.identity.device, nonce: ctx.nonce, trusted: this.o.trusted });
    } catch (err) {
      if (!(err instanceof StatementError)) throw err;
      let driftMs = 0;
      try {
        driftMs = Math.round(receivedAt - decodeTimeAttestationBody(att.body).time);
      } catch {
        // unreadable: no drift to report
      }
      return { driftMs, applied: false, reason: err.reason };
    }
    const driftMs = Math.round(receivedAt - body.time);
    await this.o.journal.append('time-drift', { driftMs, reference: `dock ${body.host} (key ${body.keyId})` });
    const policy = this.o.timeSync ?? {};
    const tolerance = policy.toleranceMs ?? 1000;
    if (policy.apply === false) return { driftMs, applied: false, reason: 'policy' };
    if (Math.abs(driftMs) <= tolerance && this.o.clockTrusted()) return { driftMs, applied: false, reason: 'within-tolerance' };
    // The attested instant plus the time it took us to get here.
    const newTime = Math.round(body.time + (this.o.clock.monotonic() - receivedMono));
    const oldTime = Math.round(this.o.clock.wallTime());
    this.o.clock.setWallTime(newTime);
    await this.o.journal.append('time-set', { oldTime, newTime, source: 'dock-sync' });
    await policy.onApplied?.(oldTime, newTime);
    return { driftMs, applied: true, reason: 'applied' };
  }

  // ---- privileged commands ----

  command(auth: SignedAuthorization, ctx: SessionContext): Promise<Payload<'command-result'>> {
    const run = this.commandChain.then(() => this.runCommand(auth, ctx));
    this.commandChain = run.catch(() => {});
    return run;
  }

  private async replayGuard(): Promise<ReplayGuard> {
    this.guard ??= new ReplayGuard(await this.o.replay.load());
    return this.guard;
  }

  private async runCommand(auth: SignedAuthorization, ctx: SessionContext): Promise<Payload<'command-result'>> {
    const guard = await this.replayGuard();
    const before = guard.toJSON();
    const body = verifyAuthorization(auth, {
      device: this.o.identity.device,
      trusted: this.o.trusted,
      replay: guard,
      trustedNow: this.o.clockTrusted() ? this.o.clock.wallTime() : undefined,
    });
    try {
      // Durable before acting: a power cut after the action must not let the command run again.
      await this.o.replay.save(guard.toJSON());
    } catch (err) {
      this.guard = new ReplayGuard(before);
      throw err;
    }
    const params = COMMAND_PARAMS[body.action].safeParse(body.params);
    if (!params.success) {
      const issue = params.error.issues[0];
      throw new ProtocolError('EINVALID', `${body.action} params: ${issue.path.join('.') || '(params)'}: ${issue.message}`);
    }
    const checked: AuthorizationBody = { ...body, params: params.data as Record<string, unknown> };
    if (body.action === 'issue') await this.checkBatteryForIssue(checked);
    const handler = this.o.commands[body.action];
    if (!handler) throw new ProtocolError('EUNSUPPORTED', `this device does not implement ${body.action}`);
    const result = await handler(checked, { host: ctx.host });
    return { action: body.action, counter: body.counter, result };
  }

  /** R-PWR-4: a device whose batteries cannot cover the planned shift is not issued. */
  private async checkBatteryForIssue(auth: AuthorizationBody): Promise<void> {
    const planned = (auth.params as { plannedShiftHours: number }).plannedShiftHours;
    const { batteryHours } = await this.o.status.status();
    if (batteryHours >= planned) return;
    const reason = `battery covers ${batteryHours.toFixed(1)} h, the planned shift is ${planned} h`;
    await this.o.journal.append('issue-refused', { reason, plannedShiftHours: planned, batteryHours });
    throw new ProtocolError('EBATTERY', reason);
  }
}

function toEntry(f: OffloadFile): FileEntry {
  return { path: f.path, size: f.size, sha256: fromHex(f.sha256), kind: f.kind, start: f.startWall, end: f.endWall };
}
