/**
 * The device end of the offload benchmark, in its own process (so sender and receiver get a
 * core each, as on a real link). Prints one JSON line when ready, then serves until killed.
 *
 *   device --listen tcp://127.0.0.1:0 --files N --bytes B      virtual device(s) over TCP
 *   device --serial PATH --files N --bytes B                    virtual device on a serial line
 *   raw --listen tcp://127.0.0.1:0 --files N --bytes B          the same bytes, plain socket copy
 *   raw --serial PATH --files N --bytes B                       the same bytes written to the line
 *   fleet --connect tcp://H:P --devices D --files N --bytes B   D devices docking at once
 */
import net from 'node:net';
import { RealClock } from '../hal/real-clock.ts';
import { TcpListener, connectTcp, parseTcpUrl } from '../hal/net/tcp.ts';
import { SerialLink } from '../hal/linux/serial-link.ts';
import { DeviceSession } from '../protocol/device-session.ts';
import { sha256Hex } from '../protocol/crypto.ts';
import { createVirtualDevice, type VirtualDevice } from '../tools/sim/virtual-device.ts';

// Exit normally on a signal so --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));

const [mode, ...rest] = process.argv.slice(2);
const arg = (name: string, fallback?: string): string => {
  const i = rest.indexOf(`--${name}`);
  if (i >= 0 && rest[i + 1] !== undefined) return rest[i + 1];
  if (fallback === undefined) throw new Error(`--${name} required`);
  return fallback;
};
const files = Number(arg('files', '8'));
const bytes = Number(arg('bytes', String(8 << 20)));
const clock = new RealClock();

async function device(seed: number, id?: string): Promise<VirtualDevice> {
  return createVirtualDevice({ clock, seed, serial: id, segments: files, segmentBytes: bytes });
}

/** The device's recordings, in path order: what a raw copy sends. */
async function recordings(dev: VirtualDevice): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const f of await dev.source.all()) out.push(await dev.card.read(f.path));
  return out;
}

function ready(info: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...info })}\n`);
}

if (mode === 'device') {
  const dev = await device(Number(arg('seed', '7')));
  const manifest = (await dev.source.all()).map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
  if (rest.includes('--serial')) {
    const link = await SerialLink.open({ path: arg('serial') });
    const session = new DeviceSession({ link, clock, random: dev.random, handlers: dev.service });
    ready({ manifest });
    await session.run();
  } else {
    const listener = await TcpListener.listen(parseTcpUrl(arg('listen')));
    dev.serve(listener);
    ready({ port: listener.address.port, manifest });
  }
} else if (mode === 'raw') {
  const dev = await device(Number(arg('seed', '7')));
  const data = await recordings(dev);
  const sizes = data.map((d) => d.length);
  const files = await dev.source.all();
  // Like the device, read each piece from storage as it is sent.
  const pieces = async function* () {
    for (const f of files) for (let o = 0; o < f.size; o += 65536) yield await dev.card.read(f.path, o, 65536);
  };
  if (rest.includes('--serial')) {
    const link = await SerialLink.open({ path: arg('serial') });
    ready({ sizes, sha256: data.map((d) => sha256Hex(d)) });
    // Send when the receiver asks (one byte), so the timing starts on its side.
    link.data$.subscribe(async () => {
      for await (const piece of pieces()) await link.write(piece);
    });
  } else {
    const server = net.createServer((socket) => {
      void (async () => {
        for await (const piece of pieces()) {
          if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
        }
        socket.end();
      })();
    });
    await new Promise<void>((r) => server.listen(parseTcpUrl(arg('listen')).port, '127.0.0.1', () => r()));
    ready({ port: (server.address() as net.AddressInfo).port, sizes, sha256: data.map((d) => sha256Hex(d)) });
  }
} else if (mode === 'fleet') {
  const count = Number(arg('devices', '50'));
  const target = parseTcpUrl(arg('connect'));
  const devices: VirtualDevice[] = [];
  for (let i = 0; i < count; i++) devices.push(await device(1000 + i, `FLEET-${String(i).padStart(3, '0')}`));
  const manifests = await Promise.all(devices.map(async (d) => ({ device: d.identity.device, files: (await d.source.all()).map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })) })));
  ready({ manifests });
  // Wait for the go signal on stdin, then dock all at once.
  await new Promise<void>((r) => process.stdin.once('data', () => r()));
  await Promise.all(
    devices.map(async (d) => {
      const link = await connectTcp(target);
      const session = new DeviceSession({ link, clock, random: d.random, handlers: d.service });
      await session.run();
    }),
  );
  const left = await Promise.all(devices.map(async (d) => (await d.source.pending()).length));
  process.stdout.write(`${JSON.stringify({ done: true, pendingLeft: left.reduce((a, b) => a + b, 0) })}\n`);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
