// GC time on one of the engine's threads, for the summary's CPU account (what a run spent, and
// how much of it was garbage collection, beside the same figures of a peer on the JVM). V8's GC
// profiler, started when the thread's part of the measured window begins and read when it ends,
// sums the cost of every collection in between; each thread has its own heap and its own meter.
import v8 from 'node:v8';

export class GcMeter {
  private profiler: v8.GCProfiler | null = null;

  start(): void {
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
  }

  /** GC ms since `start` (0 when it was never started); the meter is then stopped. */
  stop(): number {
    const profiler = this.profiler;
    this.profiler = null;
    if (profiler === null) return 0;
    let costUs = 0;
    for (const collection of profiler.stop().statistics) costUs += collection.cost;
    return costUs / 1000;
  }
}
