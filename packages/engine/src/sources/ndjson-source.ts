// File source: each line's raw bytes go to the same decoder as a Kafka message (bad UTF-8 or bad
// JSON become Invalid commands, rejected in sequence), staged as slots and published in batches.
// It resumes by line number: the WAL's last line, minus the commands of it already journaled.
import { CommandKind, createCommand, decodeMessageEach, type Command, type DecodeOptions } from '@ringmatch/protocol';
import { CommandStaging } from './command-staging.js';
import { LineReader } from '../line-reader.js';
import { Stat } from '../stats.js';
import type { CommandPublisher } from './command-publisher.js';
import { SINGLE_PARTITION, type CommandSource, type SourceContext } from './command-source.js';

const BATCH = 256;

function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const b = line[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

export class NdjsonSource implements CommandSource {
  constructor(private readonly context: SourceContext<'ndjson'>) {}

  run(out: CommandPublisher): void {
    const reader = new LineReader(this.context.config.file);
    const resume = this.context.resume;
    const lastOffset = new Map(resume.positions).get(SINGLE_PARTITION) ?? -1;
    let skipFirst = 0;
    if (lastOffset >= 0) {
      // Resume inside the last journaled line if only part of its batch reached the WAL.
      reader.skipTo(lastOffset);
      skipFirst = new Map(resume.commandsAtLastPosition).get(SINGLE_PARTITION) ?? Number.MAX_SAFE_INTEGER;
    }
    // As on Kafka: one scratch command and one options object, each command written straight
    // into a staging slot (Invalid commands are fresh objects, written the same way).
    const decodeOptions: DecodeOptions = { symbols: this.context.symbols, sourceStream: SINGLE_PARTITION, sourcePosition: -1 };
    const scratch = createCommand();
    const staging = new CommandStaging(BATCH * 2);
    const stage = (c: Command): void => {
      if (staging.add(c) && c.kind === CommandKind.Invalid) out.count(Stat.malformed);
    };
    // A line may hold a batch bigger than the ring: publish in pieces the ring can take.
    const piece = Math.min(BATCH, out.slotCount);
    let eof = false;
    try {
      while (!eof && !out.stopRequested()) {
        staging.count = 0;
        while (staging.count < BATCH) {
          const lineNumber = reader.lineNumber;
          const line = reader.next();
          if (line === null) {
            eof = true;
            break;
          }
          out.count(Stat.inputMessages);
          if (isBlank(line)) continue; // blank lines carry no order (but have a line number)
          decodeOptions.sourcePosition = lineNumber;
          // The last journaled line may be in the WAL already, fully or partly: skip that part.
          staging.skip = lineNumber === lastOffset ? skipFirst : 0;
          decodeMessageEach(line, 'json', decodeOptions, scratch, stage);
        }
        if (!out.publishStaged(staging.bytes, staging.count, piece, true)) return;
      }
    } finally {
      reader.close();
    }
  }
}
