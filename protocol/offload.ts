/**
 * Resumable offload of one file, host side (docs/protocol.md §8). The host pulls: it keeps a
 * few `read` requests in flight (offset-based, like MAVLink FTP ReadFile / PTP GetPartialObject),
 * checks every chunk's CRC-32 and offset, and appends to a sink that survives the session. A gap
 * (a chunk lost on a noisy serial line), a bad chunk or a stall restarts reading at the first
 * missing byte (ZMODEM ZRPOS); a broken link leaves the sink's verified prefix for the next
 * session to resume from. At the end the sink's SHA-256 of everything it holds must equal the
 * device's; only then may the caller store the file and sign a receipt.
 */
import type { Clock, TimerHandle } from '../hal/clock.ts';
import { DozorError } from '../hal/errors.ts';
import { toHex } from './crypto.ts';
import { ProtocolError, RemoteError, SessionError, TransferError } from './errors.ts';
import type { HostSession } from './host-session.ts';
import type { FileEntry, Message } from './messages.ts';

/** Where a file's bytes go on the host. Appends are applied in call order. */
export interface TransferSink {
  /** Bytes already held (a verified prefix from an earlier session). */
  readonly length: number;
  append(data: Uint8Array): Promise<void>;
  /** Called when every byte is held: the SHA-256 and length of everything held. */
  finish(): Promise<{ sha256: Uint8Array; size: number }>;
  /** Drops everything held (verification failed); the sink starts again from 0. */
  discard(): Promise<void>;
}

export interface PullOptions {
  clock: Clock;
  /** Bytes per read request. */
  window?: number;
  /** Read requests in flight. */
  inFlight?: number;
  /** No chunk for this long restarts reading (ms). */
  stallTimeoutMs?: number;
  /** Restarts (gaps, bad chunks, stalls) before giving up. */
  maxRestarts?: number;
  /** Called as verified bytes are appended (total held). */
  onProgress?: (held: number) => void;
}

export interface PullResult {
  sha256: Uint8Array;
  size: number;
  /** Offset the transfer started from (> 0 when it resumed). */
  resumedFrom: number;
  restarts: number;
  bytesReceived: number;
}

interface ActiveRead {
  seq: number;
  end: number;
  cancel(): void;
}

export async function pullFile(session: HostSession, file: FileEntry, sink: TransferSink, opts: PullOptions): Promise<PullResult> {
  const window = opts.window ?? 1 << 20;
  const inFlight = opts.inFlight ?? 2;
  const stallTimeoutMs = opts.stallTimeoutMs ?? 15000;
  const maxRestarts = opts.maxRestarts ?? 20;
  const clock = opts.clock;
  const size = file.size;
  if (sink.length > size) await sink.discard();
  const resumedFrom = sink.length;

  let expected = resumedFrom; // next byte wanted
  let next = resumedFrom; // next byte to request
  let written = resumedFrom; // bytes the sink has accepted
  let restarts = 0;
  let bytesReceived = 0;
  let reads: ActiveRead[] = [];
  let lastChunkAt = clock.monotonic();
  let stallTimer: TimerHandle | null = null;
  let settled = false;
  let appendChain: Promise<void> = Promise.resolve();

  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      stallTimer?.cancel();
      for (const r of reads) r.cancel();
      reads = [];
      reject(err);
    };
    const maybeDone = () => {
      if (settled || written < size) return;
      settled = true;
      stallTimer?.cancel();
      resolve();
    };
    const armStall = () => {
      if (settled || stallTimer?.active) return;
      stallTimer = clock.setTimeout(() => {
        stallTimer = null;
        if (settled) return;
        const idle = clock.monotonic() - lastChunkAt;
        if (reads.length === 0) return;
        if (idle >= stallTimeoutMs) restart('stalled');
        else armStall();
      }, Math.max(1, stallTimeoutMs - (clock.monotonic() - lastChunkAt)));
    };
    const restart = (why: string) => {
      restarts += 1;
      for (const r of reads) r.cancel();
      reads = [];
      if (restarts > maxRestarts) {
        fail(new TransferError('ETRANSFER_STALLED', `${file.path}: gave up after ${maxRestarts} restarts (last: ${why})`, file.path));
        return;
      }
      next = expected;
      issue(true);
    };
    const issue = (restartFlag: boolean) => {
      // Bound what is held in memory: requested but not yet written ≤ (inFlight + 1) windows.
      while (!settled && reads.length < inFlight && next < size && next - written < window * (inFlight + 1)) {
        const offset = next;
        const length = Math.min(window, size - offset);
        const end = offset + length;
        let handle: { seq: number; sent: Promise<void>; cancel(): void };
        try {
          handle = session.endpoint.openStream(
            'read',
            { path: file.path, offset, length, sha256: file.sha256, restart: restartFlag || undefined },
            (msg) => onChunk(msg, end),
            (err) => fail(err),
          );
        } catch (err) {
          fail(err);
          return;
        }
        handle.sent.catch(fail);
        restartFlag = false;
        reads.push({ seq: handle.seq, end, cancel: handle.cancel });
        next = end;
      }
      lastChunkAt = clock.monotonic();
      if (reads.length > 0) armStall();
    };
    const onChunk = (msg: Message, end: number): boolean => {
      if (settled) return true;
      if (msg.name === 'error') {
        const code = msg.payload.code;
        // A chunk that arrived damaged (caught by its CRC or its schema) is a gap, not a refusal.
        if (code === 'ECHUNK_CRC' || code === 'EINVALID' || code === 'EPAYLOAD') {
          lastChunkAt = clock.monotonic();
          restart(`damaged chunk (${code})`);
          return true;
        }
        fail(new RemoteError(code, msg.payload.message, 'read'));
        return true;
      }
      if (msg.name !== 'chunk') {
        fail(new ProtocolError('EUNEXPECTED', `read answered with ${msg.name}`));
        return true;
      }
      const { offset, crc, data } = msg.payload;
      lastChunkAt = clock.monotonic();
      if (offset + data.length <= expected && offset < expected) return false; // a duplicate: already held
      void crc; // verified when the message was decoded (ECHUNK_CRC otherwise)
      if (offset !== expected || offset + data.length > end) {
        restart(offset !== expected ? `gap at ${expected} (got ${offset})` : 'chunk past the requested range');
        return true;
      }
      expected += data.length;
      bytesReceived += data.length;
      appendChain = appendChain.then(
        () =>
          sink.append(data).then(() => {
            written += data.length;
            opts.onProgress?.(written);
            if (written >= size) maybeDone();
            else issue(false);
          }),
      );
      appendChain.catch((err) => fail(new TransferError('ETRANSFER_ABORTED', `${file.path}: storing failed: ${(err as Error).message}`, file.path, { cause: err })));
      if (expected >= end) {
        reads = reads.filter((r) => r.end !== end);
        issue(false);
        return true;
      }
      return false;
    };
    if (size === resumedFrom) maybeDone();
    else issue(resumedFrom > 0);
  });

  const held = await sink.finish();
  if (held.size !== size || toHex(held.sha256) !== toHex(file.sha256)) {
    await sink.discard();
    const code = held.size !== size ? 'ETRANSFER_SIZE' : 'ETRANSFER_HASH';
    throw new TransferError(code, `${file.path}: received ${held.size} B with SHA-256 ${toHex(held.sha256).slice(0, 16)}…, device announced ${size} B ${toHex(file.sha256).slice(0, 16)}…`, file.path);
  }
  return { sha256: held.sha256, size, resumedFrom, restarts, bytesReceived };
}

/** True for failures after which the same file can simply be tried again in a later session. */
export function isResumable(err: unknown): boolean {
  return err instanceof SessionError || (err instanceof DozorError && err.code === 'ETRANSFER_STALLED');
}
