import { describeByteLinkContract } from './byte-link.contract.ts';
import { createLinkPair } from '../../sim/link.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';

describeByteLinkContract('simulated link, instant delivery', async () => {
  const [a, b] = createLinkPair();
  return { a, b, settle: () => new Promise((r) => setImmediate(r)), cut: () => a.cut('cable pulled'), cleanup: async () => {} };
});

describeByteLinkContract('simulated link, 3 Mbaud serial cable with 2 ms latency on the virtual clock', async () => {
  const clock = new VirtualClock({ startEpochMs: 0 });
  const [a, b] = createLinkPair({ clock, bytesPerSecond: 300_000, latencyMs: 2 });
  return {
    a,
    b,
    settle: async () => {
      await clock.runFor(10);
    },
    cut: () => b.cut('connection reset'),
    cleanup: async () => {},
  };
});
