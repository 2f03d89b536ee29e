import { describe, expect, it } from 'vitest';
import { authorize, dock, drive, makeDevice } from '../../test/dock-harness.ts';
import { TEST_KEYS } from '../../protocol/test-keys.ts';
import { MemorySink } from '../../protocol/memory-sink.ts';
import { pullFile } from '../../protocol/offload.ts';
import { signReceipt, signTimeAttestation } from '../../protocol/dock-statements.ts';
import { fromHex, toHex } from '../../protocol/crypto.ts';
import type { RemoteError } from '../../protocol/errors.ts';
import { encodeFrame } from '../../protocol/framing.ts';
import { encodeMessage } from '../../protocol/messages.ts';
import type { HostSession } from '../../protocol/host-session.ts';
import type { Clock } from '../../hal/clock.ts';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as RemoteError).code;
  }
}

async function offloadAll(host: HostSession, clock: Clock) {
  const files = await host.listFiles();
  const sinks = new Map<string, MemorySink>();
  for (const f of files) {
    const sink = new MemorySink();
    await pullFile(host, f, sink, { clock, window: 64 * 1024 });
    sinks.set(f.path, sink);
  }
  return { files, sinks };
}

describe('dock service over a session', () => {
  it('R-OFF-1: a docked device introduces itself, reports status and offloads every pending file byte-exact', async () => {
    const dev = await makeDevice();
    const { host } = dock(dev);
    const info = await host.handshake();
    expect(info).toMatchObject({ device: dev.identity.device, kind: 'bodycam', proto: 1 });
    expect(info.nonce.length).toBe(16);
    const status = await host.status();
    expect(status.pendingFiles).toBe(4);
    expect(status.pendingBytes).toBe(600_000);
    const { files, sinks } = await offloadAll(host, dev.clock);
    for (const f of files) {
      expect(toHex(sinks.get(f.path)!.bytes())).toBe(toHex(await dev.card.read(f.path)));
    }
  });

  it('R-OFF-2: accepts a dock-signed receipt for the exact file, journals it, and stops listing the file', async () => {
    const dev = await makeDevice();
    const { host } = dock(dev);
    await host.handshake();
    const [first] = await host.listFiles();
    const receipt = signReceipt(TEST_KEYS.dock, { device: dev.identity.device, path: first.path, size: first.size, sha256: first.sha256, storedAt: 1, store: 'dock-test' });
    expect(await host.sendReceipt(receipt)).toMatchObject({ path: first.path, state: 'accepted' });
    expect(await host.sendReceipt(receipt)).toMatchObject({ state: 'already' });
    expect(dev.journal.ofType('offload-receipt')).toEqual([{ path: first.path, sha256: toHex(first.sha256), bytes: first.size, server: 'dock-test', storedAt: 1 }]);
    expect((await host.listFiles()).map((f) => f.path)).not.toContain(first.path);
    // Nothing was deleted: the file is still on the card.
    expect((await dev.card.stat(first.path))?.size).toBe(first.size);
  });

  it('R-OFF-2: refuses receipts for another hash, size, device, or signed by a non-dock or unknown key; the file stays pending', async () => {
    const dev = await makeDevice();
    const { host } = dock(dev);
    await host.handshake();
    const [f] = await host.listFiles();
    const base = { device: dev.identity.device, path: f.path, size: f.size, sha256: f.sha256, storedAt: 1, store: 'dock-test' };
    const wrongHash = fromHex(toHex(f.sha256).replace(/^./, (c) => (c === '0' ? '1' : '0')));
    expect(await codeOf(host.sendReceipt(signReceipt(TEST_KEYS.dock, { ...base, sha256: wrongHash })))).toBe('ERECEIPT_MISMATCH');
    expect(await codeOf(host.sendReceipt(signReceipt(TEST_KEYS.dock, { ...base, size: f.size - 1 })))).toBe('ERECEIPT_MISMATCH');
    expect(await codeOf(host.sendReceipt(signReceipt(TEST_KEYS.dock, { ...base, device: 'BC-9999' })))).toBe('ERECEIPT_WRONG_DEVICE');
    expect(await codeOf(host.sendReceipt(signReceipt(TEST_KEYS.responsible, base)))).toBe('ERECEIPT_ROLE_NOT_ALLOWED');
    expect(await codeOf(host.sendReceipt(signReceipt(TEST_KEYS.stranger, base)))).toBe('ERECEIPT_UNKNOWN_KEY');
    const forged = signReceipt(TEST_KEYS.dock, base);
    forged.signature[3] ^= 1;
    expect(await codeOf(host.sendReceipt(forged))).toBe('ERECEIPT_BAD_SIGNATURE');
    expect((await host.listFiles()).map((x) => x.path)).toContain(f.path);
    expect(dev.journal.ofType('offload-receipt')).toEqual([]);
  });

  it('R-TIME-2: a set-time signed by the responsible person is applied once and journalled with old and new time', async () => {
    const dev = await makeDevice();
    const { host } = dock(dev);
    await host.handshake();
    const before = dev.clock.wallTime();
    const auth = authorize(TEST_KEYS.responsible, 'set-time', dev.identity.device, { time: before + 60_000 });
    const r = await host.command(auth);
    expect(r).toMatchObject({ action: 'set-time', result: { oldTime: before, newTime: before + 60_000 } });
    expect(dev.clock.wallTime()).toBe(before + 60_000);
    expect(dev.journal.ofType('time-set')).toEqual([{ oldTime: before, newTime: before + 60_000, source: 'authorised', by: { name: 'Test Signer', keyId: TEST_KEYS.responsible.keyId, counter: expect.any(Number) } }]);
    expect(await codeOf(host.command(auth))).toBe('EAUTH_REPLAYED');
    expect(dev.clock.wallTime()).toBe(before + 60_000);
  });

  it('R-TIME-2, R-REC-2: refuses unsigned, unknown-key, wrong-role and foreign-device commands without acting', async () => {
    const dev = await makeDevice();
    const { host } = dock(dev);
    await host.handshake();
    const t = dev.clock.wallTime();
    const setTime = (key = TEST_KEYS.responsible, device = dev.identity.device) => authorize(key, 'set-time', device, { time: t + 1 });
    const unsigned = { ...setTime(), signature: new Uint8Array(0) };
    expect(await codeOf(host.command(unsigned))).toBe('EAUTH_UNSIGNED');
    expect(await codeOf(host.command(setTime(TEST_KEYS.stranger)))).toBe('EAUTH_UNKNOWN_KEY');
    expect(await codeOf(host.command(setTime(TEST_KEYS.dutyOfficer)))).toBe('EAUTH_ROLE_NOT_ALLOWED');
    expect(await codeOf(host.command(setTime(TEST_KEYS.responsible, 'BC-9999')))).toBe('EAUTH_WRONG_DEVICE');
    const wrongKey = setTime();
    wrongKey.signature.set(TEST_KEYS.dutyOfficer.sign(wrongKey.body));
    expect(await codeOf(host.command(wrongKey))).toBe('EAUTH_BAD_SIGNATURE');
    expect(await codeOf(host.command(authorize(TEST_KEYS.responsible, 'set-time', dev.identity.device, { time: 'soon' })))).toBe('EINVALID');
    expect(dev.clock.wallTime()).toBe(t);
    expect(dev.journal.ofType('time-set')).toEqual([]);
  });

  it('a command re-sent with the same seq (lost reply) gets the same answer, not EAUTH_REPLAYED, and runs once', async () => {
    const dev = await makeDevice();
    const { host, session } = dock(dev);
    await host.handshake();
    const auth = authorize(TEST_KEYS.responsible, 'reseal', dev.identity.device, {});
    const frame = encodeFrame([encodeMessage('command', { auth: { body: auth.body, sig: auth.signature } }, 77)]);
    await host.endpoint.writeRaw(frame);
    await host.endpoint.writeRaw(frame); // arrives while the first is still running: dropped
    while (dev.journal.ofType('seal-resealed').length === 0) await new Promise((r) => setImmediate(r));
    await host.ping();
    await host.endpoint.writeRaw(frame); // after it finished: answered from the reply cache
    await host.ping();
    expect(dev.journal.ofType('seal-resealed')).toHaveLength(1);
    expect(session.endpoint.stats.retriesAnswered).toBe(2);
    // Two command-result replies with ack 77 reached the host (nobody was waiting for them).
    expect(host.endpoint.stats.unmatchedReplies).toBe(2);
  });

  it('R-PWR-4: refuses to issue a device whose battery cannot cover the planned shift, and journals the refusal', async () => {
    const dev = await makeDevice({ batteryHours: 5 });
    const { host } = dock(dev);
    await host.handshake();
    const issue = (hours: number) => authorize(TEST_KEYS.responsible, 'issue', dev.identity.device, { plannedShiftHours: hours, officer: 'Sgt. Petrov' });
    expect(await codeOf(host.command(issue(8)))).toBe('EBATTERY');
    expect(dev.journal.ofType('issue-refused')).toEqual([{ reason: 'battery covers 5.0 h, the planned shift is 8 h', plannedShiftHours: 8, batteryHours: 5 }]);
    expect(dev.app.issued).toBe(false);
    expect(await host.command(issue(4))).toMatchObject({ action: 'issue', result: { issued: true } });
    expect(dev.journal.ofType('issue')[0]).toMatchObject({ officer: 'Sgt. Petrov', plannedShiftHours: 4 });
  });

  it('R-TIME-2: dock time sync journals the drift and corrects the clock; an attestation from an earlier session is refused', async () => {
    const dev = await makeDevice();
    dev.clock.setWallTime(dev.vclock.trueTime() + 5_000); // device runs 5 s fast
    const first = dock(dev);
    await first.host.handshake();
    const trueNow = dev.vclock.trueTime();
    const att = signTimeAttestation(TEST_KEYS.dock, { device: dev.identity.device, nonce: first.host.device.nonce, time: trueNow, host: 'dock-test' });
    expect(await first.host.sendTimeAttestation(att)).toEqual({ driftMs: 5000, applied: true, reason: 'applied' });
    expect(dev.clock.wallTime()).toBe(trueNow);
    expect(dev.journal.ofType('time-drift')).toEqual([{ driftMs: 5000, reference: `dock dock-test (key ${TEST_KEYS.dock.keyId})` }]);
    expect(dev.journal.ofType('time-set')).toEqual([{ oldTime: trueNow + 5000, newTime: trueNow, source: 'dock-sync' }]);
    await first.host.close();
    const second = dock(dev);
    await second.host.handshake();
    dev.clock.setWallTime(trueNow + 9_000);
    expect(await second.host.sendTimeAttestation(att)).toMatchObject({ applied: false, reason: 'stale' });
    const foreign = signTimeAttestation(TEST_KEYS.stranger, { device: dev.identity.device, nonce: second.host.device.nonce, time: trueNow, host: 'evil' });
    expect(await second.host.sendTimeAttestation(foreign)).toMatchObject({ applied: false, reason: 'unknown-key' });
    expect(dev.clock.wallTime()).toBe(trueNow + 9_000);
    expect((await second.host.timeSync()).result).toMatchObject({ applied: true });
  });
});

describe('device session state machine and rejections', () => {
  it('answers requests before hello with ESTATE, unknown types with EUNKNOWN_TYPE, and keeps going after a bad CRC', async () => {
    const dev = await makeDevice();
    const { host, session } = dock(dev);
    expect(await codeOf(host.endpoint.request('status-get', {}))).toBe('ESTATE');
    await host.handshake();
    const unknown = encodeMessage('ping', {}, 500);
    unknown[1] = 0x7e;
    await host.endpoint.writeRaw(encodeFrame([unknown]));
    const bad = encodeFrame([encodeMessage('ping', {}, 501)]);
    bad[bad.length - 2] ^= 0x20; // last CRC byte (a data byte of the final COBS block)
    await host.endpoint.writeRaw(bad);
    await host.ping();
    expect(session.endpoint.stats.rejected).toEqual({ EFRAME_CRC: 1, EUNKNOWN_TYPE: 1 });
    expect(host.endpoint.stats.unmatchedReplies).toBe(1); // the error answering seq 500
    expect(host.endpoint.stats.rejected).toEqual({});
  });

  it('R-OFF-2: an interrupted transfer resumes from the verified prefix in the next session', async () => {
    const dev = await makeDevice({ segments: 1, segmentBytes: 400_000 });
    const first = dock(dev, { link: { cutAfterBytes: 150_000 } });
    await first.host.handshake();
    const [f] = await first.host.listFiles();
    const sink = new MemorySink();
    await expect(pullFile(first.host, f, sink, { clock: dev.clock, window: 32 * 1024 })).rejects.toMatchObject({ code: 'ESESSION_CLOSED' });
    expect(sink.length).toBeGreaterThan(0);
    expect(sink.length).toBeLessThan(f.size);
    const second = dock(dev);
    await second.host.handshake();
    const r = await pullFile(second.host, f, sink, { clock: dev.clock, window: 32 * 1024 });
    expect(r.resumedFrom).toBe(sink.length - r.bytesReceived);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(toHex(sink.bytes())).toBe(toHex(await dev.card.read(f.path)));
  });

  it('a lost chunk (corrupted on the line) restarts reading at the first missing byte', async () => {
    const dev = await makeDevice({ segments: 1, segmentBytes: 300_000 });
    let hits = 0;
    const d = dock(dev, {
      link: {
        mutate: (data, dir) => {
          // corrupt the 3rd and 7th large device→host writes (chunks)
          if (dir === 'b->a' && data.length > 10_000 && (++hits === 3 || hits === 7)) {
            const c = data.slice();
            c[5000] ^= 0xff;
            return c;
          }
          return data;
        },
      },
    });
    await d.host.handshake();
    const [f] = await d.host.listFiles();
    const sink = new MemorySink();
    // A lost final chunk is only noticed by the stall timer: let virtual time run.
    const r = await drive(dev.vclock, pullFile(d.host, f, sink, { clock: dev.clock, window: 64 * 1024, stallTimeoutMs: 2000 }));
    expect(r.restarts).toBe(2);
    expect(toHex(sink.bytes())).toBe(toHex(await dev.card.read(f.path)));
    expect(d.session.stats.readsCancelled).toBeGreaterThan(0);
  });

  it('a file whose bytes do not hash to the announced SHA-256 is discarded, not accepted', async () => {
    const dev = await makeDevice({ segments: 1, segmentBytes: 10_000 });
    const d = dock(dev);
    await d.host.handshake();
    const [f] = await d.host.listFiles();
    // The device is told (by a broken evidence store) that the file has different content.
    const real = await dev.source.file(f.path);
    real!.sha256 = toHex(new Uint8Array(32).fill(7));
    const sink = new MemorySink();
    await expect(pullFile(d.host, { ...f, sha256: new Uint8Array(32).fill(7) }, sink, { clock: dev.clock })).rejects.toMatchObject({ code: 'ETRANSFER_HASH' });
    expect(sink.discards).toBe(1);
  });
});

describe('device session under hostile input', () => {
  it('fuzz: random bytes, mutated frames and well-formed frames of random types never crash or wedge the session', async () => {
    const fc = (await import('fast-check')).default;
    const { MESSAGE_VECTORS } = await import('../../protocol/vectors.ts');
    // Every message type but bye (which legitimately ends the session).
    const valid = MESSAGE_VECTORS.filter((v) => v.name !== 'bye').map((v) => encodeFrame([encodeMessage(v.name, v.payload as never, 900 + v.seq, v.ack)]));
    // Another serial than the vectors' BC-0001: their signed commands and receipts are for another device.
    const dev = await makeDevice({ segments: 1, segmentBytes: 1000, serial: 'BC-9001' });
    const { host, session } = dock(dev);
    await host.handshake();
    const timeBefore = dev.clock.wallTime();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 600 }),
            fc.constantFrom(...valid),
            fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, at, b]) => {
              const c = f.slice();
              c[at % c.length] = b;
              return c;
            }),
          ),
          { maxLength: 8 },
        ),
        async (garbage) => {
          for (const g of garbage) await host.endpoint.writeRaw(g);
          // Whatever arrived, a delimiter and a ping get an answer.
          await host.endpoint.writeRaw(new Uint8Array([0]));
          await host.ping();
          expect(session.endpoint.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
    // The vectors include a validly signed set-time and receipt, but for BC-0001: refused here.
    expect(session.state).toBe('ready');
    expect(dev.journal.ofType('time-set')).toEqual([]);
    expect(dev.journal.ofType('offload-receipt')).toEqual([]);
    expect(Math.abs(dev.clock.wallTime() - timeBefore)).toBeLessThan(1000);
  });
});
