import { describeRtcContract } from './rtc.contract.ts';
import { ds3231Fixture } from './i2c-fixtures.ts';

describeRtcContract('DS3231 driver over the simulated I2C bus', () => ds3231Fixture());
