import { MatchingEngine, OrderFlowGenerator } from '@ringmatch/book';
const g = new OrderFlowGenerator({ seed: 1, symbols: 1, accounts: 1000, shadowBook: process.env.SHADOW !== "0" });
const e = new MatchingEngine({ symbols: g.symbols });
const m = new Map();
const sink = { onReport(r) { if (r.status === 2) m.set(r.reason, (m.get(r.reason) ?? 0) + 1); }, onTrade() {} };
for (let i = 1; i <= 6000000; i++) { if (i % 1000000 === 0) console.log(i, e.openOrders, e.depth(1,1000).bids.length, e.depth(1,1000).asks.length, e.counters.trades / i); const c = g.next(); c.seq = i; e.process(c, sink); }
console.log([...m].sort((a,b)=>b[1]-a[1]), 'open', e.openOrders);
