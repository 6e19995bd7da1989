// Runs of a book taken in turns (bench/peer/turns.ts): every run walks the whole stream in order,
// no run always goes first or always follows the same other one, and each run is charged for its
// own turns only.
import { describe, expect, it } from 'vitest';
import { timeInTurns } from '../bench/dist/peer/turns.js';

describe('book-peer runs in turns', () => {
  it('walks every run through the whole stream in order, in turns of the given size', () => {
    const seen: number[][] = [[], [], []];
    const ns = timeInTurns(3, 10_500, 1000, (run, from, to) => {
      seen[run]!.push(from, to);
    });
    expect(ns).toHaveLength(3);
    for (const ranges of seen) {
      const expected: number[] = [];
      for (let from = 0; from < 10_500; from += 1000) expected.push(from, Math.min(from + 1000, 10_500));
      expect(ranges).toEqual(expected);
    }
  });

  it('changes who goes first and who follows whom from turn to turn', () => {
    const order: number[] = [];
    timeInTurns(5, 10 * 100, 100, (run) => {
      order.push(run);
    });
    const turns = Array.from({ length: 10 }, (_, t) => order.slice(t * 5, t * 5 + 5));
    for (const turn of turns) expect([...turn].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(turns.map((turn) => turn[0])).size).toBe(5);
    // every run follows more than one other run within turns
    const predecessors = new Map<number, Set<number>>();
    for (const turn of turns)
      for (let k = 1; k < turn.length; k++) {
        if (!predecessors.has(turn[k]!)) predecessors.set(turn[k]!, new Set());
        predecessors.get(turn[k]!)!.add(turn[k - 1]!);
      }
    for (let run = 0; run < 5; run++) expect(predecessors.get(run)?.size ?? 0).toBeGreaterThan(1);
  });

  it('charges each run for its own turns only', () => {
    // A clock that only the steps move: run k takes (k + 1) * 10 ns per command, and 5 ns pass between turns.
    let clock = 0n;
    const ns = timeInTurns(
      3,
      4500,
      1000,
      (run, from, to) => {
        clock += BigInt((run + 1) * 10 * (to - from));
      },
      () => {
        clock += 5n;
        return clock;
      },
    );
    // Each reading costs 5 ns: one of the two readings of every turn falls inside the timed span.
    expect(ns.map((x) => Math.round(x * 4500))).toEqual([10 * 4500 + 5 * 5, 20 * 4500 + 5 * 5, 30 * 4500 + 5 * 5]);
  });
});
