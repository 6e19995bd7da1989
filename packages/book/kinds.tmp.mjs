import { MatchingEngine, OrderFlowGenerator, CountingSink } from '@ringmatch/book';
const g = new OrderFlowGenerator({ seed: 1, symbols: 1, accounts: 1000 });
const e = new MatchingEngine({ symbols: g.symbols });
const sink = new CountingSink();
const cmds = g.take(600000); cmds.forEach((c, i) => c.seq = i + 1);
for (let i = 0; i < 200000; i++) e.process(cmds[i], sink);
const agg = new Map();
for (let i = 200000; i < 600000; i++) {
  const c = cmds[i]; const r0 = e.counters.rejected, t0 = e.counters.trades;
  const t = performance.now(); e.process(c, sink); const dt = (performance.now() - t) * 1e6;
  const key = `${c.kind}/${c.type}/${c.tif}` + (e.counters.rejected > r0 ? ' REJ' : '') + (e.counters.trades > t0 ? ' TRD' : '');
  const a = agg.get(key) ?? [0, 0, []]; a[0]++; a[1] += dt; a[2].push(dt); agg.set(key, a);
}
let tot = 0; for (const [, a] of agg) tot += a[1];
[...agg].sort((x, y) => y[1][1] - x[1][1]).slice(0, 14).forEach(([k, a]) => console.log(k.padEnd(18), 'n', String(a[0]).padStart(7), 'mean ns', (a[1] / a[0]).toFixed(0).padStart(6), 'share', (a[1] / tot * 100).toFixed(1) + '%', 'median', a[2].sort((x,y)=>x-y)[a[2].length>>1].toFixed(0)));
const books = e.books; for (const b of books) if (b) console.log('stops', b.stops[0].n, b.stops[1].n, 'levels', b.ladders[0].n, b.ladders[1].n, 'cap', b.stops[0].keys.length);
console.log('open', e.openOrders, e.counters);
