/** `dozor dock serve`: the dock station as a long-running process. */
import cliProgress from 'cli-progress';
import { RealClock } from '../../hal/real-clock.ts';
import { TcpListener } from '../../hal/net/tcp.ts';
import { toHex, type Ed25519PrivateKey } from '../../protocol/crypto.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { EvidenceStore } from '../evidence/store.ts';
import { UsageError } from '../cli/errors.ts';
import { AuthorizationInbox } from './inbox.ts';
import { SerialLinkPort, parseLinkAddress, readSeedFile } from './links.ts';
import { DockStation, tuningForBaud, type DeviceProgress } from './station.ts';

export interface ServeCliOptions {
  store: string;
  listen?: string;
  serial?: string[];
  baud?: number;
  key?: string;
  name: string;
  inbox?: string;
  once?: boolean;
  json?: boolean;
  statusInterval?: number;
}

export async function runServeCommand(o: ServeCliOptions): Promise<number> {
  if (!o.listen && (!o.serial || o.serial.length === 0)) throw new UsageError('give --listen tcp://HOST:PORT and/or --serial PATH');
  const listenAt = o.listen ? parseLinkAddress(o.listen) : null;
  if (listenAt && listenAt.kind !== 'tcp') throw new UsageError('--listen takes tcp://HOST:PORT');
  const key: Ed25519PrivateKey = o.key ? await readSeedFile(o.key) : TEST_KEYS.dock;
  const clock = new RealClock();
  const store = await EvidenceStore.open(o.store);
  const station = new DockStation({ store, key, name: o.name, clock, statusIntervalMs: o.statusInterval });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const tty = !o.json && process.stderr.isTTY === true;
  const bars = tty ? new cliProgress.MultiBar({ stream: process.stderr, clearOnComplete: false, hideCursor: true, format: ' {device} |{bar}| {percentage}% {value}/{total} MiB {state} {file}' }, cliProgress.Presets.shades_classic) : null;
  const perDevice = new Map<string, cliProgress.SingleBar>();
  // MultiBar.log prints on the next redraw: before the first bar exists, write directly.
  const log = (line: string) => (bars && perDevice.size > 0 ? bars.log(`${line}\n`) : bars ? process.stderr.write(`${line}\n`) : out(line));

  if (!o.key) log(`warning: signing with the PUBLIC TEST dock key ${key.keyId}; pass --key FILE for a real dock`);
  log(`dock ${o.name}: store ${store.dir}, key ${key.keyId} (public ${toHex(key.publicKey)})`);

  station.events$.subscribe((e) => {
    if (o.json) out(JSON.stringify(e, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));
    else log(`${new Date(e.at).toISOString()} ${e.device ?? '-'} ${e.kind} ${JSON.stringify(e.detail)}`);
  });
  const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
  station.progress$.subscribe((p: DeviceProgress) => {
    if (!bars) return;
    let bar = perDevice.get(p.device);
    const payload = { device: p.device.padEnd(10), state: p.state, file: p.file ?? '' };
    if (!bar) {
      bar = bars.create(Math.max(mib(p.bytesTotal), 0.1), mib(p.bytesDone), payload);
      perDevice.set(p.device, bar);
    }
    bar.setTotal(Math.max(mib(p.bytesTotal), 0.1));
    bar.update(mib(p.bytesDone), payload);
  });

  const ports: Array<{ close(): Promise<void> }> = [];
  if (listenAt && listenAt.kind === 'tcp') {
    const listener = await TcpListener.listen({ host: listenAt.host, port: listenAt.port });
    station.serve(listener);
    ports.push(listener);
    log(`listening on ${listener.url}`);
  }
  for (const p of o.serial ?? []) {
    const addr = parseLinkAddress(p);
    if (addr.kind !== 'serial') throw new UsageError(`--serial takes a device path, got ${p}`);
    const port = new SerialLinkPort(addr.path, { baudRate: o.baud, onError: (err) => log(`${addr.path}: ${err.message}`) });
    station.serve(port, tuningForBaud(o.baud ?? 115200));
    port.start();
    ports.push(port);
    log(`serial ${addr.path} at ${o.baud ?? 115200} baud`);
  }
  let inbox: AuthorizationInbox | null = null;
  if (o.inbox) {
    inbox = new AuthorizationInbox(o.inbox, station, log);
    await inbox.start();
    log(`authorisations inbox ${o.inbox}`);
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (o.once) station.offloaded$.subscribe(() => resolve());
  });
  inbox?.stop();
  for (const p of ports) await p.close();
  await station.close();
  bars?.stop();
  store.close();
  return 0;
}
