/**
 * `dozor sim device`: a virtual device with a shift's worth of recordings that docks to any
 * dock (`--connect`), waits for an integrator's dock (`--listen`), or sits on a serial line.
 */
import { Subject } from 'rxjs';
import { RealClock } from '../../hal/real-clock.ts';
import { TcpListener, connectTcp } from '../../hal/net/tcp.ts';
import type { ByteLink, LinkPort } from '../../hal/link.ts';
import { UsageError } from '../cli/errors.ts';
import { SerialLinkPort, parseLinkAddress, readTrustFile } from '../dock/links.ts';
import { createVirtualDevice } from './virtual-device.ts';

export interface DeviceCliOptions {
  connect?: string;
  listen?: string;
  /** Serial line path. */
  serial?: string;
  baud?: number;
  seed: number;
  /** Device serial number. */
  id?: string;
  segments: number;
  segmentBytes: number;
  batteryHours: number;
  trust?: string;
  verbose?: boolean;
}

export async function runDeviceCommand(o: DeviceCliOptions): Promise<number> {
  const modes = [o.connect, o.listen, o.serial].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give exactly one of --connect tcp://HOST:PORT, --listen tcp://HOST:PORT or --serial PATH');
  const clock = new RealClock();
  const trusted = o.trust ? await readTrustFile(o.trust) : undefined;
  const dev = await createVirtualDevice({ clock, seed: o.seed, serial: o.id, segments: o.segments, segmentBytes: o.segmentBytes, batteryHours: o.batteryHours, trusted });
  const log = (line: string) => process.stderr.write(`${dev.identity.device}: ${line}\n`);
  const pending = await dev.source.pending();
  log(`${pending.length} recordings pending, ${pending.reduce((n, f) => n + f.size, 0)} bytes${trusted ? '' : ' (trusting the public test keys)'}`);
  if (o.verbose) dev.journal.onEntry((e) => log(`journal #${e.seq} ${e.type} ${JSON.stringify(e.data)}`));
  dev.journal.onEntry((e) => {
    if (e.type === 'offload-receipt') log(`receipt for ${(e.data as { path: string }).path}`);
  });

  if (o.connect) {
    const addr = parseLinkAddress(o.connect);
    if (addr.kind !== 'tcp') throw new UsageError('--connect takes tcp://HOST:PORT');
    const link = await connectTcp({ host: addr.host, port: addr.port });
    log(`docked to ${o.connect}`);
    const port = oneLink(link);
    const links = dev.serve(port);
    await untilClosedOrSignal(link);
    await links.close();
  } else {
    let port: LinkPort & { close(): Promise<void> };
    if (o.listen) {
      const addr = parseLinkAddress(o.listen);
      if (addr.kind !== 'tcp') throw new UsageError('--listen takes tcp://HOST:PORT');
      const listener = await TcpListener.listen({ host: addr.host, port: addr.port });
      log(`waiting for a dock on ${listener.url}`);
      port = listener;
    } else {
      const sp = new SerialLinkPort(o.serial!, { baudRate: o.baud, onError: (err) => log(err.message) });
      port = sp;
      log(`on serial ${o.serial}`);
      queueMicrotask(() => sp.start());
    }
    const links = dev.serve(port);
    await untilSignal();
    await links.close();
    await port.close();
  }
  const left = await dev.source.pending();
  log(`${left.length} recordings still pending`);
  return 0;
}

function oneLink(link: ByteLink): LinkPort {
  const subject = new Subject<ByteLink>();
  queueMicrotask(() => subject.next(link));
  return { name: link.name, links$: subject.asObservable(), close: async () => subject.complete() };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function untilClosedOrSignal(link: ByteLink): Promise<void> {
  return new Promise((resolve) => {
    link.data$.subscribe({ complete: () => resolve(), error: () => resolve() });
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
