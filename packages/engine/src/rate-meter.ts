// A rate over about the last second from counts sampled whenever someone asks (GET /status): it
// keeps the samples of the last few seconds and divides across the newest one at least a second
// old, or across all it has before that.
const WINDOW_MS = 1000;
const KEEP_MS = 5000;

export class RateMeter {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];

  /** Records `count` at `nowMs` and returns the per-second rate over about the last second. */
  perSecond(nowMs: number, count: number): number {
    this.times.push(nowMs);
    this.counts.push(count);
    while (this.times.length > 2 && nowMs - this.times[1]! >= KEEP_MS) {
      this.times.shift();
      this.counts.shift();
    }
    let i = this.times.length - 2;
    while (i > 0 && nowMs - this.times[i]! < WINDOW_MS) i--;
    if (i < 0) return 0;
    const ms = nowMs - this.times[i]!;
    return ms > 0 ? ((count - this.counts[i]!) * 1000) / ms : 0;
  }
}
