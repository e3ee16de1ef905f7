import { afterEach, describe, expect, it } from "vitest";
import fs from "node:fs";
import { evaluateDay, latestEvaluation, evaluationHistory } from "../../src/evaluate/index.js";
import { addDays } from "../../src/shared/dates.js";
import type { DB } from "../../src/store/db.js";
import { insertBatch, normalDay, publishDay, smallConfig, tempDb } from "./helpers.js";

const D = "2026-03-10"; // a Tuesday
const NOW = new Date("2026-03-11T06:00:00Z"); // the morning after: fresh
const BASE_RATES = [0.04, 0.041, 0.039, 0.0405];

let dirs: string[] = [];
let dbs: DB[] = [];
afterEach(() => {
  for (const db of dbs) db.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
  dbs = [];
});

function setup(weeks = 4, rates = BASE_RATES) {
  const t = tempDb();
  dirs.push(t.dir);
  dbs.push(t.db);
  for (let w = 1; w <= weeks; w++) publishDay(t.db, addDays(D, -7 * w), normalDay(10_000, rates[(w - 1) % rates.length]));
  return t.db;
}

/** The pooled baseline rate, computed independently in SQL from the published view. */
function pooled(db: DB, days: string[]): number {
  const row = db
    .prepare(
      `SELECT SUM(numerator) * 1.0 / SUM(denominator) AS p FROM published_metrics
        WHERE dataset = 'default' AND metric = 'signup_conversion_rate' AND dimension = '' AND ds IN (${days.map(() => "?").join(",")})`,
    )
    .get(...days) as { p: number };
  return row.p;
}

const guardrail = (e: { verdicts: { metric: string }[] }) => e.verdicts.find((v) => v.metric === "signup_conversion_rate")! as any;

describe("evaluateDay on inserted metric values", () => {
  it("a 30 % site-wide decline of the guardrail fails, with numbers, baseline days and one sentence", () => {
    const db = setup();
    publishDay(db, D, normalDay(10_000, 0.028));
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    const v = guardrail(e);
    const days = [1, 2, 3, 4].map((w) => addDays(D, -7 * w));
    expect(e.status).toBe("fail");
    expect(v.verdict).toBe("fail");
    expect(v.baseline_days).toEqual(days);
    expect(v.expected).toBeCloseTo(pooled(db, days), 12);
    expect(v.observed).toBeCloseTo(0.028, 12);
    expect(v.change).toBeCloseTo(0.028 / pooled(db, days) - 1, 12);
    expect(v.z).toBeLessThan(-3);
    expect(v.lower).toBeLessThan(v.expected);
    expect(v.upper).toBeGreaterThan(v.expected);
    const pct = Math.round(Math.abs(v.change) * 100);
    expect(v.message).toMatch(new RegExp(`^signup_conversion_rate fell ${pct} % to 2\\.80 % \\(expected 4\\.0\\d %, z = −\\d+\\.\\d\\) vs 4 Tuesdays`));
    expect(v.message).toContain("the drop is spread across segments"); // a uniform decline is not pinned on one segment
    expect(e.summary).toContain("signup_conversion_rate fell");
  });

  it("a 5 % decline never fails", () => {
    const db = setup();
    publishDay(db, D, normalDay(10_000, 0.04 * 0.95));
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(guardrail(e).verdict).not.toBe("fail");
    expect(e.status).not.toBe("fail");
  });

  it("an optional min_denominator floor still leaves a low-volume day unjudged: pass with a sentence, never fail", () => {
    const db = setup();
    publishDay(db, D, normalDay(400, 0.02)); // half the rate, but only 400 hits (< min_denominator 500)
    const e = evaluateDay(db, smallConfig({ evaluation: { min_denominator: 500 } }), { ds: D, now: NOW });
    const v = guardrail(e);
    expect(v.verdict).toBe("pass");
    expect(v.message).toContain("not judged: the volume, 400 website_hits, is below the minimum of 500");
    expect(e.status).toBe("pass");
  });

  it("without a floor, exact tails decide: not judged only when even a total collapse could not be significant", () => {
    const db = setup();
    // 40 hits at 4 % expect 1.6 signups: even 0 signups has a probability of about 20 %, far from significant.
    publishDay(db, D, normalDay(40, 0));
    const v = guardrail(evaluateDay(db, smallConfig(), { ds: D, now: NOW, persist: false }));
    expect(v.verdict).toBe("pass");
    expect(v.reason).toBe("low_volume");
    expect((v as { low_volume?: boolean }).low_volume).toBe(true);
    expect(v.message).toContain("not judged (low volume): at 40 website_hits, even a total collapse would not be significant");
    // 400 hits expect 16 signups: 0 of them is significant, so the day is judged, and a total collapse fails.
    const db2 = setup();
    publishDay(db2, D, normalDay(400, 0));
    const w = guardrail(evaluateDay(db2, smallConfig(), { ds: D, now: NOW, persist: false }));
    expect(w.verdict).toBe("fail");
    expect(w.z!).toBeLessThan(-3);
  });

  it("a decline confined to iPhone is localised to it (rate, not mix)", () => {
    const db = setup(4, [0.04]);
    publishDay(db, D, normalDay(10_000, 0.04, { iPhone: 0.3 })); // iPhone conversions −70 %
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    const v = guardrail(e);
    expect(v.verdict).toBe("fail");
    expect(v.segments[0]).toMatchObject({ dimension: "dim_device_brand", value: "iPhone" });
    expect(v.segments[0].change).toBeCloseTo(-0.7, 2);
    expect(v.segments[0].contribution).toBeCloseTo(1, 2);
    expect(v.decomposition.dimension).toBe("dim_device_brand");
    // −21 % overall: the total fails and the localisation names iPhone, or iPhone (30 % of traffic) fails on its own.
    expect(v.message).toMatch(/(100 %|all) of the drop is on device iPhone, where it fell 70 %|device iPhone \(30 % of website_hits\) fell 70 %/);
    // Contributions are ranked, biggest first.
    const c = v.segments.map((s: any) => s.contribution);
    expect([...c].sort((a, b) => b - a)).toEqual(c);
  });

  it("segment rule: a decline diluted below 10 % overall fails when a big segment (≥ 25 %) falls significantly on its own", () => {
    const db = setup(4, [0.04]);
    publishDay(db, D, normalDay(20_000, 0.04, { iPhone: 0.7 })); // iPhone (30 %) −30 % → about −9 % overall
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    const v = guardrail(e);
    expect(v.change).toBeGreaterThan(-0.1); // not material overall
    expect(v.verdict).toBe("fail");
    expect(v.message).toContain("device iPhone (30 % of website_hits) fell 30 % to 2.80 %");
    expect(v.segments[0]).toMatchObject({ dimension: "dim_device_brand", value: "iPhone" });
  });

  it("segment rule: a small segment (< 25 % of traffic) is never judged alone", () => {
    const db = setup(0);
    const day = (f: number) => ({
      devices: { big: { hits: 17_000, signups: 680 }, small: { hits: 3_000, signups: Math.round(120 * f) } },
    });
    for (let w = 1; w <= 4; w++) publishDay(db, addDays(D, -7 * w), day(1));
    publishDay(db, D, day(0.4)); // the small segment (15 %) loses 60 %: −9 % overall
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(guardrail(e).change).toBeCloseTo(-0.09, 10);
    expect(guardrail(e).verdict).not.toBe("fail");
    // The same drop on a segment carrying 25 % fails.
    const big = (f: number) => ({ devices: { a: { hits: 15_000, signups: 600 }, b: { hits: 5_000, signups: Math.round(200 * f) } } });
    const db2 = setup(0);
    for (let w = 1; w <= 4; w++) publishDay(db2, addDays(D, -7 * w), big(1));
    publishDay(db2, D, big(0.64)); // 25 % segment −36 %: −9 % overall
    expect(guardrail(evaluateDay(db2, smallConfig(), { ds: D, now: NOW })).verdict).toBe("fail");
  });

  it("a missing day is no_data, a rejected day inconclusive (naming the failed checks), a loading day no_data", () => {
    const db = setup();
    const missing = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(missing.status).toBe("no_data");
    expect(missing.verdicts.every((v) => v.verdict === "no_data")).toBe(true);
    expect(missing.summary).toContain(`No export for ${D} has been published`);

    const rejected = insertBatch(db, D, "rejected");
    db.prepare(`INSERT INTO quality_results (batch_id, name, table_name, severity, status, message) VALUES (?, 'not_null', 'fct_website_events', 'error', 'fail', 'x')`).run(rejected);
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(e.status).toBe("inconclusive");
    expect(e.verdicts.every((v) => v.verdict === "inconclusive")).toBe(true);
    expect(e.summary).toContain("failed its audit (not_null)");
    // Default day = the newest attempted day, so the failed export is what gets judged.
    expect(evaluateDay(db, smallConfig(), { now: NOW }).ds).toBe(D);

    const staged = insertBatch(db, addDays(D, 1), "staged");
    expect(staged).toBeGreaterThan(0);
    expect(evaluateDay(db, smallConfig(), { ds: addDays(D, 1), now: NOW }).status).toBe("no_data");
  });

  it("stale data is no_data; the same day judged in time is not", () => {
    const db = setup();
    publishDay(db, D, normalDay());
    const fresh = evaluateDay(db, smallConfig(), { now: new Date("2026-03-12T23:00:00Z") }); // 47 h after the day ended
    expect(fresh.status).toBe("pass");
    const stale = evaluateDay(db, smallConfig(), { now: new Date("2026-03-13T04:00:00Z") }); // 52 h
    expect(stale.status).toBe("no_data");
    expect(stale.verdicts.every((v) => v.verdict === "no_data")).toBe(true);
    expect(stale.summary).toBe(`The data is stale: the newest published day, ${D}, ended 52 h ago (freshness window 48 h).`);
    expect((stale as any).data).toMatchObject({ state: "stale", latest_published: D, age_hours: 52 });
  });

  it("too little history is no_data with a sentence saying how much exists", () => {
    const db = setup(2);
    publishDay(db, D, normalDay(10_000, 0.02));
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(e.status).toBe("no_data");
    expect(guardrail(e).message).toBe(
      "signup_conversion_rate has too little history to judge: only 2 of the previous 8 Tuesdays are published (need 3).",
    );
  });

  it("the baseline is the N most recent PUBLISHED same weekdays within 2N weeks", () => {
    const t = tempDb();
    dirs.push(t.dir);
    dbs.push(t.db);
    const db = t.db;
    insertBatch(db, addDays(D, -7), "rejected"); // week 1: audit failed
    // week 2: missing
    for (const w of [3, 4, 5, 6, 7]) publishDay(db, addDays(D, -7 * w), normalDay());
    publishDay(db, addDays(D, -1), normalDay(10_000, 0.5)); // a Monday: never in a Tuesday baseline
    publishDay(db, D, normalDay());
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(guardrail(e).baseline_days).toEqual([3, 4, 5, 6].map((w) => addDays(D, -7 * w)));
    expect(e.status).toBe("pass");
  });

  it("a baseline day without a value for a metric is replaced by the next older one that has it", () => {
    const t = tempDb();
    dirs.push(t.dir);
    dbs.push(t.db);
    const db = t.db;
    // Week 2 is published but its guardrail is undefined (no website hits on it): week 5 takes its place.
    for (const w of [1, 3, 4, 5, 6]) publishDay(db, addDays(D, -7 * w), normalDay());
    publishDay(db, addDays(D, -14), { devices: { iPhone: { hits: 0, signups: 0 } } });
    publishDay(db, D, normalDay());
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(guardrail(e).baseline_days).toEqual([1, 3, 4, 5].map((w) => addDays(D, -7 * w)));
    expect(guardrail(e).verdict).toBe("pass");
    // A count that has a value on every day keeps the newest four published weeks, except week 2: its 0 hits are an
    // outlier against the other weeks, left out with the reason recorded.
    const hits = e.verdicts.find((v) => v.metric === "website_hits")!;
    expect(hits.baseline_days).toEqual([1, 3, 4, 5].map((w) => addDays(D, -7 * w)));
    expect(hits.excluded_days).toEqual([{ ds: addDays(D, -14), reason: "outlier" }]);
  });

  it("non-guardrail metrics and report-only guardrails are reported but do not set the status", () => {
    const db = setup();
    publishDay(db, D, normalDay(5_000, 0.028)); // hits −50 % and the rate −30 %
    const cfg = smallConfig({}, { enforce: false });
    const e = evaluateDay(db, cfg, { ds: D, now: NOW });
    const hits = e.verdicts.find((v) => v.metric === "website_hits")!;
    expect(hits.verdict).toBe("fail");
    expect(hits.guardrail).toBe(false);
    expect(guardrail(e).verdict).toBe("fail");
    expect(guardrail(e).enforced).toBe(false);
    expect(guardrail(e).message).toContain("(report-only: enforce is false)");
    expect(e.status).toBe("pass");
  });

  it("bad_direction: increase turns a rise into the failure", () => {
    const db = setup();
    publishDay(db, D, normalDay(10_000, 0.056));
    expect(evaluateDay(db, smallConfig(), { ds: D, now: NOW }).status).toBe("pass");
    expect(evaluateDay(db, smallConfig({}, { bad_direction: "increase" }), { ds: D, now: NOW }).status).toBe("fail");
  });

  it("per-metric sensitivity and dataset thresholds from config apply", () => {
    const db = setup();
    publishDay(db, D, normalDay(10_000, 0.028));
    expect(evaluateDay(db, smallConfig({}, { min_relative_change: 0.5 }), { ds: D, now: NOW }).status).toBe("warn");
    expect(evaluateDay(db, smallConfig({ evaluation: { min_denominator: 20_000 } }), { ds: D, now: NOW }).status).toBe("pass");
  });

  it("a zero denominator today gives no_data, not a rate of 0", () => {
    const db = setup();
    publishDay(db, D, { devices: { iPhone: { hits: 0, signups: 0 } } });
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(guardrail(e).verdict).toBe("no_data");
    expect(guardrail(e).message).toContain("denominator website_hits is 0");
    expect(e.status).toBe("no_data");
  });

  it("version mode names the declining version and passes the healthy one", () => {
    const db = setup();
    const day = normalDay(10_000, 0.04 * 0.85);
    day.versions = { v1: { hits: 6000, signups: 240 }, v2: { hits: 4000, signups: 100 } }; // v2 converts at 2.5 % vs 4 %
    publishDay(db, D, day);
    const e = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    expect(e.versions.map((v) => [v.version, v.verdict])).toEqual([
      ["v1", "pass"],
      ["v2", "fail"],
    ]);
    const v2 = e.versions.find((v) => v.version === "v2")!;
    expect(v2.observed).toBeCloseTo(0.025, 12);
    expect(v2.expected).toBeCloseTo(0.04, 12);
    const p = (340 + 0.5) / 10_001;
    expect(v2.z).toBeCloseTo((0.025 - 0.04) / Math.sqrt(p * (1 - p) * (1 / 4000 + 1 / 6000)), 8);
    expect(e.summary).toContain("Version v2 declines against the rest of the traffic");
  });

  it("version mode is empty with one version, and skips versions below version_min_denominator", () => {
    const db = setup();
    const one = normalDay();
    one.versions = { v1: { hits: 10_000, signups: 400 } };
    publishDay(db, D, one);
    expect(evaluateDay(db, smallConfig(), { ds: D, now: NOW }).versions).toEqual([]);
    const two = normalDay();
    two.versions = { v1: { hits: 9_700, signups: 390 }, v2: { hits: 300, signups: 1 } };
    publishDay(db, addDays(D, 1), two);
    const e = evaluateDay(db, smallConfig(), { ds: addDays(D, 1), now: NOW });
    expect(e.versions).toEqual([]); // v2 has too little traffic, and v1's "rest" too
  });

  it("every evaluation is kept as history; latestEvaluation returns the newest judgement of the newest day", () => {
    const db = setup();
    publishDay(db, D, normalDay(10_000, 0.028));
    const first = evaluateDay(db, smallConfig(), { ds: D, now: NOW });
    const old = evaluateDay(db, smallConfig(), { ds: addDays(D, -7), now: NOW });
    expect(first.evaluation_id).toBeGreaterThan(0);
    expect(old.evaluation_id).toBeGreaterThan(first.evaluation_id!);
    evaluateDay(db, smallConfig(), { ds: D, now: NOW, persist: false });
    const counts = db.prepare(`SELECT COUNT(*) AS n FROM evaluations`).get() as { n: number };
    expect(counts.n).toBe(2);
    const rows = db
      .prepare(`SELECT metric, verdict, observed, expected, z, baseline_days, message FROM verdicts WHERE evaluation_id = ? ORDER BY metric`)
      .all(first.evaluation_id) as any[];
    expect(rows.map((r) => r.metric)).toEqual(["signup_conversion_rate", "signups", "website_hits"]);
    const g = rows[0];
    expect(g.verdict).toBe("fail");
    expect(g.observed).toBeCloseTo(0.028, 12);
    expect(JSON.parse(g.baseline_days)).toHaveLength(4);
    const latest = latestEvaluation(db, "default")!;
    expect(latest.ds).toBe(D);
    expect(latest.evaluation_id).toBe(first.evaluation_id);
    expect(latest.status).toBe("fail");
    expect(latestEvaluation(db, "other")).toBeNull();
    expect(evaluationHistory(db, "default").map((h) => h.ds)).toEqual([D, addDays(D, -7)]);
  });

  it("an invalid --ds is one clear sentence, exit code 2", () => {
    const db = setup();
    expect(() => evaluateDay(db, smallConfig(), { ds: "2026-02-30" })).toThrowError(/--ds: expected a date as YYYY-MM-DD between 2000-01-01 and 2100-12-31, got "2026-02-30"/);
  });
});
