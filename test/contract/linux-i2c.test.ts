/**
 * The I2C contract suites through the whole Linux stack: the chip driver (hal/drivers) talks to
 * `LinuxI2cBus` (hal/linux/i2c-bus.ts, the adapter the Pi uses), which calls i2c-bus's
 * `PromisifiedBus` API; behind it, instead of /dev/i2c-1, the fake `PromisifiedBus`
 * (sim/i2c/promisified-bus.ts) routes every transfer to simworld's register-level chip models.
 * So the real adapter (argument checks, errno → typed errors), the real driver and the
 * datasheet register map all run, exactly as in a simulated shift.
 */
import { LinuxI2cBus } from '../../hal/linux/i2c-bus.ts';
import { toPromisifiedBus } from '../../sim/i2c/promisified-bus.ts';
import { describeBatteryContract } from './battery.contract.ts';
import { describeClimateContract } from './climate.contract.ts';
import { describeLightContract } from './light.contract.ts';
import { describeRtcContract } from './rtc.contract.ts';
import { bh1750Fixture, ds3231Fixture, max17048Fixture, sht31Fixture, veml7700Fixture, type BusAdapter } from './i2c-fixtures.ts';

const linux: BusAdapter = (sim) => LinuxI2cBus.wrap(1, toPromisifiedBus(sim));

describeLightContract('VEML7700 driver over LinuxI2cBus (i2c-bus PromisifiedBus fake, register model)', () => veml7700Fixture(linux));
describeLightContract('BH1750 driver over LinuxI2cBus at 0x23 (i2c-bus PromisifiedBus fake, register model)', () => bh1750Fixture(linux));
describeLightContract('BH1750 driver over LinuxI2cBus at 0x5C (i2c-bus PromisifiedBus fake, register model)', () => bh1750Fixture(linux, 0x5c));
describeBatteryContract('MAX17048 slot A behind a TCA9548A, over LinuxI2cBus (register models)', () => max17048Fixture(linux, 0));
describeBatteryContract('MAX17048 slot B behind a TCA9548A, over LinuxI2cBus (register models)', () => max17048Fixture(linux, 1));
describeRtcContract('DS3231 driver over LinuxI2cBus (register model with oscillator)', () => ds3231Fixture(linux));
describeClimateContract('SHT31 driver over LinuxI2cBus at 0x44 (register model, CRC-8)', () => sht31Fixture(linux));
describeClimateContract('SHT31 driver over LinuxI2cBus at 0x45 (register model, CRC-8)', () => sht31Fixture(linux, 0x45));
