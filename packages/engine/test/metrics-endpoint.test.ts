import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, httpGet as get, startCli, tempDir, waitExit } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function metricValue(body: string, name: string): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) throw new Error(`metric ${name} missing from:\n${body.slice(0, 2000)}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics endpoint', () => {
  it('serves the engine figures in Prometheus format while running; the Grafana dashboard queries only series it serves', async () => {
    const d = tempDir();
    dirs.push(d);
    const port = await freePort();
    const child = startCli(['run', '--data-dir', d, '--orders', '0', '--rate', '20000', '--metrics-port', String(port), '--progress-ms', '100']);
    try {
      // Poll until orders have flowed through every stage (bounded).
      let body = '';
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const res = await get(`http://127.0.0.1:${port}/metrics`);
          expect(res.status).toBe(200);
          body = res.body;
          if (metricValue(body, 'ringmatch_orders_matched_total') > 2000 && metricValue(body, 'ringmatch_wal_sync_seconds_count') > 0) break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        if (Date.now() > deadline) throw new Error(`figures did not move within 30 s:\n${body.slice(0, 3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Each scrape (and each /status) is one reading of the pipeline, downstream first: while orders
      // flow, no stage is ever ahead of the one it follows and no lag is negative.
      const disorder: string[] = [];
      for (let i = 0; i < 300; i++) {
        const scrape = (await get(`http://127.0.0.1:${port}/metrics`)).body;
        const [published, durable, matched] = ['in', 'durable', 'matched'].map((n) => metricValue(scrape, `ringmatch_orders_${n}_total`)) as [
          number,
          number,
          number,
        ];
        const lags = [...scrape.matchAll(/^ringmatch_ring_lag\{stage="\w+"\} (-?\d+)$/gm)].map((m) => Number(m[1]));
        if (!(published >= durable && durable >= matched) || lags.length !== 3 || lags.some((lag) => lag < 0))
          disorder.push(`metrics in=${published} durable=${durable} matched=${matched} lags=${lags}`);
        const status = JSON.parse((await get(`http://127.0.0.1:${port}/status`)).body) as { sequences: Record<string, number>; lags: Record<string, number> };
        const q = status.sequences;
        if (!(q.published! >= q.durable! && q.durable! >= q.matched! && q.matched! >= q.outputs!) || Object.values(status.lags).some((lag) => lag < 0))
          disorder.push(`status ${JSON.stringify(status)}`);
      }
      expect(disorder).toEqual([]);
      expect(metricValue(body, 'ringmatch_trades_total')).toBeGreaterThan(0);
      expect(body).toMatch(/ringmatch_ring_lag\{stage="durable"\} \d+/);
      expect(body).toMatch(/ringmatch_ring_lag\{stage="match"\} \d+/);
      expect(metricValue(body, 'ringmatch_wal_batch_records_count')).toBeGreaterThan(0);
      expect(body).toMatch(/ringmatch_order_latency_seconds\{quantile="0.99"\} [0-9.e-]+/);
      expect(metricValue(body, 'ringmatch_depth_updates_total')).toBeGreaterThan(0);
      const missing = await get(`http://127.0.0.1:${port}/nope`);
      expect(missing.status).toBe(404);
      // The Grafana dashboard queries only series this scrape has.
      const dashboard = JSON.parse(fs.readFileSync(new URL('../../../dashboards/ringmatch.json', import.meta.url), 'utf8')) as {
        panels: Array<{ id: number; title: string; gridPos: object; targets: Array<{ expr: string }> }>;
      };
      const series = new Set(body.split('\n').flatMap((l) => (l.startsWith('#') || l === '' ? [] : [l.split(/[{ ]/)[0]!])));
      const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/ringmatch_[a-z0-9_]+/g) ?? []));
      expect(queried.length).toBeGreaterThan(15);
      expect(queried.filter((name) => !series.has(name))).toEqual([]);
      expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
      for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
      const { code } = await waitExit(child, 30_000);
      expect(code).toBe(0);
    }
  }, 90_000);
});
