// Where the depth stream is published: at the end of each journal batch (the journaler's group
// commit; the WAL record carries the mark), the net changes of the batch to each changed book's
// top N (DepthTracker), and at the first batch end at or past each multiple of
// --depth-snapshot-every, every symbol's full top N. Both depend on the WAL alone, so live
// matching, the restart replay and an offline replay make the same stream. Publishing per batch
// adds no latency: nothing of a batch is matched before its group commit ends. It also keeps the
// levels queries read while the engine runs (depth-view.ts) up to date, after each matcher batch:
// that is not part of the stream.
import { DepthTracker, decodeDepthState, encodeDepthState, type DepthSink, type LevelsSource, type LevelsTarget } from '@ringmatch/book';
import type { Command } from '@ringmatch/protocol';
import type { DepthConfig } from './config.js';

export class DepthFeed {
  private readonly tracker: DepthTracker;

  constructor(
    engine: LevelsSource,
    private readonly config: DepthConfig,
    private readonly sink: DepthSink,
  ) {
    this.tracker = new DepthTracker(engine, config.levels);
  }

  /**
   * Starts from a snapshot's tracker state (`state`: its bytes) when it has one made with these
   * settings, else from the books as they are, as published at `seq` (the snapshot's sequence, 0 at
   * the very start).
   */
  start(state: Uint8Array | null, seq: number): void {
    const decoded = state === null ? null : decodeDepthState(state);
    if (decoded !== null && typeof decoded !== 'string' && this.tracker.restore(decoded)) return;
    this.tracker.sync(seq);
  }

  /** The tracker's state for a snapshot at the current sequence. */
  state(): Uint8Array {
    return encodeDepthState(this.tracker.state());
  }

  /** After the books processed `cmd` (every command); `batchEnd`: its WAL record ends a journal batch. */
  afterCommand(cmd: Command, batchEnd: boolean): void {
    this.tracker.afterCommand(cmd.symbolId);
    if (!batchEnd) return;
    const previous = this.tracker.publishedAt;
    this.tracker.publishBatch(cmd.seq, this.sink);
    const every = this.config.snapshotEvery;
    if (every > 0 && Math.floor(cmd.seq / every) > Math.floor(previous / every)) {
      for (const id of this.tracker.symbolIds) this.tracker.snapshot(id, cmd.seq, this.sink);
    }
  }

  /** The symbols whose published levels changed since the last call, to the query view. */
  publishChanged(view: LevelsTarget): void {
    this.tracker.publishChanged(view);
  }

  /** Every symbol to the query view (after start-up's replay). */
  publishAll(view: LevelsTarget): void {
    this.tracker.publishAll(view);
  }
}
