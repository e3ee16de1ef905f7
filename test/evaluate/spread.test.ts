/**
 * The long-window spread (src/evaluate/spread.ts) end to end through judgeDay:
 * a count guardrail whose 4 baseline weeks happen to be flat. docs/verdicts.md alone
 * then judges against √expected (1 % at 10,000) and calls an ordinary −10 %
 * day a failure; with the last 8 weeks of week-over-week movement (~5 %) as a
 * floor it is an ordinary day, while a −30 % drop still fails.
 */
import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import { parseConfig, resolveDataset } from "../../src/config/load.js";
import { evaluateDay } from "../../src/evaluate/index.js";
import { addDays, dsRange, dsToEpochMs } from "../../src/shared/dates.js";
import { insertBatch, tempDb } from "./helpers.js";

const D = "2026-03-10"; // a Tuesday
const t = tempDb();
afterAll(() => {
  t.db.close();
  fs.rmSync(t.dir, { recursive: true, force: true });
});

const config = (evaluation: Record<string, unknown> = {}) =>
  resolveDataset(
    parseConfig({
      metrics: [{ kind: "count", name: "website_hits", actions: ["page_visit"], breakdowns: [], guardrail: true }],
      evaluation,
    }),
    "default",
  );

/** Deterministic ±5 % day-to-day noise: a fixed zig-zag of relative moves, so the test needs no RNG. */
const NOISE = [0.06, -0.04, 0.03, -0.07, 0.05, -0.02, 0.08, -0.05, 0.01, -0.06, 0.04, -0.03, 0.07];

function publish(ds: string, value: number) {
  const batch = insertBatch(t.db, ds, "published");
  t.db
    .prepare(`INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value) VALUES (?, 'default', ?, 'website_hits', '', '', ?)`)
    .run(batch, ds, value);
}

// 9 weeks of history: the 4 baseline Tuesdays are exactly 10,000; every other day moves by ~5 %.
const baseline = [1, 2, 3, 4].map((w) => addDays(D, -7 * w));
dsRange(addDays(D, -63), addDays(D, -1)).forEach((ds, i) => publish(ds, baseline.includes(ds) ? 10_000 : Math.round(10_000 * (1 + NOISE[i % NOISE.length]))));

function judge(value: number, evaluation: Record<string, unknown> = {}) {
  t.db.prepare(`DELETE FROM metric_values WHERE ds = ?`).run(D);
  t.db.prepare(`DELETE FROM partitions WHERE ds = ?`).run(D);
  publish(D, value);
  const e = evaluateDay(t.db, config(evaluation), { ds: D, now: new Date(dsToEpochMs(addDays(D, 1)) + 3_600_000), persist: false });
  return e.verdicts[0];
}

describe("count spread from the longer window", () => {
  it("docs/verdicts.md alone (spread_weeks 0, no small-sample correction) fails an ordinary −10 % day on a flat baseline", () => {
    const v = judge(9_000, { spread_weeks: 0, small_sample_correction: false });
    expect(v.verdict).toBe("fail");
    expect(v.z).toBeCloseTo(-1000 / Math.sqrt(10_000), 9);
  });

  it("with the defaults the same day is ordinary: the spread is the ~5 % the last 8 weeks show, not √expected", () => {
    const v = judge(9_000);
    expect(v.verdict).not.toBe("fail");
    // The spread implied by the verdict is at least 3 % of expected (√10,000 would be 1 %).
    const sd = (v.expected! - v.observed!) / -v.z!;
    expect(sd).toBeGreaterThan(300);
    expect(v.lower!).toBeLessThan(9_000);
  });

  it("a real −30 % drop still fails, and −5 % never does", () => {
    expect(judge(7_000).verdict).toBe("fail");
    expect(judge(9_500).verdict).toBe("pass");
  });

  it("every verdict carries its numbers, the baseline days and a sentence", () => {
    const v = judge(7_000);
    expect(v).toMatchObject({ observed: 7_000, expected: 10_000, change: -0.3 });
    for (const k of ["lower", "upper", "z"] as const) expect(Number.isFinite(v[k])).toBe(true);
    expect(v.baseline_days).toEqual(baseline);
    expect(v.message).toMatch(/^website_hits fell 30 % to 7,000 \(expected 10,000, z = −\d+\.\d\) vs 4 Tuesdays; below its normal range of [\d,]+ – [\d,]+ and beyond the 10 % change that fails\.$/);
  });
});
