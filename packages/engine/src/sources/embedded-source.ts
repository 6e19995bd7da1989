// Embedded source: the seeded order-flow generator, a pure function of (seed, index), so a restart
// replays it to where the WAL ends. `--pregenerate` builds every order in memory first and then
// only copies slots into the ring (measures the pipeline, not the generator).
import { OrderFlowGenerator } from '@ringmatch/book';
import { COMMAND_SLOT_BYTES, createCommand, writeCommand } from '@ringmatch/protocol';
import { Stat } from '../stats.js';
import { copyIntoRing } from '../ring-copy.js';
import { FLAT_OUT_BATCH, type CommandPublisher } from './command-publisher.js';
import { SINGLE_PARTITION, type CommandSource, type SourceContext } from './command-source.js';

const BATCH = 256;

export class EmbeddedSource implements CommandSource {
  private readonly generator: OrderFlowGenerator;
  private readonly cmd = createCommand();
  /** Generator index of the next order (where a restart resumes). */
  private index: number;
  private readonly total: number;
  /** --pregenerate: every order's slot, built in `prepare`. */
  private pregenerated: { orders: Uint8Array; firstSeq: number } | null = null;

  constructor(private readonly context: SourceContext<'embedded'>) {
    const { config } = context;
    this.generator = new OrderFlowGenerator({ seed: config.seed, symbols: context.symbols, accounts: config.accounts });
    this.index = (new Map(context.resume.positions).get(SINGLE_PARTITION) ?? -1) + 1;
    this.total = config.orders === 0 ? Number.MAX_SAFE_INTEGER : config.orders;
  }

  /** Replays the generator to where the WAL ends and, with --pregenerate, builds every order's slot. */
  prepare(out: CommandPublisher): void {
    for (let i = 0; i < this.index; i++) this.generator.next(this.cmd);
    if (this.context.config.pregenerate) this.pregenerated = this.pregenerate(out.published + 1);
  }

  run(out: CommandPublisher): void {
    if (this.pregenerated) {
      this.runPregenerated(out, this.pregenerated.orders, this.pregenerated.firstSeq);
      return;
    }
    const { generator, cmd, total } = this;
    let index = this.index;
    while (index < total && !out.stopRequested()) {
      const n = Math.min(BATCH, out.slotCount, total - index); // a claim can never exceed the ring
      const lo = out.claim(n);
      if (lo < 0) break;
      const hi = lo + n - 1;
      for (let s = lo; s <= hi; s++) {
        generator.next(cmd);
        cmd.seq = s;
        cmd.sourceStream = SINGLE_PARTITION;
        cmd.sourcePosition = index++;
        writeCommand(out.bytes, out.ring.offsetOf(s), cmd);
      }
      out.publish(lo, hi);
      out.setStat(Stat.inputMessages, index);
      out.throttle();
    }
    this.index = index;
  }

  /** The slots of orders index..total-1, numbered from `firstSeq`. */
  private pregenerate(firstSeq: number): { orders: Uint8Array; firstSeq: number } {
    const { generator, cmd } = this;
    const count = this.total - this.index;
    const orders = new Uint8Array(count * COMMAND_SLOT_BYTES);
    for (let k = 0; k < count; k++) {
      generator.next(cmd);
      cmd.seq = firstSeq + k;
      cmd.sourceStream = SINGLE_PARTITION;
      cmd.sourcePosition = this.index + k;
      writeCommand(orders, k * COMMAND_SLOT_BYTES, cmd);
    }
    return { orders, firstSeq };
  }

  private runPregenerated(out: CommandPublisher, orders: Uint8Array, firstSeq: number): void {
    const count = orders.length / COMMAND_SLOT_BYTES;
    const firstIndex = this.index;
    // Large chunks when flat out; when paced, the live generator's batch size (no bursts).
    const chunk = Math.min(out.rate > 0 ? BATCH : FLAT_OUT_BATCH, out.slotCount >> 2);
    let done = 0;
    out.restartRate(); // the rate applies from the first publish, not from before generation
    while (done < count && !out.stopRequested()) {
      const n = Math.min(chunk, count - done);
      const lo = out.claim(n);
      if (lo < 0) break;
      if (lo !== firstSeq + done) throw new Error(`pregenerated order ${done} would get sequence ${lo}, expected ${firstSeq + done}`);
      copyIntoRing(out.ring, lo, lo + n - 1, orders, done * COMMAND_SLOT_BYTES);
      out.publish(lo, lo + n - 1);
      done += n;
      out.setStat(Stat.inputMessages, firstIndex + done);
      out.throttle();
    }
    this.index = firstIndex + done;
  }
}
