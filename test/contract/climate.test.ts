import { describeClimateContract } from './climate.contract.ts';
import { sht31Fixture } from './i2c-fixtures.ts';

describeClimateContract('SHT31 driver over the simulated I2C bus (0x44)', () => sht31Fixture());
describeClimateContract('SHT31 driver over the simulated I2C bus (0x45)', () => sht31Fixture(undefined, 0x45));
