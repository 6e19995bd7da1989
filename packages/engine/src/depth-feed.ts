// Where the depth stream is published: after every command, the changes of its book's top N
// (DepthTracker), and at each multiple of --depth-snapshot-every, every symbol's full top N. Both
// depend on the sequence alone, so live matching, the restart replay and an offline replay make
// the same stream. It also keeps the levels queries read while the engine runs (depth-view.ts)
// up to date, after each batch: that is not part of the stream.
import { DepthTracker, type DepthSink, type LevelsTarget, type MatchingEngine } from '@ringmatch/book';
import type { Command } from '@ringmatch/protocol';
import type { DepthConfig } from './config.js';

export class DepthFeed {
  private readonly tracker: DepthTracker;

  constructor(
    engine: MatchingEngine,
    private readonly config: DepthConfig,
    private readonly sink: DepthSink,
  ) {
    this.tracker = new DepthTracker(engine, config.levels);
  }

  /** Takes the books as they are as published: at start, after restoring a snapshot. */
  sync(): void {
    this.tracker.sync();
  }

  /** After a batch ending at `seq`: the symbols it changed, to the query view. */
  publishChanged(seq: number, view: LevelsTarget): void {
    this.tracker.publishChanged(seq, view);
  }

  /** Every symbol to the query view, as exact at `seq` (after start-up's replay). */
  publishAll(seq: number, view: LevelsTarget): void {
    this.tracker.publishAll(seq, view);
  }

  /** After the books processed `cmd` (every command: the tracker also clears what it touched; an invalid one touched nothing). */
  afterCommand(cmd: Command): void {
    this.tracker.afterCommand(cmd.symbolId, cmd.seq, this.sink);
    const every = this.config.snapshotEvery;
    if (every > 0 && cmd.seq % every === 0) for (const id of this.tracker.symbolIds) this.tracker.snapshot(id, cmd.seq, this.sink);
  }
}
