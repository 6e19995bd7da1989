// The optional napi-rs module @ringmatch/native-kafka (librdkafka): its types (a copy of the
// generated native-kafka/index.d.ts, which is absent when the module is not built) and loading it.

/** One batch for `NativeProducer.sendBatch`, flat (see `flatBatch`). */
export interface NativeProduceBatch {
  partitions: Int32Array;
  values: Uint8Array[];
  /** Keys joined; `keyLens[i]` bytes each, -1 = null key. */
  keys?: Uint8Array;
  keyLens?: Int32Array;
  /** Header names fixed per batch; values joined message by message, name by name. */
  headerNames?: string[];
  headerValues?: Uint8Array;
  /** `headerLens[i * headerNames.length + j]`, -1 = header absent. */
  headerLens?: Int32Array;
}

export interface NativeProducerOptions {
  brokers: string;
  clientId: string;
  lingerMs?: number;
  batchBytes?: number;
  maxMessageBytes?: number;
  deliveryTimeoutMs?: number;
  maxInFlight?: number;
  config?: Record<string, string>;
}

export interface NativeProducer {
  /** Resolves when every message is acknowledged (acks=all); rejects with the first error. */
  sendBatch(topic: string, batch: NativeProduceBatch): Promise<void>;
  flush(timeoutMs: number): Promise<void>;
  close(timeoutMs: number): Promise<void>;
  readonly queued: number;
}

export interface NativeConsumerOptions {
  brokers: string;
  groupId: string;
  topic: string;
  clientId: string;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeMs?: number;
  config?: Record<string, string>;
}

/** A rebalance for JS ("assign": call `assign` with start offsets) or a consumer error. */
export interface NativeConsumerEvent {
  kind: 'assign' | 'revoke' | 'error' | string;
  partitions: number[];
  message?: string;
}

export interface NativeConsumer {
  /** Copies up to `maxMessages` records into `into` (see native-records.ts); resolves the count. */
  poll(into: Uint8Array, maxMessages: number, timeoutMs: number): Promise<number>;
  readonly hasEvents: boolean;
  takeEvents(): NativeConsumerEvent[];
  assign(partitions: number[], offsets: Array<number | null>): void;
  pause(partitions: number[]): void;
  resume(partitions: number[]): void;
  seek(partition: number, offset: number): void;
  watermarks(partition: number): number[];
  close(timeoutMs: number): Promise<void>;
}

export interface NativeKafkaModule {
  NativeProducer: new (options: NativeProducerOptions) => NativeProducer;
  NativeConsumer: new (options: NativeConsumerOptions) => NativeConsumer;
  nativeKafkaInfo(): string;
}

let load: Promise<NativeKafkaModule | null> | null = null;
let loadError: unknown = null;

/** Loads @ringmatch/native-kafka once; null when it is not built or cannot load (see `nativeKafkaLoadFailure`). */
export function loadNativeKafka(): Promise<NativeKafkaModule | null> {
  if (load === null) {
    // A variable specifier keeps tsc from resolving the (optional, generated) module at build time.
    const specifier = '@ringmatch/native-kafka';
    load = import(specifier).then(
      (mod: Record<string, unknown>) => {
        const m = (typeof mod.NativeProducer === 'function' ? mod : mod.default) as NativeKafkaModule;
        if (typeof m?.NativeProducer !== 'function' || typeof m.NativeConsumer !== 'function') {
          loadError = new Error('@ringmatch/native-kafka loaded but lacks NativeProducer/NativeConsumer (rebuild it)');
          return null;
        }
        return m;
      },
      (error: unknown) => {
        loadError = error;
        return null;
      },
    );
  }
  return load;
}

export function nativeKafkaLoadFailure(): unknown {
  return loadError;
}
