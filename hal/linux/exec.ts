/**
 * Running the command-line tools the Linux backends drive (libgpiod tools, rpicam-*, ffmpeg):
 * PATH lookup, capture with a timeout on the injected clock, and the typed errors the HAL
 * promises (a missing executable is `DeviceNotFoundError`, a hung one `DeviceNotRespondingError`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { DeviceNotFoundError, DeviceNotRespondingError } from '../errors.ts';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill the tool and reject when it has not finished after this long (needs `clock`). */
  timeoutMs?: number;
  clock?: Clock;
  /** Bytes to write to stdin (then closed). */
  input?: Uint8Array | string;
  /** Name used in errors ("libgpiod tools", "camera"). */
  device?: string;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Absolute path of `cmd` on the PATH in `env`, or null. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, cmd);
    if (isExecutable(full)) return full;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Runs a tool to completion and collects its output. Never rejects for a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const device = options.device ?? cmd;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(spawnError(err, cmd, device));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const timer =
      options.timeoutMs !== undefined && options.clock
        ? options.clock.setTimeout(() => {
            if (settled) return;
            settled = true;
            child.kill('SIGKILL');
            reject(new DeviceNotRespondingError(device, `${cmd} did not finish within ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : null;
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    ignoreStreamErrors(child);
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      reject(spawnError(e, cmd, device));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code, signal });
    });
    child.stdin!.end(options.input ?? undefined);
  });
}

export function spawnError(err: unknown, cmd: string, device: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new DeviceNotFoundError(device, `${cmd} not found on PATH`);
  if (code === 'EACCES') return new DeviceNotFoundError(device, `${cmd} is not executable`);
  return new DeviceNotRespondingError(device, `cannot start ${cmd}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Sends `signal`, then resolves when the process has exited (at once if it already has). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill(signal);
  });
}

/**
 * A killed tool can reset its stdio socketpairs (ECONNRESET); the exit status already tells
 * what happened, so stream errors must not surface as uncaught exceptions.
 */
export function ignoreStreamErrors(child: ChildProcess): void {
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.on('error', () => undefined);
}
