/**
 * Conformance kit (docs/protocol.md §13): a named suite that checks a device or a dock against
 * the protocol over any link — our own and an integrator's. Each case opens a fresh connection.
 *
 * Against a device the kit plays the dock (it needs the device to trust its test keys); against
 * a dock it plays a device with freshly generated recordings.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ByteLink } from '../../hal/link.ts';
import type { Clock } from '../../hal/clock.ts';
import type { DozorError } from '../../hal/errors.ts';
import { signAuthorization, type SignedAuthorization } from '../../protocol/authorization.ts';
import { keyIdOf, sha256, toHex, type Ed25519PrivateKey } from '../../protocol/crypto.ts';
import {
  decodeReceiptBody,
  signReceipt,
  signTimeAttestation,
  verifyReceipt,
  verifyTimeAttestation,
  type SignedStatement,
} from '../../protocol/dock-statements.ts';
import { DeviceSession, type DeviceSessionHandlers, type SessionContext } from '../../protocol/device-session.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { encodeFrame, MIN_MAX_BODY } from '../../protocol/framing.ts';
import { HostSession } from '../../protocol/host-session.ts';
import { MemorySink } from '../../protocol/memory-sink.ts';
import { encodeMessage, type FileEntry, type Payload } from '../../protocol/messages.ts';
import { pullFile } from '../../protocol/offload.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import type { Random } from '../../hal/random.ts';

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  id: string;
  title: string;
  outcome: Outcome;
  detail: string;
  ms: number;
}

/** Opens a fresh link to the peer under test (a TCP connection, a reopened serial port). */
export type Connect = () => Promise<ByteLink>;

export interface ConformanceKeys {
  /** Signs receipts and time attestations (the device must trust it with role dock). */
  dock: Ed25519PrivateKey;
  /** Signs set-time (the device must trust it with role responsible). */
  responsible: Ed25519PrivateKey;
  /** Provisioned nowhere. */
  stranger: Ed25519PrivateKey;
}

export const CASES = [
  { id: 'handshake', title: 'handshake' },
  { id: 'bad-crc', title: 'bad CRC' },
  { id: 'oversize-frame', title: 'oversize frame' },
  { id: 'unknown-type', title: 'unknown type' },
  { id: 'unsigned-command', title: 'unsigned privileged command' },
  { id: 'wrong-key-command', title: 'wrong-key privileged command' },
  { id: 'replayed-command', title: 'replayed privileged command' },
  { id: 'interrupted-transfer', title: 'interrupted transfer and resume' },
  { id: 'no-deletion-before-receipt', title: 'no deletion before receipt' },
  { id: 'time-sync', title: 'time sync' },
] as const;

export type CaseId = (typeof CASES)[number]['id'];

class CaseFailure extends Error {}
class CaseSkip extends Error {}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CaseFailure(message);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as DozorError).code ?? (err as Error).message;
  }
}

async function runCase(id: CaseId, fn: () => Promise<string>): Promise<CaseResult> {
  const title = CASES.find((c) => c.id === id)!.title;
  const t0 = performance.now();
  try {
    const detail = await fn();
    return { id, title, outcome: 'pass', detail, ms: performance.now() - t0 };
  } catch (err) {
    const outcome: Outcome = err instanceof CaseSkip ? 'skip' : 'fail';
    const detail = err instanceof CaseFailure || err instanceof CaseSkip ? err.message : `${(err as DozorError).code ?? 'error'}: ${(err as Error).message}`;
    return { id, title, outcome, detail, ms: performance.now() - t0 };
  }
}

// =====================================================================================
// Device suite: the kit is the dock.
// =====================================================================================

export interface DeviceSuiteOptions {
  connect: Connect;
  clock: Clock;
  keys?: ConformanceKeys;
  /** Also send one valid receipt (the device may then release that file): test devices only. */
  allowReceipts?: boolean;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  only?: readonly CaseId[];
}

export async function runDeviceSuite(o: DeviceSuiteOptions): Promise<CaseResult[]> {
  const keys = o.keys ?? { dock: TEST_KEYS.dock, responsible: TEST_KEYS.responsible, stranger: TEST_KEYS.stranger };
  const timeoutMs = o.timeoutMs ?? 5000;
  const open = async (handshake = true) => {
    const link = await o.connect();
    const host = new HostSession({ link, clock: o.clock, host: 'conformance-kit', role: 'tester', key: keys.dock, requestTimeoutMs: timeoutMs, retries: 1, keepaliveMs: 0 });
    if (handshake) await host.handshake();
    return host;
  };
  const withHost = async <T>(fn: (h: HostSession) => Promise<T>, handshake = true): Promise<T> => {
    const h = await open(handshake);
    try {
      return await fn(h);
    } finally {
      await h.close('case done').catch(() => {});
    }
  };
  // Counters must exceed whatever the device has seen: wall-clock milliseconds do.
  let counter = Math.round(o.clock.wallTime()) * 1000;
  /** A set-time to the kit's own (trusted) time: harmless on a device whose clock is right. */
  const setTime = (h: HostSession, key: Ed25519PrivateKey): SignedAuthorization => {
    counter += 1;
    return signAuthorization(key, {
      action: 'set-time',
      device: h.device.device,
      signer: 'Conformance kit',
      counter,
      issuedAt: Math.round(o.clock.wallTime()),
      params: { time: Math.round(o.clock.wallTime()) },
    });
  };
  const timeNear = async (h: HostSession, what: string) => {
    const s = await h.status();
    const diff = s.time - o.clock.wallTime();
    check(Math.abs(diff) < 5000, `${what}: device time is ${Math.round(diff)} ms off the kit's`);
  };
  const wanted = (id: CaseId) => !o.only || o.only.includes(id);
  const results: CaseResult[] = [];
  const state: { file?: FileEntry; sink?: MemorySink } = {};

  const cases: Record<CaseId, () => Promise<string>> = {
    handshake: () =>
      withHost(async (h) => {
        const a = await h.handshake();
        check(a.proto === 1, `device speaks protocol ${a.proto}`);
        check(a.nonce.length === 16, 'nonce is not 16 bytes');
        check(a.maxFrame >= MIN_MAX_BODY, `maxFrame ${a.maxFrame} < ${MIN_MAX_BODY}`);
        const b = await h.handshake();
        check(toHex(a.nonce) !== toHex(b.nonce), 'a second hello did not start a new session (same nonce)');
        check(b.device === a.device, 'device id changed between hellos');
        return `${a.device} (${a.kind}, ${a.model}, firmware ${a.firmware}), maxFrame ${a.maxFrame}`;
      }, false),
    'bad-crc': () =>
      withHost(async (h) => {
        const frame = encodeFrame([encodeMessage('ping', {}, 4000)]);
        frame[frame.length - 2] ^= 0x01;
        const before = h.endpoint.stats.unmatchedReplies;
        await h.endpoint.writeRaw(frame);
        await h.ping();
        check(h.endpoint.stats.unmatchedReplies === before, 'the device answered a frame whose CRC was wrong');
        return 'corrupted frame ignored, session continues';
      }),
    'oversize-frame': () =>
      withHost(async (h) => {
        const limit = h.device.maxFrame;
        const body = encodeMessage('list-files', { limit: 1 }, 4001);
        const big = new Uint8Array(limit + 4096);
        big.set(body);
        // A valid envelope padded past the limit: must be discarded without an answer.
        const frame = encodeFrame([big]);
        const junk = new Uint8Array(limit * 2 + 10).fill(0x55); // and a run with no delimiter at all
        const before = h.endpoint.stats.unmatchedReplies;
        await h.endpoint.writeRaw(frame);
        await h.endpoint.writeRaw(junk);
        await h.endpoint.writeRaw(new Uint8Array([0]));
        await h.ping();
        check(h.endpoint.stats.unmatchedReplies === before, 'the device answered an oversize frame');
        return `frames of ${big.length} and ${junk.length} bytes (limit ${limit}) discarded, session continues`;
      }),
    'unknown-type': () =>
      withHost(async (h) => {
        const body = encodeMessage('ping', {}, 4002);
        body[1] = 0x7e;
        const answers: string[] = [];
        const stop = h.endpoint.watchReplies(4002, (m) => answers.push(m.name === 'error' ? m.payload.code : m.name));
        await h.endpoint.writeRaw(encodeFrame([body]));
        // Frames are answered in order: once the ping is answered, so is the unknown type.
        await h.ping();
        stop();
        check(answers.length > 0, 'no error answered the unknown type');
        check(answers[0] === 'EUNKNOWN_TYPE', `answered ${answers[0]}, expected EUNKNOWN_TYPE`);
        return 'answered EUNKNOWN_TYPE, session continues';
      }),
    'unsigned-command': () =>
      withHost(async (h) => {
        const auth = setTime(h, keys.responsible);
        const code = await codeOf(h.command({ body: auth.body, signature: new Uint8Array(0) }));
        check(code === 'EAUTH_UNSIGNED', `unsigned set-time answered ${code}, expected EAUTH_UNSIGNED`);
        await timeNear(h, 'after the refused command');
        return 'refused with EAUTH_UNSIGNED';
      }),
    'wrong-key-command': () =>
      withHost(async (h) => {
        const unknown = await codeOf(h.command(setTime(h, keys.stranger)));
        check(unknown === 'EAUTH_UNKNOWN_KEY', `set-time by an unprovisioned key answered ${unknown}, expected EAUTH_UNKNOWN_KEY`);
        // A body naming the responsible key, signed by the stranger.
        const genuine = setTime(h, keys.responsible);
        const forged = { body: genuine.body, signature: keys.stranger.sign(concatDomain(genuine.body)) };
        const bad = await codeOf(h.command(forged));
        check(bad === 'EAUTH_BAD_SIGNATURE', `set-time with a forged signature answered ${bad}, expected EAUTH_BAD_SIGNATURE`);
        await timeNear(h, 'after the refused commands');
        return 'unknown key → EAUTH_UNKNOWN_KEY, forged signature → EAUTH_BAD_SIGNATURE';
      }),
    'replayed-command': () =>
      withHost(async (h) => {
        const auth = setTime(h, keys.responsible);
        const first = await codeOf(h.command(auth));
        check(first === 'ok', `a valid set-time (responsible key ${keys.responsible.keyId}) was refused: ${first}`);
        const second = await codeOf(h.command(auth));
        check(second === 'EAUTH_REPLAYED', `the same set-time sent again answered ${second}, expected EAUTH_REPLAYED`);
        await h.close();
        const again = await open();
        try {
          const third = await codeOf(again.command(auth));
          check(third === 'EAUTH_REPLAYED', `replayed in a new session: ${third}, expected EAUTH_REPLAYED`);
        } finally {
          await again.close().catch(() => {});
        }
        return 'accepted once, EAUTH_REPLAYED afterwards (also in a new session)';
      }),
    'interrupted-transfer': async () => {
      const h1 = await open();
      let file: FileEntry | undefined;
      const sink = new MemorySink();
      try {
        const files = await h1.listFiles();
        file = [...files].sort((a, b) => b.size - a.size)[0];
        if (!file || file.size < 2) throw new CaseSkip('the device has no pending file to transfer');
        const cutAt = Math.floor(file.size / 3);
        const f = file;
        await pullFile(h1, f, cutoffSink(sink, cutAt, () => void h1.endpoint.close()), { clock: o.clock, window: Math.max(1024, Math.floor(f.size / 8)), stallTimeoutMs: timeoutMs * 2 }).catch(() => {});
      } finally {
        await h1.close().catch(() => {});
      }
      check(sink.length > 0 && sink.length < file.size, `expected a partial copy, got ${sink.length} of ${file.size} bytes`);
      const h2 = await open();
      try {
        const r = await pullFile(h2, file, sink, { clock: o.clock, stallTimeoutMs: timeoutMs * 2 });
        check(r.resumedFrom > 0, 'the transfer did not resume');
        state.file = file;
        state.sink = sink;
        return `${file.path}: link cut at byte ${r.resumedFrom} of ${file.size}, resumed from there, SHA-256 verified`;
      } finally {
        await h2.close().catch(() => {});
      }
    },
    'no-deletion-before-receipt': async () => {
      if (!state.file) throw new CaseSkip('needs a completed transfer (interrupted-transfer)');
      const f = state.file;
      return withHost(async (h) => {
        const listed = (await h.listFiles()).find((x) => x.path === f.path);
        check(listed, `${f.path} vanished from the pending list before any receipt`);
        check(toHex(listed.sha256) === toHex(f.sha256), `${f.path} changed its SHA-256`);
        const again = new MemorySink();
        await pullFile(h, listed, again, { clock: o.clock, stallTimeoutMs: timeoutMs * 2 });
        const base = { device: h.device.device, path: f.path, size: f.size, sha256: f.sha256, storedAt: Math.round(o.clock.wallTime()), store: 'conformance-kit' };
        const wrong = await codeOf(h.sendReceipt(signReceipt(keys.dock, { ...base, sha256: sha256(f.sha256) })));
        check(wrong === 'ERECEIPT_MISMATCH', `a receipt for another hash answered ${wrong}, expected ERECEIPT_MISMATCH`);
        const foreign = await codeOf(h.sendReceipt(signReceipt(keys.stranger, base)));
        check(foreign === 'ERECEIPT_UNKNOWN_KEY', `a receipt signed by an unknown key answered ${foreign}, expected ERECEIPT_UNKNOWN_KEY`);
        check((await h.listFiles()).some((x) => x.path === f.path), `${f.path} left the pending list after refused receipts`);
        if (!o.allowReceipts) return 'file still pending and readable after a full copy and refused receipts (valid receipt not sent: --allow-receipts)';
        const ok = await h.sendReceipt(signReceipt(keys.dock, base));
        check(ok.state === 'accepted' || ok.state === 'already', `valid receipt answered ${ok.state}`);
        check(!(await h.listFiles()).some((x) => x.path === f.path), `${f.path} still pending after a valid receipt`);
        return 'file pending until a valid receipt; refused receipts change nothing';
      });
    },
    'time-sync': async () => {
      const first = await open();
      let stale: SignedStatement;
      try {
        const { result } = await first.timeSync();
        check(result.applied || result.reason === 'within-tolerance', `a valid time sync was not applied: ${result.reason}`);
        stale = signTimeAttestation(keys.dock, { device: first.device.device, nonce: first.device.nonce, time: Math.round(o.clock.wallTime()) - 3_600_000, host: 'conformance-kit' });
      } finally {
        await first.close().catch(() => {});
      }
      return withHost(async (h) => {
        const replayed = await h.sendTimeAttestation(stale);
        check(!replayed.applied, 'an attestation bound to an earlier session was applied');
        const foreign = await h.sendTimeAttestation(signTimeAttestation(keys.stranger, { device: h.device.device, nonce: h.device.nonce, time: Math.round(o.clock.wallTime()) - 7_200_000, host: 'evil' }));
        check(!foreign.applied, 'an attestation signed by an unknown key was applied');
        await timeNear(h, 'after time sync');
        return `applied/within tolerance; stale → ${replayed.reason}, foreign → ${foreign.reason}`;
      });
    },
  };

  for (const c of CASES) {
    if (!wanted(c.id)) continue;
    results.push(await runCase(c.id, cases[c.id]));
  }
  return results;
}

const AUTH_DOMAIN = new TextEncoder().encode('dozor-auth-v1\0');
function concatDomain(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(AUTH_DOMAIN.length + body.length);
  out.set(AUTH_DOMAIN);
  out.set(body, AUTH_DOMAIN.length);
  return out;
}

/** A sink that triggers `cut` once it holds `at` bytes, and refuses more after that. */
function cutoffSink(inner: MemorySink, at: number, cut: () => void) {
  let tripped = false;
  return {
    get length() {
      return inner.length;
    },
    async append(data: Uint8Array) {
      if (tripped) throw new Error('link cut by the kit');
      await inner.append(data);
      if (inner.length >= at) {
        tripped = true;
        cut();
      }
    },
    finish: () => inner.finish(),
    discard: () => inner.discard(),
  };
}

// =====================================================================================
// Dock suite: the kit is a device.
// =====================================================================================

export interface DockSuiteOptions {
  connect: Connect;
  clock: Clock;
  random: Random;
  /** How long to wait for the dock to do something (ms). */
  timeoutMs?: number;
  /** Pin the dock's public key (hex); otherwise the key from its hello is used. */
  dockKey?: Uint8Array;
  only?: readonly CaseId[];
}

interface KitFile extends FileEntry {
  data: Uint8Array;
}

/** What the kit-device observed during one connection. */
interface Observed {
  hello?: SessionContext['host'];
  reads: Array<{ path: string; offset: number; length: number }>;
  receipts: Array<{ path: string; ok: boolean; detail: string }>;
  time?: { ok: boolean; detail: string };
  closed: Promise<void>;
  session: DeviceSession;
}

class KitDevice implements DeviceSessionHandlers {
  readonly serial = `CONF-${toHex(randomBytes(4))}`;
  files: KitFile[] = [];
  readonly receipted = new Set<string>();
  current: Observed | null = null;
  /** Called on every read with the bytes served so far for that path. */
  onServe: ((path: string, servedUpTo: number, session: DeviceSession) => void) | null = null;

  constructor(private readonly clock: Clock) {}

  addFile(name: string, size: number, corrupt = false): KitFile {
    const data = new Uint8Array(randomBytes(size));
    const sha = sha256(data);
    if (corrupt) data[size >> 1] ^= 0xff; // the bytes no longer match the announced hash
    const f: KitFile = { path: `video/${name}.h264`, size, sha256: sha, kind: 'video', start: Math.round(this.clock.wallTime()) - 60_000, end: Math.round(this.clock.wallTime()), data };
    this.files.push(f);
    return f;
  }

  identity() {
    return { device: this.serial, kind: 'bodycam' as const, model: 'Dozor conformance kit', firmware: 'kit', inventory: `INV-${this.serial}` };
  }
  clockTrusted() {
    return true;
  }
  async status(): Promise<Payload<'status'>> {
    const pending = this.files.filter((f) => !this.receipted.has(f.path));
    return {
      time: Math.round(this.clock.wallTime()),
      clockTrusted: true,
      batteryHours: 14,
      batteries: [{ slot: 0, present: true, soc: 90 }],
      externalPower: true,
      charging: true,
      seal: 'closed',
      card: { present: true, registered: true, inventory: 'CARD-KIT' },
      onDuty: false,
      issued: false,
      pendingFiles: pending.length,
      pendingBytes: pending.reduce((n, f) => n + f.size, 0),
    };
  }
  async charge(): Promise<void> {}
  async timeSync(att: SignedStatement, ctx: SessionContext): Promise<Payload<'time-result'>> {
    const obs = this.current;
    try {
      const trusted = [{ keyId: ctx.host.keyId, name: ctx.host.host, role: 'dock' as const, publicKey: ctx.host.publicKey }];
      const body = verifyTimeAttestation(att, { device: this.serial, nonce: ctx.nonce, trusted });
      const drift = Math.round(this.clock.wallTime() - body.time);
      const ok = Math.abs(drift) < 5000;
      if (obs) obs.time = { ok, detail: ok ? `attested time ${drift} ms from the kit's clock` : `attested time is ${drift} ms off the kit's clock` };
      return { driftMs: drift, applied: false, reason: 'within-tolerance' };
    } catch (err) {
      if (obs) obs.time = { ok: false, detail: `attestation does not verify: ${(err as Error).message}` };
      return { driftMs: 0, applied: false, reason: 'bad-signature' };
    }
  }
  async command(): Promise<Payload<'command-result'>> {
    throw new ProtocolError('EUNSUPPORTED', 'the conformance kit implements no privileged commands');
  }
  async listFiles(after: string | undefined, limit: number) {
    const pending = this.files.filter((f) => !this.receipted.has(f.path) && (after === undefined || f.path > after)).sort((a, b) => (a.path < b.path ? -1 : 1));
    return { files: pending.slice(0, limit).map(({ data: _d, ...e }) => e), more: pending.length > limit };
  }
  async openRead(path: string, sha: Uint8Array, offset: number, length: number) {
    const f = this.files.find((x) => x.path === path);
    if (!f) throw new ProtocolError('ENOENT', path);
    if (toHex(sha) !== toHex(f.sha256)) throw new ProtocolError('EMISMATCH', path);
    if (offset + length > f.size) throw new ProtocolError('ERANGE', path);
    this.current?.reads.push({ path, offset, length });
    const session = this.current!.session;
    return {
      read: async (at: number, n: number) => {
        this.onServe?.(path, at + n, session);
        return f.data.subarray(at, at + n);
      },
    };
  }
  async receipt(s: SignedStatement, ctx: SessionContext): Promise<Payload<'receipt-ack'>> {
    const claimed = decodeReceiptBody(s.body);
    const f = this.files.find((x) => x.path === claimed.path);
    const trusted = [{ keyId: ctx.host.keyId, name: ctx.host.host, role: 'dock' as const, publicKey: ctx.host.publicKey }];
    try {
      if (!f) throw new Error(`no file ${claimed.path}`);
      verifyReceipt(s, { device: this.serial, trusted, file: { path: f.path, size: f.size, sha256: f.sha256 } });
      this.receipted.add(f.path);
      this.current?.receipts.push({ path: claimed.path, ok: true, detail: 'verified' });
      return { path: f.path, sha256: f.sha256, state: 'accepted' };
    } catch (err) {
      this.current?.receipts.push({ path: claimed.path, ok: false, detail: (err as Error).message });
      throw err;
    }
  }
}

export async function runDockSuite(o: DockSuiteOptions): Promise<CaseResult[]> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const kit = new KitDevice(o.clock);
  const wanted = (id: CaseId) => !o.only || o.only.includes(id);

  /** Docks the kit on a fresh link; resolves once the dock said hello. */
  const dock = async (): Promise<Observed> => {
    const link = await o.connect();
    const session = new DeviceSession({ link, clock: o.clock, random: o.random, handlers: kit });
    const closed = session.run();
    const obs: Observed = { reads: [], receipts: [], closed, session };
    kit.current = obs;
    // The dock may say hello, offload and even be cut off before we look: the context stays.
    await waitFor(o.clock, timeoutMs, () => session.context !== null || session.state === 'closed');
    if (session.context === null) {
      const why = session.state === 'closed' ? `the dock closed the link before hello (${String(session.endpoint.endReason ?? 'orderly close')}, ${session.endpoint.stats.framesIn} frames received)` : `no hello from the dock within ${timeoutMs} ms`;
      throw new CaseFailure(why);
    }
    obs.hello = session.context!.host;
    if (o.dockKey) check(toHex(obs.hello.publicKey) === toHex(o.dockKey), 'the dock announced a different public key than the pinned one');
    return obs;
  };
  const undock = async (obs: Observed) => {
    await obs.session.close('undocked by the kit');
    await obs.closed;
  };
  const withDock = async <T>(fn: (obs: Observed) => Promise<T>): Promise<T> => {
    const obs = await dock();
    try {
      return await fn(obs);
    } finally {
      await undock(obs).catch(() => {});
    }
  };
  /** Sends a request from the kit-device to the dock and returns the reply or error code. */
  const pingDock = (obs: Observed) => obs.session.endpoint.call('ping', {}, 'pong', { timeoutMs: 5000, retries: 1 });

  const na = (why: string) => async (): Promise<string> => {
    throw new CaseSkip(why);
  };
  const cases: Record<CaseId, () => Promise<string>> = {
    handshake: () =>
      withDock(async (obs) => {
        const h = obs.hello!;
        check(h.publicKey.length === 32, 'hello carries no 32-byte public key');
        check(h.keyId === keyIdOf(h.publicKey), `hello keyId ${h.keyId} is not the id of its public key`);
        check(h.maxFrame >= MIN_MAX_BODY, `dock maxFrame ${h.maxFrame} < ${MIN_MAX_BODY}`);
        await pingDock(obs);
        return `dock ${h.host} (role ${h.role}, key ${h.keyId}), maxFrame ${h.maxFrame}`;
      }),
    'bad-crc': () =>
      withDock(async (obs) => {
        const frame = encodeFrame([encodeMessage('ping', {}, 4100)]);
        frame[frame.length - 2] ^= 0x01;
        await obs.session.endpoint.writeRaw(frame);
        await pingDock(obs);
        return 'corrupted frame ignored, session continues';
      }),
    'oversize-frame': () =>
      withDock(async (obs) => {
        const limit = obs.hello!.maxFrame;
        const big = new Uint8Array(limit + 4096);
        big.set(encodeMessage('alert', { id: 'x', kind: 'test', at: 0, detail: {} }, 4101));
        await obs.session.endpoint.writeRaw(encodeFrame([big]));
        await obs.session.endpoint.writeRaw(new Uint8Array(limit * 2).fill(0x55));
        await obs.session.endpoint.writeRaw(new Uint8Array([0]));
        await pingDock(obs);
        return `frame of ${big.length} bytes (limit ${limit}) discarded, session continues`;
      }),
    'unknown-type': () =>
      withDock(async (obs) => {
        const body = encodeMessage('ping', {}, 4102);
        body[1] = 0x7e;
        const answers: string[] = [];
        const stop = obs.session.endpoint.watchReplies(4102, (m) => answers.push(m.name === 'error' ? m.payload.code : m.name));
        await obs.session.endpoint.writeRaw(encodeFrame([body]));
        await pingDock(obs);
        stop();
        check(answers[0] === 'EUNKNOWN_TYPE', `unknown type answered ${answers[0] ?? 'nothing'}, expected EUNKNOWN_TYPE`);
        return 'answered EUNKNOWN_TYPE, session continues';
      }),
    'unsigned-command': na('device-side case: a dock forwards authorisations, the device verifies them'),
    'wrong-key-command': na('device-side case: a dock forwards authorisations, the device verifies them'),
    'replayed-command': na('device-side case: a dock forwards authorisations, the device verifies them'),
    'interrupted-transfer': async () => {
      const f = kit.addFile(`interrupt-${toHex(randomBytes(3))}`, 3 * 1024 * 1024 + 12345);
      let cutDone = false;
      kit.onServe = (path, upTo, session) => {
        if (!cutDone && path === f.path && upTo >= f.size / 3) {
          cutDone = true;
          void session.endpoint.close();
        }
      };
      const first = await dock();
      await waitFor(o.clock, timeoutMs, () => first.session.state === 'closed');
      kit.onServe = null;
      check(cutDone, `the dock did not read ${f.path} within ${timeoutMs} ms`);
      check(!kit.receipted.has(f.path), 'a receipt arrived for a file the dock could not have completely');
      const second = await dock();
      try {
        await waitFor(o.clock, timeoutMs, () => kit.receipted.has(f.path));
        const firstRead = second.reads.find((r) => r.path === f.path);
        check(kit.receipted.has(f.path), `no receipt for ${f.path} after resuming`);
        check(firstRead && firstRead.offset > 0, `the dock re-read ${f.path} from ${firstRead?.offset ?? '?'} instead of resuming`);
        return `${f.path}: cut at ~${Math.round(f.size / 3)} of ${f.size} bytes, resumed at ${firstRead.offset}, receipt verified`;
      } finally {
        await undock(second).catch(() => {});
      }
    },
    'no-deletion-before-receipt': async () => {
      const good = kit.addFile(`good-${toHex(randomBytes(3))}`, 200_000);
      const bad = kit.addFile(`corrupt-${toHex(randomBytes(3))}`, 200_000, true);
      return withDock(async (obs) => {
        await waitFor(o.clock, timeoutMs, () => kit.receipted.has(good.path));
        check(kit.receipted.has(good.path), `no receipt for ${good.path}`);
        // Give the dock the time it needs to finish with the corrupt file too.
        await waitFor(o.clock, timeoutMs, () => obs.reads.filter((r) => r.path === bad.path).reduce((n, r) => n + r.length, 0) >= bad.size);
        await pingDock(obs);
        check(!kit.receipted.has(bad.path), `the dock sent a receipt for ${bad.path}, whose bytes do not match its SHA-256`);
        const badReceipts = obs.receipts.filter((r) => !r.ok);
        check(badReceipts.length === 0, `invalid receipt: ${badReceipts[0]?.detail}`);
        return 'receipt only for the verified file; none for the corrupt one';
      });
    },
    'time-sync': () =>
      withDock(async (obs) => {
        await waitFor(o.clock, timeoutMs, () => obs.time !== undefined);
        check(obs.time, `the dock sent no time sync within ${timeoutMs} ms`);
        check(obs.time.ok, obs.time.detail);
        return obs.time.detail;
      }),
  };

  const results: CaseResult[] = [];
  for (const c of CASES) {
    if (!wanted(c.id)) continue;
    results.push(await runCase(c.id, cases[c.id]));
  }
  return results;
}

async function waitFor(clock: Clock, timeoutMs: number, cond: () => boolean): Promise<void> {
  const start = clock.monotonic();
  while (!cond() && clock.monotonic() - start < timeoutMs) await clock.sleep(20);
}

/** The pass/fail table. */
export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => [r.title, r.outcome.toUpperCase(), `${Math.round(r.ms)} ms`, r.detail]);
  const head = ['case', 'result', 'time', 'detail'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  width[3] = Math.min(width[3], 100);
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c : c.padEnd(width[i]))).join('  ');
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const skipped = results.filter((r) => r.outcome === 'skip').length;
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line), '', `${passed} passed, ${failed} failed, ${skipped} not applicable`].join('\n');
}
