/**
 * Measured quality (issue 4), end to end: realistic exports from the fixture
 * generator (weekly + hourly seasonality, day-to-day noise, incidents) are
 * ingested through the real pipeline and judged with the DEFAULT thresholds.
 *
 * Volumes: the clean backtest runs at 5,000 events/day. The incident series
 * run at 20,000 events/day (≈ 15,700 page visits, ≈ 540 signups), and the
 * purchase-conversion series at 100,000 (≈ 3,100 signups): a large drop of a
 * 10 % purchase rate is only significant with thousands of signups a day.
 * Volumes from 300 to 100,000 visitors a day, incidents of every shape and
 * 12-week backtests on several seeds are in quality-volumes.test.ts.
 * Only the same weekday as each incident is generated (the baseline is the
 * same weekday of previous weeks), which keeps the suite fast.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateFixtures, type Incident } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { openDb, type DB } from "../../src/store/db.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { backtest, evaluateDay } from "../../src/evaluate/index.js";
import { addDays, dsToEpochMs, weekday } from "../../src/shared/dates.js";
import type { Evaluation, Verdict } from "../../src/shared/types.js";

const cfg = defaultDatasetConfig();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-quality-"));
const SEED = 11;
const endOf = (ds: string) => new Date(dsToEpochMs(addDays(ds, 1)) + 3_600_000); // an hour after the day ended

/** Generates each listed day on its own (deterministic per seed and day) and ingests it. */
async function load(db: DB, days: string[], eventsPerDay: number, extra: { incidents?: Incident[]; versions?: string[]; tag: string }) {
  for (const ds of days) {
    const out = path.join(root, extra.tag);
    const [file] = await generateFixtures({ outDir: out, days: 1, end: ds, eventsPerDay, seed: SEED, incidents: (extra.incidents ?? []).filter((i) => i.ds === ds), versions: extra.versions });
    const r = await ingestFiles(db, cfg, [file.path], { now: endOf(ds) });
    if (!r.published) throw new Error(`fixture day ${ds} was not published: ${JSON.stringify(r.checks.filter((c) => c.status === "fail"))}`);
  }
}

/** The same weekday: the four weeks before `ds`, then `ds`. */
const series = (ds: string) => [28, 21, 14, 7, 0].map((d) => addDays(ds, -d));
const verdictOf = (e: Evaluation, metric: string): Verdict => e.verdicts.find((v) => v.metric === metric)!;

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("incidents at 20,000 events/day (default thresholds)", () => {
  // Incident week: Monday 2026-03-09 … Saturday 2026-03-14, one independent weekday series each.
  const MON = "2026-03-09";
  const TUE = "2026-03-10";
  const THU = "2026-03-12";
  const FRI = "2026-03-13";
  const SAT = "2026-03-14";
  const incidents: Incident[] = [
    { ds: MON, metric: "signup_conversion_rate", change: -0.05 },
    { ds: TUE, metric: "signup_conversion_rate", change: -0.3 },
    { ds: THU, metric: "signup_conversion_rate", change: -0.4, segment: { dimension: "dim_device_brand", value: "iPhone" } },
    { ds: FRI, metric: "signup_conversion_rate", change: -0.4, segment: { dimension: "dim_channel", value: "direct" } },
    { ds: SAT, metric: "signup_conversion_rate", change: -0.4, segment: { dimension: "dim_app_version", value: "v2" } },
  ];
  const file = path.join(root, "incidents.db");
  let db: DB;
  const judge = (ds: string) => evaluateDay(db, cfg, { ds, now: endOf(ds), persist: false });

  beforeAll(async () => {
    db = openDb(file);
    for (const ds of [MON, TUE, THU, FRI]) await load(db, series(ds), 20_000, { incidents, tag: "inc" });
    await load(db, series(SAT), 20_000, { incidents, versions: ["v1", "v2"], tag: "ver" });
  }, 600_000);
  afterAll(() => db?.close());

  it("a 30 % site-wide decline of signup conversion fails on its day", () => {
    const e = judge(TUE);
    const v = verdictOf(e, "signup_conversion_rate");
    expect(v.verdict).toBe("fail");
    expect(v.change!).toBeLessThan(-0.2);
    expect(e.status).toBe("fail");
  });

  // This seed's Monday is a noisy day: without the dip it measures −10 %, with it −15 % at z −3.2. A fail needs the
  // day significantly beyond a harmless 5 % decline (docs/verdicts.md), which it is not: it warns.
  it("a 5 % decline never fails", () => {
    const e = judge(MON);
    const v = verdictOf(e, "signup_conversion_rate");
    expect(v.verdict).not.toBe("fail");
    expect(e.status).not.toBe("fail");
    process.stderr.write(`5 % dip: ${v.message}\n`);
  });

  it("a 40 % decline on device iPhone (≈ 28 % of traffic) fails and is localised to it", () => {
    const e = judge(THU);
    const v = verdictOf(e, "signup_conversion_rate");
    expect(v.verdict).toBe("fail");
    expect(v.decomposition?.dimension).toBe("dim_device_brand");
    expect(v.segments[0]).toMatchObject({ dimension: "dim_device_brand", value: "iPhone" });
    expect(v.segments[0].change!).toBeLessThan(-0.25);
    expect(v.segments[0].contribution).toBeGreaterThan(0.4); // the rest is that day's ordinary noise elsewhere
    // Either the total fails and the localisation names iPhone, or the total is diluted below the bar and iPhone fails on its own.
    expect(v.message).toMatch(/device iPhone \(\d+ % of website_hits\) fell \d+ %|of the drop is on device iPhone, where it fell \d+ %/);
    process.stderr.write(`device incident: ${v.message}\n`);
  });

  it("a 40 % decline on channel direct (≈ 28 % of traffic) fails and is localised to it", () => {
    const e = judge(FRI);
    const v = verdictOf(e, "signup_conversion_rate");
    expect(v.verdict).toBe("fail");
    expect(v.decomposition?.dimension).toBe("dim_channel");
    expect(v.segments[0]).toMatchObject({ dimension: "dim_channel", value: "direct" });
    expect(v.message).toMatch(/channel direct \(\d+ % of website_hits\) fell \d+ %|of the drop is on channel direct, where it fell \d+ %/);
    process.stderr.write(`channel incident: ${v.message}\n`);
  });

  it("version mode names the declining version, not the healthy one", () => {
    const e = judge(SAT);
    const byVersion = Object.fromEntries(e.versions.filter((v) => v.metric === "signup_conversion_rate").map((v) => [v.version, v.verdict]));
    expect(byVersion).toEqual({ v1: "pass", v2: "fail" });
    expect(e.summary).toContain("Version v2 declines");
    expect(e.summary).not.toContain("Version v1");
  });
});

describe("purchase conversion at 100,000 events/day", () => {
  // Only the five Wednesdays are loaded, as on a fresh install with a month of history: fewer than 6 week-over-week
  // pairs, so the day-to-day variance comes from the 4 baseline days alone (docs/verdicts.md, "Why the longer window").
  // On this seed they drift from 8.9 % to 10.8 %, and the figure the verdict shows says a one-day drop of about 31 %
  // fails: a −30 % drop (measured −26 %) warns, which is what the figure promises. A −40 % drop is beyond it.
  const WED = "2026-03-11";
  const file = path.join(root, "purchase.db");
  let db: DB;
  beforeAll(async () => {
    db = openDb(file);
    await load(db, series(WED), 100_000, { incidents: [{ ds: WED, metric: "purchase_conversion_rate", change: -0.4 }], tag: "purchase" });
  }, 600_000);
  afterAll(() => db?.close());

  it("a 40 % site-wide decline of purchase conversion fails on its day, as the power figure shown says it would", () => {
    const e = evaluateDay(db, cfg, { ds: WED, now: endOf(WED), persist: false });
    const v = verdictOf(e, "purchase_conversion_rate");
    expect(v.denominator!).toBeGreaterThan(2_000);
    expect(v.power!.one_day!).toBeLessThan(0.4);
    expect(v.verdict).toBe("fail");
    expect(verdictOf(e, "signup_conversion_rate").verdict).not.toBe("fail");
    expect(e.status).toBe("fail");
    process.stderr.write(`purchase drop: ${v.message} (power ${JSON.stringify(v.power)})\n`);
  });
});

describe("low volume (400 events/day)", () => {
  it("a one-day 50 % drop is judged on exact tails, too weak to fail at this volume; purchase conversion is not judged, never no_data", async () => {
    const db = openDb(path.join(root, "low.db"));
    const D = "2026-03-10";
    await load(db, series(D), 400, { incidents: [{ ds: D, metric: "signup_conversion_rate", change: -0.5 }], tag: "low" });
    const e = evaluateDay(db, cfg, { ds: D, now: endOf(D), persist: false });
    const signup = verdictOf(e, "signup_conversion_rate");
    expect(signup.verdict).not.toBe("fail");
    expect(signup.z).not.toBeNull(); // judged: a total collapse of ~16 signups would be significant
    expect(signup.power?.one_day ?? 1).toBeGreaterThan(0.5); // the figure says why a 50 % drop does not fail
    const purchase = verdictOf(e, "purchase_conversion_rate");
    expect(purchase.verdict).toBe("pass");
    expect(["low_volume", "zero_denominator"]).toContain(purchase.reason);
    expect(purchase.message).toContain("not judged (low volume)");
    expect(e.status).not.toBe("no_data");
    db.close();
  });
});

describe("12 weeks of clean history at 5,000 events/day", () => {
  const END = "2026-03-08"; // a Sunday
  const FIRST = addDays(END, -83);
  let db: DB;
  beforeAll(async () => {
    db = openDb(path.join(root, "clean.db"));
    const files = await generateFixtures({ outDir: path.join(root, "clean"), days: 84, end: END, eventsPerDay: 5_000, seed: SEED });
    for (const f of files) {
      const r = await ingestFiles(db, cfg, [f.path], { now: endOf(f.ds) });
      if (!r.published) throw new Error(`clean day ${f.ds} was not published`);
    }
  }, 600_000);
  afterAll(() => db?.close());

  it("backtest over the last 8 weeks gives no fail (default settings); weekends never fail", () => {
    const from = addDays(FIRST, 28);
    const r = backtest(db, cfg, { from, to: END });
    expect(r.days).toHaveLength(56);
    expect(r.days.every((d) => d.status === "pass" || d.status === "warn")).toBe(true);
    expect(r.alerts).toBe(0);
    const weekends = r.days.filter((d) => weekday(d.ds) === 0 || weekday(d.ds) === 6);
    expect(weekends).toHaveLength(16);
    expect(weekends.every((d) => d.failing.length === 0)).toBe(true);
    process.stderr.write(`clean backtest ${from} … ${END}: ${r.alerts} alerts, ${r.warns} warn days (${r.days.filter((d) => d.warning.length).map((d) => `${d.ds}:${d.warning.join("+")}`).join(", ") || "none"})\n`);
  });

  it("clean history: no metric fails, guardrail or count, and warnings stay rare", () => {
    const from = addDays(FIRST, 28);
    const r = backtest(db, cfg, { from, to: END });
    const report = r.metrics.map((m) => `${m.metric} ${m.warn}w/${m.fail}f of ${m.pass + m.warn + m.fail - m.not_judged}`).join(", ");
    process.stderr.write(`clean backtest, every metric: ${r.warn_verdicts} warn, ${r.fail_verdicts} fail verdicts (${report})\n`);
    for (const m of r.metrics) expect(m.fail, `${m.metric} fails on a clean day`).toBe(0);
    expect(r.fail_verdicts).toBe(0);
    // Daily traffic is judged every day (≈ 3,900 page visits/day, above min_denominator).
    const hits = r.metrics.find((m) => m.metric === "website_hits")!;
    expect(hits.pass + hits.warn - hits.not_judged).toBe(56);
    // A 2σ warning fires on ~2 % of ordinary days by design; more than 5 % would mean the spread is underestimated.
    const judged = r.metrics.reduce((s, m) => s + m.pass + m.warn + m.fail - m.not_judged, 0);
    expect(r.warn_verdicts / judged).toBeLessThanOrEqual(0.05);
    for (const m of r.metrics) if (m.warn_rate !== null) expect(m.warn_rate, `${m.metric} warn rate`).toBeLessThanOrEqual(0.1);
  });

  it("an ordinary weekend day is judged against previous weekends and passes", () => {
    const e = evaluateDay(db, cfg, { ds: END, now: endOf(END), persist: false });
    const v = verdictOf(e, "signup_conversion_rate");
    expect(v.baseline_days.every((d) => weekday(d) === 0)).toBe(true);
    expect(verdictOf(e, "website_hits").verdict).toBe("pass"); // weekend traffic is low, and so is its baseline
    expect(e.status).not.toBe("fail");
  });

  it("a missing day, stale data and an audit-failed day give no_data / inconclusive, never pass or fail", async () => {
    const missing = evaluateDay(db, cfg, { ds: addDays(END, 2), now: endOf(addDays(END, 2)), persist: false });
    expect(missing.status).toBe("no_data");
    expect(missing.verdicts.every((v) => v.verdict === "no_data")).toBe(true);

    const stale = evaluateDay(db, cfg, { ds: END, now: new Date(endOf(END).getTime() + 48 * 3_600_000), persist: false });
    expect(stale.status).toBe("no_data");
    expect(stale.summary).toContain("stale");

    // The next day's export with one row missing its country: the not-null audit rejects the partition.
    const NEXT = addDays(END, 1);
    const [f] = await generateFixtures({ outDir: path.join(root, "bad"), days: 1, end: NEXT, eventsPerDay: 5_000, seed: SEED });
    const first = fs.readFileSync(f.path, "utf8").split("\n")[0];
    fs.appendFileSync(f.path, first.replace(/"dim_country":"[A-Z]{2}"/, '"dim_country":null').replace(/"event_id":"([^"]+)"/, '"event_id":"$1-bad"') + "\n");
    const r = await ingestFiles(db, cfg, [f.path], { now: endOf(NEXT) });
    expect(r.published).toBe(false);
    const e = evaluateDay(db, cfg, { now: endOf(NEXT), persist: false }); // default day: the newest attempted one
    expect(e.ds).toBe(NEXT);
    expect(e.status).toBe("inconclusive");
    expect(e.verdicts.every((v) => v.verdict === "inconclusive")).toBe(true);
    expect(e.summary).toMatch(/failed its audit \(.*not_null.*\)/);
  });
});
