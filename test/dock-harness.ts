/**
 * Test harness: a virtual device and a host session joined by an in-memory link, on a virtual
 * clock that only moves when a test moves it (so no timeout fires by accident).
 */
import type { Clock } from '../hal/clock.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { LinkPair, type LinkPairOptions } from '../sim/link-pair.ts';
import { DeviceSession } from '../protocol/device-session.ts';
import { HostSession } from '../protocol/host-session.ts';
import { signAuthorization, type AuthorizationBody, type SignedAuthorization } from '../protocol/authorization.ts';
import type { Ed25519PrivateKey } from '../protocol/crypto.ts';
import { TEST_KEYS } from '../protocol/test-keys.ts';
import { createVirtualDevice, type VirtualDevice, type VirtualDeviceOptions } from '../tools/sim/virtual-device.ts';

export const SHIFT_START = Date.UTC(2026, 10, 23, 6, 0, 0);

export interface Docked {
  pair: LinkPair;
  host: HostSession;
  session: DeviceSession;
  running: Promise<void>;
}

export async function makeDevice(o: Partial<VirtualDeviceOptions> = {}): Promise<VirtualDevice & { vclock: VirtualClock }> {
  const vclock = new VirtualClock({ startEpochMs: SHIFT_START + 9 * 3_600_000 });
  const dev = await createVirtualDevice({ clock: vclock, segments: 4, segmentBytes: 150_000, ...o });
  return Object.assign(dev, { vclock });
}

/**
 * The host's view of time: the same timers as the device (one virtual clock drives both), but
 * the true wall time, as a dock synchronised to a time server would have.
 */
export function hostClock(v: VirtualClock): Clock {
  return {
    monotonic: () => v.monotonic(),
    wallTime: () => v.trueTime(),
    setWallTime: () => {
      throw new Error('the host clock is not set by tests');
    },
    setTimeout: (cb, ms) => v.setTimeout(cb, ms),
    setInterval: (cb, ms) => v.setInterval(cb, ms),
    sleep: (ms) => v.sleep(ms),
    scheduler: v.scheduler,
  };
}

/** Runs virtual time in steps until `p` settles (for code that waits on timeouts). */
export async function drive<T>(v: VirtualClock, p: Promise<T>, stepMs = 500): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => {});
  while (!done) await v.runFor(stepMs);
  return watched;
}

/** Connects a fresh host session to the device over a new in-memory link. */
export function dock(dev: VirtualDevice & { vclock: VirtualClock }, o: { link?: LinkPairOptions; host?: string; key?: Ed25519PrivateKey; keepaliveMs?: number } = {}): Docked {
  const pair = new LinkPair(o.link);
  const session = new DeviceSession({ link: pair.b, clock: dev.clock, random: dev.random, handlers: dev.service, maxBody: dev.maxBody });
  const running = session.run();
  const host = new HostSession({ link: pair.a, clock: hostClock(dev.vclock), host: o.host ?? 'dock-test', key: o.key ?? TEST_KEYS.dock, keepaliveMs: o.keepaliveMs ?? 0 });
  return { pair, host, session, running };
}

let counter = 1000;
/** A signed authorisation with a fresh counter. */
export function authorize(
  key: Ed25519PrivateKey,
  action: AuthorizationBody['action'],
  device: string,
  params: Record<string, unknown>,
  o: { counter?: number; signer?: string } = {},
): SignedAuthorization {
  return signAuthorization(key, { action, device, signer: o.signer ?? 'Test Signer', counter: o.counter ?? (counter += 1), issuedAt: SHIFT_START, params });
}
