// The order stream of `ringmatch run --pregenerate` (embedded source), built in memory as command
// slots: the same generator (seed, symbol table, accounts), sequences from 1 on a fresh data dir,
// source stream 0 and the order's index as its position, exactly as EmbeddedSource's pregenerate
// path writes them before it copies them into the ring.
import { OrderFlowGenerator } from '@ringmatch/book';
import { COMMAND_SLOT_BYTES, createCommand, syntheticSymbolTable, writeCommand } from '@ringmatch/protocol';
import type { RunConfig } from '@ringmatch/engine';

export interface PregeneratedOrders {
  /** `count` command slots of COMMAND_SLOT_BYTES, sequence 1 first. */
  slots: Uint8Array;
  count: number;
}

/** The embedded source's single stream (SINGLE_PARTITION). */
const STREAM = 0;

/** The commands a fresh `--pregenerate` run of `config` publishes, in order. */
export function pregenerateOrders(config: RunConfig): PregeneratedOrders {
  const source = config.source;
  if (source.kind !== 'embedded' || !source.pregenerate || source.orders <= 0) {
    throw new Error('pregenerateOrders needs an embedded source with --pregenerate and --orders');
  }
  // The engine's symbolTableFor(source) for an embedded source.
  const generator = new OrderFlowGenerator({ seed: source.seed, symbols: syntheticSymbolTable(source.symbols), accounts: source.accounts });
  const cmd = createCommand();
  const count = source.orders;
  const slots = new Uint8Array(count * COMMAND_SLOT_BYTES);
  for (let k = 0; k < count; k++) {
    generator.next(cmd);
    cmd.seq = 1 + k;
    cmd.sourceStream = STREAM;
    cmd.sourcePosition = k;
    writeCommand(slots, k * COMMAND_SLOT_BYTES, cmd);
  }
  return { slots, count };
}
