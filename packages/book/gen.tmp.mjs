import { OrderFlowGenerator } from '@ringmatch/book';
import { createCommand } from '@ringmatch/protocol';
for (const syms of [1, 64]) {
const g = new OrderFlowGenerator({ seed: 1, symbols: syms, accounts: 1000 });
const c = createCommand();
for (let i = 0; i < 300000; i++) g.next(c);
const c0 = process.cpuUsage(); const N = 2000000;
for (let i = 0; i < N; i++) g.next(c);
const cu = process.cpuUsage(c0);
console.log(syms, 'generator ns/cmd (cpu)', ((cu.user + cu.system) * 1000 / N).toFixed(0));
}
