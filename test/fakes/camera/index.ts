/**
 * Installs the fake camera tools (camera-tool.mjs) into a temp bin directory: put `env().PATH`
 * first and the camera driver finds them as it would find the real rpicam apps.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'camera-tool.mjs');
export const CAMERA_TOOLS = ['rpicam-vid', 'rpicam-still', 'raspistill'] as const;
export type FakeCameraMode = 'ok' | 'nocamera' | 'ignore-sigint' | 'hang' | `die-after-bytes=${number}`;

export interface FakeCameraLogEntry {
  tool: string;
  pid: number;
  event: 'start' | 'signal' | 'died';
  argv: string[];
  signal?: string;
}

export class FakeCameraTools {
  readonly dir: string;
  readonly binDir: string;

  constructor(tools: readonly string[] = CAMERA_TOOLS) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-camera-'));
    this.binDir = path.join(this.dir, 'bin');
    fs.mkdirSync(this.binDir);
    for (const tool of tools) {
      const file = path.join(this.binDir, tool);
      fs.writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${SCRIPT}" ${tool} "$@"\n`);
      fs.chmodSync(file, 0o755);
    }
  }

  /** PATH with only the fakes and the system tools (ffmpeg) the fakes need. */
  env(mode: FakeCameraMode = 'ok', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.binDir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_CAMERA_DIR: this.dir, FAKE_CAMERA_MODE: mode, ...extra };
  }

  log(): FakeCameraLogEntry[] {
    const file = path.join(this.dir, 'log.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeCameraLogEntry);
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves when the fake camera log has an entry matching `pred` (watches the file; no polling sleeps). */
export function waitForLog(tools: FakeCameraTools, pred: (e: FakeCameraLogEntry) => boolean): Promise<FakeCameraLogEntry> {
  const file = path.join(tools.dir, 'log.jsonl');
  return new Promise((resolve) => {
    const check = () => {
      const hit = tools.log().find(pred);
      if (hit) {
        watcher.close();
        resolve(hit);
      }
    };
    const watcher = fs.watch(tools.dir, check);
    if (!fs.existsSync(file)) fs.writeFileSync(file, '', { flag: 'a' });
    check();
  });
}

/** Clears the log between tests that share one set of tools. */
export function clearLog(tools: FakeCameraTools): void {
  fs.writeFileSync(path.join(tools.dir, 'log.jsonl'), '');
}
