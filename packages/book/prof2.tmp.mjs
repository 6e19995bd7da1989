import { MatchingEngine, OrderFlowGenerator, CountingSink } from '@ringmatch/book';
const g = new OrderFlowGenerator({ seed: 1, symbols: 1, accounts: 1000 });
const e = new MatchingEngine({ symbols: g.symbols });
const sink = new CountingSink();
const cmds = g.take(1500000); cmds.forEach((c, i) => c.seq = i + 1);
const t = performance.now(); const c0 = process.cpuUsage();
for (let r = 0; r < cmds.length; r++) e.process(cmds[r], sink);
const cu = process.cpuUsage(c0);
console.log('wall M/s', (cmds.length / (performance.now() - t) / 1000).toFixed(2), 'cpu M/s', (cmds.length / (cu.user + cu.system)).toFixed(2));
