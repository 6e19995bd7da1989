import { IdMap } from '@ringmatch/book/idmap';
const m = new IdMap(16); const ref = new Map();
let x = 1;
const rnd = () => (x = (x * 1103515245 + 12345) >>> 0);
for (let i = 0; i < 200000; i++) {
  const k = rnd() % 3000; const op = rnd() % 3;
  if (op === 0) { m.set(k, i); ref.set(k, i); } else if (op === 1) { if (m.delete(k) !== ref.delete(k)) throw new Error('del ' + i); }
  const g = m.get(k); const r = ref.get(k) ?? -1; if (g !== r) throw new Error(`get ${i} ${k} ${g} ${r}`);
}
if (m.size !== ref.size) throw new Error('size');
console.log('ok');
let t = performance.now(); const m2 = new IdMap(4096);
for (let i = 0; i < 5e6; i++) { m2.set(i, i & 1023); if (i >= 1000) m2.delete(i - 1000); }
console.log('ops/s', 5e6 / (performance.now() - t) * 1000);
