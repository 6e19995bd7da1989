// Two depth streams of the same orders agree when, at every sequence both publish at and at their
// ends, they describe the same top N of every symbol. Runs of the same orders publish at different
// sequences (each at its own journal batch ends), so this, not byte equality, is what an
// uninterrupted run and a crashed-and-restarted one must share; byte equality holds between a run
// and an offline replay of its own WAL.

interface DepthLine {
  type: string;
  seq: number;
  symbol: string;
  side?: string;
  price?: number;
  qty?: number;
  orders?: number;
}

/** Per sequence the stream publishes at: every symbol's levels after that sequence's lines, as one string. */
function statesAt(lines: string[], wanted: (seq: number) => boolean): { states: Map<number, string>; last: number; final: string } {
  const books = new Map<string, Map<string, string>>();
  const states = new Map<number, string>();
  const fingerprint = (): string =>
    [...books.keys()]
      .sort()
      .map(
        (symbol) =>
          `${symbol}: ${[...books.get(symbol)!.entries()]
            .map(([level, value]) => `${level}=${value}`)
            .sort()
            .join(' ')}`,
      )
      .join('\n');
  let current = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = JSON.parse(lines[i]!) as DepthLine;
    if (line.seq < current) throw new Error(`depth line ${i} goes back to sequence ${line.seq} after ${current}`);
    if (line.seq !== current && current >= 0 && wanted(current)) states.set(current, fingerprint());
    current = line.seq;
    let book = books.get(line.symbol);
    if (!book) books.set(line.symbol, (book = new Map()));
    if (line.type === 'snapshot') book.clear();
    else if (line.qty === 0) book.delete(`${line.side}@${line.price}`);
    else book.set(`${line.side}@${line.price}`, `${line.qty}/${line.orders}`);
  }
  const final = fingerprint();
  if (current >= 0 && wanted(current)) states.set(current, final);
  return { states, last: current, final };
}

const stamps = (lines: string[]): Set<number> => new Set(lines.map((line) => (JSON.parse(line) as DepthLine).seq));

/** Null when streams `a` and `b` (book.ndjson lines, with or without "n") agree; else where they first differ. */
export function depthDisagreement(a: string[], b: string[]): string | null {
  const inB = stamps(b);
  const common = new Set([...stamps(a)].filter((seq) => inB.has(seq)));
  const left = statesAt(a, (seq) => common.has(seq));
  const right = statesAt(b, (seq) => common.has(seq));
  for (const seq of [...common].sort((x, y) => x - y)) {
    if (left.states.get(seq) !== right.states.get(seq)) return `the books differ at sequence ${seq}, which both streams publish at`;
  }
  if (left.final !== right.final) return `the books differ at the streams' ends (sequences ${left.last} and ${right.last})`;
  if (common.size === 0 && a.length + b.length > 0) return 'the streams share no sequence to compare at';
  return null;
}
