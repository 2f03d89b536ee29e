/**
 * The contract suites once more, with every driver talking through i2c-bus's `PromisifiedBus`
 * call shapes (the fake in sim/i2c/promisified-bus.ts) via a minimal test-only adapter. This
 * checks that the fake behaves as the drivers need (errno-style NACKs, SMBus byte order) before
 * the real Linux adapter (hal/linux, issue #7) is run over it the same way.
 */
import type { PromisifiedBus } from 'i2c-bus';
import type { I2cBus } from '../../hal/bus/i2c.ts';
import { BusError, DeviceNotRespondingError } from '../../hal/errors.ts';
import { toPromisifiedBus } from '../../sim/i2c/promisified-bus.ts';
import { describeBatteryContract } from './battery.contract.ts';
import { describeClimateContract } from './climate.contract.ts';
import { describeLightContract } from './light.contract.ts';
import { describeRtcContract } from './rtc.contract.ts';
import { bh1750Fixture, ds3231Fixture, max17048Fixture, sht31Fixture, veml7700Fixture, type BusAdapter } from './i2c-fixtures.ts';

function viaPromisified(p: PromisifiedBus, id: string): I2cBus {
  const wrap = async <T>(address: number, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EREMOTEIO' || code === 'ENXIO') throw new DeviceNotRespondingError(`${id} 0x${address.toString(16)}`, code, { cause: e });
      throw new BusError(`${id}: ${(e as Error).message}`, { cause: e });
    }
  };
  return {
    id,
    readByte: (a, c) => wrap(a, () => p.readByte(a, c)),
    readWord: (a, c) => wrap(a, () => p.readWord(a, c)),
    writeByte: (a, c, b) => wrap(a, () => p.writeByte(a, c, b)),
    writeWord: (a, c, w) => wrap(a, () => p.writeWord(a, c, w)),
    readI2cBlock: (a, c, l, b) => wrap(a, () => p.readI2cBlock(a, c, l, b)),
    writeI2cBlock: (a, c, l, b) => wrap(a, () => p.writeI2cBlock(a, c, l, b)),
    i2cRead: (a, l, b) => wrap(a, () => p.i2cRead(a, l, b)),
    i2cWrite: (a, l, b) => wrap(a, () => p.i2cWrite(a, l, b)),
    sendByte: (a, b) => wrap(a, () => p.sendByte(a, b)),
    receiveByte: (a) => wrap(a, () => p.receiveByte(a)),
    scan: () => p.scan(),
    close: () => p.close(),
  };
}

const adapter: BusAdapter = (sim) => viaPromisified(toPromisifiedBus(sim), 'i2c-1');

describeLightContract('VEML7700 driver over i2c-bus call shapes (PromisifiedBus fake)', () => veml7700Fixture(adapter));
describeLightContract('BH1750 driver over i2c-bus call shapes (PromisifiedBus fake)', () => bh1750Fixture(adapter));
describeBatteryContract('MAX17048 + TCA9548A drivers over i2c-bus call shapes (PromisifiedBus fake)', () => max17048Fixture(adapter, 1));
describeRtcContract('DS3231 driver over i2c-bus call shapes (PromisifiedBus fake)', () => ds3231Fixture(adapter));
describeClimateContract('SHT31 driver over i2c-bus call shapes (PromisifiedBus fake)', () => sht31Fixture(adapter));
