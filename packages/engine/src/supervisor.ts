// Starts the engine's workers and watches them: a worker that throws or exits unexpectedly takes
// the engine down loudly (its name, the error, the last sequences), never a silent stall.
import { Worker, type TransferListItem } from 'node:worker_threads';
import { faultFacts, type FaultFacts } from './fault.js';
import { configureWorkerHeaps } from './worker-heap.js';

export interface WorkerMessage {
  type: string;
  [key: string]: unknown;
}

export interface SupervisedWorker {
  name: string;
  worker: Worker;
  /** Resolves when the worker thread has exited. */
  exited: Promise<number>;
  /** Resolves with the first message of `type` (matching `accept`, if given) from this worker, bounded by `timeoutMs`. */
  waitFor(type: string, timeoutMs: number, accept?: (message: WorkerMessage) => boolean): Promise<WorkerMessage>;
}

export class WorkerFailure extends Error {
  override readonly name = 'WorkerFailure';
  constructor(
    readonly worker: string,
    readonly detail: string,
    readonly origin?: unknown,
    readonly facts: FaultFacts | null = null,
  ) {
    super(`worker ${worker} failed: ${detail}`);
  }
}

export class Supervisor {
  readonly workers: SupervisedWorker[] = [];
  private stopping = false;
  private failed: WorkerFailure | null = null;
  private readonly failureListeners: Array<(failure: WorkerFailure) => void> = [];

  constructor(private readonly options: { cpuProfileDir: string | null; onMessage(name: string, message: WorkerMessage): void }) {}

  /**
   * Starts a worker. `exitsAfter`: a message type after which the worker may end on its own (code 0);
   * any other exit before the engine stops is a failure.
   */
  spawn(name: string, url: URL, workerData: unknown, transferList: TransferListItem[] = [], exitsAfter?: string): SupervisedWorker {
    const execArgv = this.options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', this.options.cpuProfileDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];
    configureWorkerHeaps();
    const worker = new Worker(url, { workerData, execArgv, name, stdout: false, stderr: false, transferList });
    const waiters = new Map<string, Array<(message: WorkerMessage) => boolean>>();
    const seen = new Map<string, WorkerMessage>();
    let finished = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type === exitsAfter) finished = true;
      if (message?.type === 'fatal') {
        this.fail(new WorkerFailure(name, String(message.error), message, (message.fault as FaultFacts | undefined) ?? null));
        return;
      }
      seen.set(message.type, message);
      const list = waiters.get(message.type);
      if (list)
        waiters.set(
          message.type,
          list.filter((offer) => !offer(message)),
        );
      this.options.onMessage(name, message);
    });
    worker.on('error', (error) => this.fail(new WorkerFailure(name, error?.stack ?? String(error), error, faultFacts(error))));
    const exited = new Promise<number>((resolve) => {
      worker.on('exit', (code) => {
        if (!this.stopping && !(finished && code === 0)) this.fail(new WorkerFailure(name, `exited unexpectedly with code ${code}`));
        resolve(code);
      });
    });
    const supervised: SupervisedWorker = {
      name,
      worker,
      exited,
      waitFor: (type, timeoutMs, accept = () => true) => {
        const already = seen.get(type);
        if (already && accept(already)) return Promise.resolve(already);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new WorkerFailure(name, `no "${type}" message within ${timeoutMs} ms`)), timeoutMs);
          const onFailure = (failure: WorkerFailure): void => {
            clearTimeout(timer);
            reject(failure);
          };
          this.failureListeners.push(onFailure);
          const list = waiters.get(type) ?? [];
          list.push((message) => {
            if (!accept(message)) return false;
            clearTimeout(timer);
            this.failureListeners.splice(this.failureListeners.indexOf(onFailure), 1);
            resolve(message);
            return true;
          });
          waiters.set(type, list);
        });
      },
    };
    this.workers.push(supervised);
    return supervised;
  }

  /** The first failure, if any. */
  get failure(): WorkerFailure | null {
    return this.failed;
  }

  onFailure(listener: (failure: WorkerFailure) => void): void {
    this.failureListeners.push(listener);
  }

  private fail(failure: WorkerFailure): void {
    if (this.failed) return;
    this.failed = failure;
    for (const listener of [...this.failureListeners]) listener(failure);
  }

  /** From now on workers may exit on their own (the engine is shutting down). */
  expectExits(): void {
    this.stopping = true;
  }

  /** Marks the shutdown as intended, then waits for each worker to exit (terminating stragglers). */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.map(async ({ worker, exited }) => {
        const timer = setTimeout(() => void worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Immediate teardown after a failure. */
  async terminateAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate().catch(() => undefined)));
  }
}
