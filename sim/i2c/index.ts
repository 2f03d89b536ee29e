/** The simulated I2C bus and its chip models in one import. */
export * from './bus.ts';
export * from './bh1750.ts';
export * from './ds3231.ts';
export * from './max17048.ts';
export * from './promisified-bus.ts';
export * from './sensor-bus.ts';
export * from './sht31.ts';
export * from './tca9548a.ts';
export * from './veml7700.ts';
