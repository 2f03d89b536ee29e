import { describeLightContract } from './light.contract.ts';
import { bh1750Fixture, veml7700Fixture } from './i2c-fixtures.ts';

describeLightContract('VEML7700 driver over the simulated I2C bus', () => veml7700Fixture());
describeLightContract('BH1750 driver over the simulated I2C bus (0x23)', () => bh1750Fixture());
describeLightContract('BH1750 driver over the simulated I2C bus (0x5C)', () => bh1750Fixture(undefined, 0x5c));
