import { describeBatteryContract } from './battery.contract.ts';
import { max17048Fixture } from './i2c-fixtures.ts';

describeBatteryContract('MAX17048 driver, slot 0, behind a TCA9548A on the simulated I2C bus', () => max17048Fixture(undefined, 0));
describeBatteryContract('MAX17048 driver, slot 1, behind a TCA9548A on the simulated I2C bus', () => max17048Fixture(undefined, 1));
