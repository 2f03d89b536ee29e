/**
 * Types for `@serialport/binding-mock`: the package ships them, but its `exports` map hides them
 * from NodeNext resolution (TS7016). Only what our tests use.
 */
declare module '@serialport/binding-mock' {
  import type { SerialPortStream } from '@serialport/stream';

  type Binding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

  export interface CreatePortOptions {
    echo?: boolean;
    record?: boolean;
    readyData?: Buffer;
    maxReadSize?: number;
    manufacturer?: string;
    vendorId?: string;
    productId?: string;
  }

  export const MockBinding: Binding & {
    reset(): void;
    createPort(path: string, opt?: CreatePortOptions): void;
  };

  /** The open port behind a stream (`stream.port`). */
  export interface MockPortBinding {
    emitData(data: Buffer | string): void;
    recording: Buffer;
    lastWrite: Buffer | null;
    isOpen: boolean;
  }
}
