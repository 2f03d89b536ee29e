// mock-firmata ships no types; the part the tests use.
declare module 'mock-firmata' {
  import { EventEmitter } from 'node:events';
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a class declaration describes the constructor
  class MockFirmata extends EventEmitter {
    constructor(opts?: { pins?: unknown[] } & Record<string, unknown>);
    readonly MODES: Readonly<Record<string, number>>;
    readonly pins: Array<{ supportedModes: number[]; mode: number; value: number; report: number; analogChannel: number }>;
    readonly analogPins: number[];
    readonly isReady: boolean;
    name: string;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
    analogRead(pin: number, callback: (value: number) => void): void;
    reportDigitalPin(pin: number, value: number): void;
    reportAnalogPin(pin: number, value: number): void;
  }
  const mock: { Firmata: typeof MockFirmata; Pins: { UNO: unknown[]; UNOANALOG: number[] } };
  export default mock;
}
