/**
 * A connected pair of pseudo-terminals from socat (`socat -d -d pty,raw,echo=0 pty,raw,echo=0`):
 * a serial cable for tests and benchmarks. Install socat with `bash tools/setup/system-deps.sh`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export function openPtyPair(timeoutMs = 10000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    let proc: ChildProcess;
    try {
      proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      reject(err);
      return;
    }
    const paths: string[] = [];
    let buf = '';
    const timer = setTimeout(() => {
      proc.kill('SIGTERM');
      reject(new Error(`socat gave no pty pair within ${timeoutMs} ms: ${buf}`));
    }, timeoutMs);
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run socat (install it with: bash tools/setup/system-deps.sh): ${err.message}`));
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => {
      buf += s;
      for (const m of s.matchAll(/PTY is (\S+)/g)) paths.push(m[1]);
      if (paths.length >= 2 && /starting data transfer loop/.test(buf)) {
        clearTimeout(timer);
        proc.stderr!.removeAllListeners('data');
        proc.stderr!.resume();
        resolve({
          a: paths[0],
          b: paths[1],
          close: async () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
  });
}
