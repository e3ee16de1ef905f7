import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import { evaluateDay } from "../../src/evaluate/index.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { addDays, dsRange } from "../../src/shared/dates.js";
import { insertBatch, tempDb } from "./helpers.js";

const t = tempDb();
afterAll(() => {
  t.db.close();
  fs.rmSync(t.dir, { recursive: true, force: true });
});

/** A year of metric values for every default metric and breakdown, written directly (no ingest). */
function seedYear(last: string) {
  const cfg = defaultDatasetConfig();
  const values: Record<string, string[]> = {
    dim_country: ["US", "IN", "GB", "DE", "BR", "FR", "CA", "(unknown)"],
    dim_device_brand: ["iPhone", "Samsung", "Google Pixel", "Mac", "Windows PC", "(unknown)"],
    dim_channel: ["direct", "linkedin", "x", "substack", "email", "search", "other"],
    dim_hostname: ["www.example.com", "learn.example.com", "shop.example.com"],
    dim_product_type: ["bootcamp", "course"],
    dim_app_version: ["v1", "v2"],
  };
  const ins = t.db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, 'default', ?, ?, ?, ?, ?, ?, ?)`,
  );
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  t.db.transaction(() => {
    for (const ds of dsRange(addDays(last, -364), last)) {
      const batch = insertBatch(t.db, ds, "published");
      const drop = ds === last ? 0.6 : 1; // the judged day fails, so localisation runs too
      const counts = (scale: number) => Math.round(scale * (0.95 + 0.1 * rnd()));
      for (const m of cfg.metrics) {
        const dims = ["", ...m.breakdowns, "dim_app_version"];
        for (const dim of dims) {
          for (const key of dim === "" ? [""] : values[dim]) {
            const share = dim === "" ? 1 : 1 / values[dim].length;
            if (m.kind === "count") ins.run(batch, ds, m.name, dim, key, counts(20_000 * share), null, null);
            else {
              const den = counts(20_000 * share);
              const num = Math.round(den * 0.04 * drop * (0.97 + 0.06 * rnd()));
              ins.run(batch, ds, m.name, dim, key, num / den, num, den);
            }
          }
        }
      }
    }
  })();
  return cfg;
}

describe("speed", () => {
  it("evaluates every metric and breakdown of one day against a year of history in ≤ 100 ms", () => {
    const last = "2026-06-30";
    const cfg = seedYear(last);
    const now = new Date("2026-07-01T06:00:00Z");
    const times: number[] = [];
    let status = "";
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      status = evaluateDay(t.db, cfg, { now, persist: i % 2 === 0 }).status;
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[3];
    process.stderr.write(`evaluateDay over a year of history: median ${median.toFixed(1)} ms (runs: ${times.map((x) => x.toFixed(1)).join(", ")})\n`);
    expect(status).toBe("fail");
    expect(median).toBeLessThanOrEqual(100);
  });
});
