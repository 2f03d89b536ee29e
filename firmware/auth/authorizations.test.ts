import { describe, expect, it } from 'vitest';
import { bootBodycam, issueAndStart } from '../../test/fakes/harness.ts';
import { authorise } from '../../test/fakes/keys.ts';
import { decodeAuthorizationBody } from '../../protocol/authorization.ts';
import type { PersistentAuthorizationGate } from './authorization-gate.ts';

describe('one authorisation gate per device', () => {
  it('R-TIME-2: unreadable replay counters refuse every authorisation (never forget used counters) and recording goes on', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'meal', maxMinutes: 30 }));
    // Corrupt the counters on internal storage, then power-cycle.
    await h.tb.internalSim.writeAtomic('auth/replay-counters.json', new TextEncoder().encode('{"broken'));
    h.tb.rail.cut();
    const again = await bootBodycam({ after: h });
    await expect(again.fw.handleAuthorization(authorise(again.responsible, 'set-time', { time: again.clock.trueTime() }))).rejects.toThrow(/replay counters/);
    expect(again.tb.journal.of('action-refused').at(-1)?.data).toMatchObject({ action: 'set-time' });
    expect(again.fw.status().faults.some((f) => /replay counters/.test(f.detail))).toBe(true);
    await again.clock.runFor(120_000);
    expect(again.fw.status().recording.active).toBe(true);
  });

  it('a self-verifying handler and the app share one counter store: a counter used by one is refused by the other', async () => {
    const h = await bootBodycam();
    const gate = (h.fw.services.auth as unknown as { gate: PersistentAuthorizationGate }).gate;
    h.fw.registerSelfVerifyingHandler('reseal', async (signed) => {
      const body = await gate.authorize(signed, 'reseal');
      return { by: { name: body.signer, keyId: body.keyId, counter: body.counter }, result: 'resealed' };
    });
    const reseal = authorise(h.responsible, 'reseal', {});
    expect((await h.fw.handleAuthorization(reseal)).result).toBe('resealed');
    // A set-time with a counter at or below the one just consumed is a replay for this key.
    const counter = decodeAuthorizationBody(reseal.body).counter;
    const stale = authorise(h.responsible, 'set-time', { time: h.clock.trueTime() }, { counter });
    await expect(h.fw.handleAuthorization(stale)).rejects.toMatchObject({ reason: 'replayed' });
    await expect(h.fw.handleAuthorization(reseal)).rejects.toMatchObject({ reason: 'replayed' });
  });
});
