import { MatchingEngine, OrderFlowGenerator, CountingSink } from '@ringmatch/book';
import { createCommand } from '@ringmatch/protocol';
const syms = Number(process.argv[2] ?? 1);
const g = new OrderFlowGenerator({ seed: 1, symbols: syms, accounts: 1000 });
const e = new MatchingEngine({ symbols: g.symbols });
const sink = new CountingSink();
const CH = 16384; const chunk = Array.from({length: CH}, () => createCommand());
let ns = 0, seq = 1, best = 0; const rates = [];
for (let k = 0; k < 150; k++) {
  for (let i = 0; i < CH; i++) { g.next(chunk[i]).seq = seq++; }
  const t = performance.now();
  for (let i = 0; i < CH; i++) e.process(chunk[i], sink);
  const dt = performance.now() - t; ns += dt; if (k > 20) rates.push(CH / dt / 1000);
}
rates.sort((a,b)=>a-b);
console.log('avg', (150*CH / ns / 1000).toFixed(2), 'M/s  median chunk', rates[rates.length>>1].toFixed(2), ' p90 chunk', rates[Math.floor(rates.length*0.9)].toFixed(2));
