// File source: NdjsonCommandReader writes each line's commands as slots (bad UTF-8 or bad JSON
// become Invalid commands, rejected in sequence) straight into claimed command-ring slots, a
// batch at a time (ClaimedSlotStaging). It resumes by line number: the WAL's last line, minus the
// commands of it already journaled.
import { ClaimedSlotStaging } from './claimed-slot-staging.js';
import { NdjsonCommandReader } from './ndjson-reader.js';
import { createNativeScanner } from '../json-scanner.js';
import { loadFileWindows, openFileWindows } from '../file-windows.js';
import { Stat } from '../stats.js';
import { FLAT_OUT_BATCH, type CommandPublisher } from './command-publisher.js';
import { SINGLE_PARTITION, type CommandSource, type SourceContext } from './command-source.js';

/** Commands per publish: large when flat out (fewer claims and wake-ups), small when paced (no bursts). */
const BATCH = { unthrottled: FLAT_OUT_BATCH, paced: 256 } as const;

export class NdjsonSource implements CommandSource {
  constructor(private readonly context: SourceContext<'ndjson'>) {}

  async run(out: CommandPublisher): Promise<void> {
    const { config, symbols } = this.context;
    const scanner = config.jsonScanner === 'native' ? await createNativeScanner(symbols) : null;
    const reader = new NdjsonCommandReader(config.file, symbols, scanner, openFileWindows(await loadFileWindows(), config.file));
    const resume = this.context.resume;
    const lastLine = new Map(resume.positions).get(SINGLE_PARTITION) ?? -1;
    // Resume inside the last journaled line if only part of its batch reached the WAL.
    if (lastLine >= 0) reader.resumeAt(lastLine, new Map(resume.commandsAtLastPosition).get(SINGLE_PARTITION) ?? Number.MAX_SAFE_INTEGER);
    const batch = Math.min(out.rate > 0 ? BATCH.paced : BATCH.unthrottled, out.slotCount);
    const staging = new ClaimedSlotStaging(out.ring);
    const overflow = staging.overflow;
    let lines = reader.linesRead;
    let malformed = 0;
    try {
      while (!reader.eof && !out.stopRequested()) {
        const lo = out.claimRun(batch);
        if (lo < 0) return;
        staging.attach(lo, out.runLength(lo, batch));
        reader.fill(staging, staging.capacity);
        out.count(Stat.inputMessages, reader.linesRead - lines);
        out.count(Stat.malformed, reader.malformed - malformed);
        lines = reader.linesRead;
        malformed = reader.malformed;
        out.publishClaimed(lo, staging.count);
        // A line may hold a batch bigger than the claim, even than the ring: the rest goes in pieces the ring can take.
        if (overflow.count > 0 && !out.publishStaged(overflow.bytes, overflow.count, batch, true)) return;
        overflow.count = 0;
        out.throttle();
      }
    } finally {
      reader.close();
    }
  }
}
