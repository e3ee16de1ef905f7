import path from "node:path";
import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/aggregate/aggregator.js";
import { CONTRACT_LEVELS } from "../../src/aggregate/levels.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { computeMetrics, loadReport, storeMetricValues } from "../../src/metrics/compute.js";
import { openDb } from "../../src/store/db.js";
import { createBatch, publishBatch } from "../../src/store/partitions.js";
import type { AggRow, EventRow, Report } from "../../src/shared/types.js";
import { eventsDb, makeEvents, tmpDir } from "../aggregate/helpers.js";
import { sqlOracle } from "./oracle.js";

const DS = "2024-05-07";

function aggRows(events: EventRow[], channels: string[]): AggRow[] {
  const agg = new Aggregator();
  events.forEach((e) => agg.add(e));
  return agg.rows(DS);
}

/** Every metric and every breakdown value of `report` equals the SQL oracle. */
function expectMatchesSql(report: Report, cfg: ReturnType<typeof defaultDatasetConfig>, events: EventRow[], channels: string[]): void {
  const db = eventsDb(events, channels);
  const oracle = sqlOracle(db, "ev", cfg.metrics);
  const hasVersions = events.some((e) => e.other_properties.app_version);
  for (const m of cfg.metrics) {
    const got = report.metrics[m.name];
    expect(got, m.name).toBeDefined();
    expect(got.value, `${m.name} total`).toBe(oracle.total(m.name));
    const dims = [...m.breakdowns, ...(hasVersions && !m.breakdowns.includes("dim_app_version") ? ["dim_app_version"] : [])];
    expect(Object.keys(got.breakdown).sort(), `${m.name} dimensions`).toEqual([...dims].sort());
    for (const dim of dims) expect(got.breakdown[dim], `${m.name} by ${dim}`).toEqual(oracle.breakdown(m.name, dim));
    if (m.kind === "ratio") {
      const p = oracle.parts(m.name, "dim_country");
      const total = Object.values(p).reduce((s, x) => ({ n: s.n + x.numerator, d: s.d + x.denominator }), { n: 0, d: 0 });
      expect([got.numerator, got.denominator]).toEqual([total.n, total.d]);
    }
  }
  db.close();
}

describe("computeMetrics", () => {
  it("gives every default metric and breakdown the value plain SQL gives over the raw events", () => {
    const cfg = defaultDatasetConfig();
    const { events, channels } = makeEvents(DS, 5000, 21);
    const report = computeMetrics(cfg, DS, aggRows(events, channels));
    expect(report.ds).toBe(DS);
    expect(report.dataset).toBe("default");
    expectMatchesSql(report, cfg, events, channels);
    // The four questions: visitors by country/device/channel, logins, signup share, purchase share.
    expect(report.metrics.daily_visitors.breakdown.dim_channel).toBeDefined();
    expect(report.metrics.signup_conversion_rate.value).toBeGreaterThan(0);
    expect(report.metrics.signup_conversion_rate.value).toBeLessThan(1);
  });

  it("computes metrics a team adds in the config, including distinct counts of one action", () => {
    const cfg = resolveDataset(
      parseConfig({
        metrics: [
          { kind: "count", name: "video_watchers", actions: ["watch_video"], measure: "unique_visitors", breakdowns: ["dim_country", "dim_product_type"] },
          { kind: "count", name: "logins", actions: ["login"] },
          { kind: "count", name: "engaged_events", actions: ["watch_video", "signup"], breakdowns: ["dim_channel"] },
          { kind: "count", name: "users", measure: "unique_users", breakdowns: ["dim_hostname"] },
          { kind: "count", name: "landing_visits", actions: ["page_visit"], measure: "visits", breakdowns: ["dim_channel"] },
          { kind: "ratio", name: "watchers_per_login", numerator: "video_watchers", denominator: "logins", breakdowns: ["dim_device_brand"] },
        ],
      }),
      "default",
    );
    const { events, channels } = makeEvents(DS, 3000, 5, { versions: false });
    const report = computeMetrics(cfg, DS, aggRows(events, channels));
    expectMatchesSql(report, cfg, events, channels);
    expect(report.metrics.users.breakdown.dim_app_version).toBeUndefined();
  });

  it("leaves visits undefined for an aggregate without m_visits (built before visits, or a warehouse export without it)", () => {
    const cfg = defaultDatasetConfig();
    const { events, channels } = makeEvents(DS, 500, 3);
    const rows = aggRows(events, channels).map((r) => ({ ...r, m_visits: null }));
    const report = computeMetrics(cfg, DS, rows);
    expect(report.metrics.visits.value).toBeNull();
    expect(report.metrics.website_hits.value).toBe(events.filter((e) => e.action_type === "page_visit").length);
  });

  it("gives a zero denominator the value null (undefined), never NaN or 0", () => {
    const cfg = defaultDatasetConfig();
    const { events, channels } = makeEvents(DS, 800, 9);
    const noSignups = events.filter((e) => e.action_type !== "signup");
    const report = computeMetrics(cfg, DS, aggRows(noSignups, channels.filter((_, i) => events[i].action_type !== "signup")));
    const m = report.metrics.purchase_conversion_rate;
    expect(m.value).toBeNull();
    expect(m.denominator).toBe(0);
    for (const seg of Object.values(m.breakdown)) for (const v of Object.values(seg)) expect(v).toBeNull();
    expect(JSON.stringify(report)).not.toMatch(/NaN/);
    // An empty day: counts are 0, ratios undefined.
    const empty = computeMetrics(cfg, DS, []);
    expect(empty.metrics.website_hits.value).toBe(0);
    expect(empty.metrics.signup_conversion_rate.value).toBeNull();
  });

  it("from an export with only the six contract levels: event counts derived, distinct counts null", () => {
    const cfg = defaultDatasetConfig();
    const { events, channels } = makeEvents(DS, 2000, 13);
    const contract = new Set(CONTRACT_LEVELS.map((l) => l.name));
    const report = computeMetrics(cfg, DS, aggRows(events, channels).filter((r) => contract.has(r.aggregation_level)));
    const db = eventsDb(events, channels);
    const oracle = sqlOracle(db, "ev", cfg.metrics);
    for (const name of ["website_hits", "signups", "purchases", "signup_conversion_rate", "purchase_conversion_rate"]) {
      expect(report.metrics[name].value, name).toBe(oracle.total(name));
      for (const dim of ["dim_country", "dim_device_brand", "dim_channel", "dim_hostname"])
        expect(report.metrics[name].breakdown[dim], `${name} by ${dim}`).toEqual(oracle.breakdown(name, dim));
    }
    expect(report.metrics.daily_visitors.value).toBeNull();
    // `daily` (a contract level) holds exact daily distincts per action; per country it needs daily_country.
    expect(report.metrics.daily_logged_in_users.value).toBe(oracle.total("daily_logged_in_users"));
    expect(Object.values(report.metrics.daily_logged_in_users.breakdown.dim_country).every((v) => v === null)).toBe(true);
    expect(Object.values(report.metrics.daily_visitors.breakdown.dim_country).every((v) => v === null)).toBe(true);
    db.close();
  });
});

describe("storeMetricValues / loadReport", () => {
  it("stores one row per metric, dimension and value, and rebuilds the same report from published values", () => {
    const dir = tmpDir();
    const db = openDb(path.join(dir, "g.db"));
    const cfg = defaultDatasetConfig();
    const { events, channels } = makeEvents(DS, 1500, 17);
    const report = computeMetrics(cfg, DS, aggRows(events, channels));
    const batch = createBatch(db, { dataset: "default", ds: DS, kind: "raw" });
    storeMetricValues(db, batch, report);
    expect(loadReport(db, "default", DS)).toBeNull(); // staged values are invisible
    publishBatch(db, batch);

    const expectedRows = Object.values(report.metrics).reduce((s, m) => s + 1 + Object.values(m.breakdown).reduce((t, seg) => t + Object.keys(seg).length, 0), 0);
    expect((db.prepare("SELECT COUNT(*) AS n FROM published_metrics WHERE dataset = 'default' AND ds = ?").get(DS) as { n: number }).n).toBe(expectedRows);
    // Ratio segments carry their numerator and denominator (version mode and localisation read them).
    const oracleDb = eventsDb(events, channels);
    const parts = sqlOracle(oracleDb, "ev", cfg.metrics).parts("signup_conversion_rate", "dim_app_version");
    const stored = db
      .prepare("SELECT value_key, numerator, denominator FROM published_metrics WHERE metric = 'signup_conversion_rate' AND dimension = 'dim_app_version'")
      .all() as { value_key: string; numerator: number; denominator: number }[];
    expect(Object.fromEntries(stored.map((r) => [r.value_key, { numerator: r.numerator, denominator: r.denominator }]))).toEqual(parts);

    expect(loadReport(db, "default", DS)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(loadReport(db, "default")?.ds).toBe(DS);
    expect(loadReport(db, "other")).toBeNull();
    expect(loadReport(db, "default", "2024-05-08")).toBeNull();
    oracleDb.close();
    db.close();
  });
});
