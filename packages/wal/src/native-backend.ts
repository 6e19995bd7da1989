// The @ringmatch/native write backend: batches go to a dedicated writer thread that runs pwritev +
// fdatasync back to back, so the second outstanding batch starts as soon as the first one's
// fdatasync returns, with no round trip through the JS thread (double buffering).
import type { NativeModule, NativeSyncWriter } from './native-module.js';
import type { WriteBackend, WriteHost } from './write-backend.js';

interface Job {
  id: number;
  t0: bigint;
  fd: number;
  /** Held until the batch completes: the writer thread reads them. */
  chunks: Uint8Array[];
  records: number;
  bytes: number;
  lastSequence: number;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
  promise: Promise<number>;
}

export class NativeBackend implements WriteBackend {
  readonly name = 'native';
  private readonly native: NativeModule;
  private readonly host: WriteHost;
  /** Batches submitted and not yet reported, oldest first (at most 2). */
  private jobs: Job[] = [];
  private writer: NativeSyncWriter | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private nextJobId = 1;

  constructor(native: NativeModule, host: WriteHost) {
    this.native = native;
    this.host = host;
  }

  get pending(): number {
    return this.jobs.length;
  }

  write(fd: number, position: number, chunks: Uint8Array[], records: number, bytes: number, lastSequence: number, failSync: boolean): Promise<number> {
    let resolve!: (seq: number) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { id: this.nextJobId++, fd, chunks, records, bytes, lastSequence, resolve, reject, promise, t0: 0n };
    this.writer ??= new this.native.SyncWriter((id, written, error) => this.onDone(id, written, error));
    job.t0 = process.hrtime.bigint();
    this.jobs.push(job);
    this.keepAlive ??= setInterval(() => undefined, 1 << 30); // the callback alone does not hold the event loop
    try {
      this.writer.submit(job.id, fd, position, chunks, failSync);
    } catch (error) {
      this.jobs.pop();
      throw this.host.fail(error);
    }
    return promise;
  }

  private onDone(id: number, _written: number, error: string): void {
    const job = this.jobs.shift();
    if (!job || job.id !== id) {
      // Cannot happen (FIFO thread); never carry on with a confused writer.
      const failed = this.host.fail(new Error(`native writer reported batch ${id}, expected ${job?.id}`));
      job?.reject(failed);
      return;
    }
    if (this.jobs.length === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
    if (error !== '') {
      const cause = new Error(error) as NodeJS.ErrnoException;
      cause.code = /^([A-Z]+):/.exec(error)?.[1] ?? 'EIO';
      job.reject(this.host.fail(cause));
      return;
    }
    const t0 = job.t0;
    // The next batch's write starts when this one completes: time it from here.
    const now = process.hrtime.bigint();
    if (this.jobs.length > 0 && this.jobs[0]!.t0 < now) this.jobs[0]!.t0 = now;
    this.host.synced(t0, job.records, job.bytes, job.lastSequence);
    this.host.settled();
    job.resolve(job.lastSequence);
  }

  writing(fd: number): boolean {
    for (const job of this.jobs) if (job.fd === fd) return true;
    return false;
  }

  async settle(): Promise<void> {
    await Promise.allSettled(this.jobs.map((j) => j.promise));
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}
