import { describeCardSlotContract } from './card-slot.contract.ts';
import { SimCard, SimCardSlot } from '../../sim/card-slot.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SysfsCardSlot } from '../../hal/linux/sysfs-card-slot.ts';
import { FakeSealInput, FakeSysfsTree } from '../card/fake-sysfs.ts';

describeCardSlotContract('simulated slot', async () => {
  const slot = new SimCardSlot();
  const random = new SeededRandom(7);
  const cards = new Map<string, SimCard>();
  return {
    slot,
    insert: async ({ label, cid }) => {
      let card = cards.get(label);
      if (!card) cards.set(label, (card = SimCard.create({ label, cid, random, capacityBytes: 1 << 20 })));
      slot.insert(card);
    },
    remove: async () => void slot.remove(),
    openSeal: async () => slot.openSeal(),
    closeSeal: async () => slot.closeSeal(),
    settle: async () => {},
    cleanup: async () => {},
  };
});

describeCardSlotContract('Linux sysfs slot over a fake sysfs tree', async () => {
  const tree = await FakeSysfsTree.create();
  const seal = new FakeSealInput(1);
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2025, 0, 6, 8) });
  const slot = new SysfsCardSlot({
    blockDevice: tree.blockDevice,
    mountPoint: tree.mountPoint,
    sysfsRoot: tree.sysfsRoot,
    mountsFile: tree.mountsFile,
    seal,
    clock,
  });
  await slot.refresh();
  return {
    slot,
    insert: (card) => tree.insert(card),
    remove: () => tree.remove(),
    openSeal: async () => seal.set(0),
    closeSeal: async () => seal.set(1),
    settle: async () => {
      if (!slot.closed) await slot.refresh();
    },
    cleanup: () => tree.cleanup(),
  };
});
