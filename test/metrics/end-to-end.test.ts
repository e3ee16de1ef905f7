/**
 * Generated fixtures → real ingest → published aggregate and metric values,
 * checked against plain SQL over `published_events`; then `report` and
 * `ingest-agg` through the CLI entry point.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { DEFAULT_LEVELS, CONTRACT_LEVELS } from "../../src/aggregate/levels.js";
import { loadReport } from "../../src/metrics/compute.js";
import { openDb, type DB } from "../../src/store/db.js";
import type { Report } from "../../src/shared/types.js";
import { referenceVisits, tmpDir } from "../aggregate/helpers.js";
import type { EventRow } from "../../src/shared/types.js";
import { sqlOracle } from "./oracle.js";
import { runCli as run } from "../support/run-cli.js";

const AGG_COLUMNS = [
  "ds", "aggregation_level", "action_type", "logged_out_user_id", "dim_hostname", "dim_country", "dim_device_brand", "dim_channel",
  "dim_product_type", "dim_app_version", "event_hour", "m_total_events", "m_unique_visitors", "m_unique_users", "m_visits",
];

/** The published aggregate of a day as a warehouse would export it. */
function exportAgg(db: DB, ds: string, levels?: Set<string>): Record<string, unknown>[] {
  const rows = db.prepare(`SELECT ${AGG_COLUMNS.join(", ")} FROM published_agg WHERE dataset = 'default' AND ds = ?`).all(ds) as Record<string, unknown>[];
  return levels ? rows.filter((r) => levels.has(String(r.aggregation_level))) : rows;
}

function csvOf(rows: Record<string, unknown>[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [AGG_COLUMNS.join(","), ...rows.map((r) => AGG_COLUMNS.map((c) => cell(r[c])).join(","))].join("\r\n") + "\r\n";
}

describe("end to end on generated fixtures", () => {
  let dir: string;
  let dbFile: string;
  let db: DB;
  let days: { ds: string; path: string }[];
  let last: string;

  beforeAll(async () => {
    dir = tmpDir("guardrail-e2e-");
    dbFile = path.join(dir, "g.db");
    days = await generateFixtures({ outDir: path.join(dir, "exports"), days: 2, eventsPerDay: 2500, seed: 42, end: "2024-05-07", versions: ["v1", "v2"] });
    db = openDb(dbFile);
    for (const d of days) {
      const r = await ingestFiles(db, defaultDatasetConfig(), [d.path]);
      expect(r.published, JSON.stringify(r.checks.filter((c) => c.status === "fail"))).toBe(true);
    }
    last = days[days.length - 1].ds;
    // Where visits start, by the test's own account of visits over the published raw rows.
    db.exec(`CREATE TEMP TABLE visit_starts (ds TEXT, line INTEGER, visit_start INTEGER, channel TEXT, PRIMARY KEY (ds, line))`);
    const put = db.prepare(`INSERT INTO visit_starts VALUES (?, ?, ?, ?)`);
    for (const { ds } of days) {
      const raw = db
        .prepare(`SELECT line, CAST(logged_out_user_id AS TEXT) AS lou, dim_hostname, action_type, event_timestamp, other_properties FROM published_events WHERE ds = ?`)
        .all(ds) as { line: number; lou: string; dim_hostname: string; action_type: string; event_timestamp: string; other_properties: string }[];
      const events: EventRow[] = raw.map((r) => ({
        line: r.line, user_id: null, logged_out_user_id: r.lou, dim_hostname: r.dim_hostname, dim_country: "", dim_device_brand: null,
        action_type: r.action_type, event_ms: Date.parse(r.event_timestamp), other_properties: JSON.parse(r.other_properties) as Record<string, string>, ds,
      }));
      const visits = referenceVisits(events);
      raw.forEach((r, i) => put.run(ds, r.line, visits.starts[i] ? 1 : 0, visits.channels[i]));
    }
    // The oracle's view of the raw partition: other_properties keys as columns.
    // Materialised once: as a view, every oracle query re-decoded the raw blocks for each joined row.
    db.exec(`CREATE TEMP TABLE ev AS SELECT e.*, json_extract(other_properties, '$.product_type') AS dim_product_type,
      json_extract(other_properties, '$.app_version') AS dim_app_version,
      CAST(strftime('%H', event_timestamp) AS INTEGER) AS event_hour, s.visit_start, s.channel AS oracle_channel
      FROM published_events e JOIN visit_starts s ON s.ds = e.ds AND s.line = e.line WHERE dataset = 'default'`);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the raw view gives every event its visit's channel, and the fixtures hold returns from another channel", () => {
    // Read from the materialised join: joining the view itself re-decodes the raw blocks for every row (minutes).
    const wrong = db.prepare(`SELECT COUNT(*) AS n FROM ev WHERE dim_channel <> oracle_channel`).get() as { n: number };
    expect(wrong.n).toBe(0);
    const all = db.prepare(`SELECT COUNT(*) AS n FROM published_events`).get() as { n: number };
    expect((db.prepare(`SELECT COUNT(*) AS n FROM visit_starts`).get() as { n: number }).n).toBe(all.n);
    expect((db.prepare(`SELECT COUNT(*) AS n FROM ev`).get() as { n: number }).n).toBe(all.n);
    // Visitors with visits from two channels on one day (the fixtures' returns).
    const mixed = db
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT ds, logged_out_user_id FROM published_events GROUP BY 1, 2 HAVING COUNT(DISTINCT dim_channel) > 1)`)
      .get() as { n: number };
    expect(mixed.n).toBeGreaterThan(0);
  });

  it("every aggregate level equals GROUP BY over the published raw partition", () => {
    for (const { ds } of days) {
      for (const level of DEFAULT_LEVELS) {
        const cols = level.columns;
        const sel = cols.length ? cols.join(", ") + ", " : "";
        const expected = db
          .prepare(
            `SELECT ${sel}COUNT(*) AS e, COUNT(DISTINCT logged_out_user_id) AS v, COUNT(DISTINCT user_id) AS u, SUM(visit_start) AS s FROM ev WHERE ds = ?
             ${cols.length ? "GROUP BY " + cols.join(", ") : ""} ORDER BY ${cols.length ? cols.join(", ") : "1"}`,
          )
          .all(ds);
        const got = db
          .prepare(
            `SELECT ${sel}m_total_events AS e, m_unique_visitors AS v, m_unique_users AS u, m_visits AS s FROM published_agg
             WHERE dataset = 'default' AND ds = ? AND aggregation_level = ? ORDER BY ${cols.length ? cols.join(", ") : "1"}`,
          )
          .all(ds, level.name);
        expect(expected.length, `${ds} level ${level.name} has slices`).toBeGreaterThan(0);
        expect(got, `${ds} level ${level.name}`).toEqual(expected);
      }
    }
  });

  it("every metric and every breakdown value equals plain SQL over the raw partition", () => {
    const cfg = defaultDatasetConfig();
    for (const { ds } of days) {
      const oracle = sqlOracle(db, "ev", cfg.metrics, `ds = '${ds}'`);
      const report = loadReport(db, "default", ds)!;
      for (const m of cfg.metrics) {
        expect(report.metrics[m.name].value, `${ds} ${m.name}`).toBe(oracle.total(m.name));
        const dims = new Set([...m.breakdowns, "dim_app_version"]);
        expect(Object.keys(report.metrics[m.name].breakdown).sort()).toEqual([...dims].sort());
        for (const dim of dims) expect(report.metrics[m.name].breakdown[dim], `${ds} ${m.name} by ${dim}`).toEqual(oracle.breakdown(m.name, dim));
      }
      // Version mode reads numerator and denominator per version.
      const stored = db
        .prepare(`SELECT value_key, numerator, denominator FROM published_metrics WHERE dataset = 'default' AND ds = ? AND metric = 'signup_conversion_rate' AND dimension = 'dim_app_version'`)
        .all(ds) as { value_key: string; numerator: number; denominator: number }[];
      expect(Object.fromEntries(stored.map((r) => [r.value_key, { numerator: r.numerator, denominator: r.denominator }]))).toEqual(
        oracle.parts("signup_conversion_rate", "dim_app_version"),
      );
    }
  });

  it("report --json prints docs/cli.md for the latest day, the human report shows percentages and top rows", async () => {
    const json = await run(["report", "--db", dbFile, "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    // The CLI adds fields (power figures) to the stored report; the stored ones must be there unchanged.
    expect(report).toMatchObject(JSON.parse(JSON.stringify(loadReport(db, "default", last))));
    expect(report.ds).toBe(last);
    expect(Object.keys(report.metrics)).toEqual(defaultDatasetConfig().metrics.map((m) => m.name));
    const rate = report.metrics.signup_conversion_rate;
    expect(rate.value).toBe(rate.numerator! / rate.denominator!);

    const first = await run(["report", "--db", dbFile, "--ds", days[0].ds, "--json"]);
    expect((JSON.parse(first.stdout) as Report).ds).toBe(days[0].ds);

    const human = await run(["report", "--db", dbFile]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`ds ${last}`);
    expect(human.stdout).toMatch(new RegExp(`signup_conversion_rate \\*\\s+${(rate.value! * 100).toFixed(2)} %`));
    const visitors = report.metrics.daily_visitors.value!;
    expect(human.stdout).toContain(visitors.toLocaleString("en-US"));
    expect(human.stdout).toMatch(/daily_visitors by:\n\s+country\s+\S+ [\d,]+/);
  });

  it("report on a day without published data, or on an unknown dataset, exits 2 with one sentence", async () => {
    const r = await run(["report", "--db", dbFile, "--ds", "2020-01-01"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toBe("guardrail: dataset default has no published data for ds 2020-01-01.");
    const emptyDb = path.join(dir, "empty.db");
    openDb(emptyDb).close(); // a real store with nothing published in it
    const empty = await run(["report", "--db", emptyDb]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/dataset default has no published data yet/);
    // A dataset that neither the config nor the store knows is a typo, not an empty dataset.
    for (const cmd of ["report", "evaluate"]) {
      const typo = await run([cmd, "--db", dbFile, "--dataset", "defualt", "--json"]);
      expect(typo.code).toBe(2);
      expect(typo.stdout).toBe("");
      expect(typo.stderr.trim()).toBe(`guardrail: --dataset defualt: no such dataset in ${dbFile} or the config (known: default).`);
    }
    const typo = await run(["backtest", "--db", dbFile, "--dataset", "shop", "--from", "2024-01-01", "--to", "2024-01-02"]);
    expect(typo.stderr.trim()).toBe(`guardrail: --dataset shop: no such dataset in ${dbFile} or the config (known: default).`);
    // A dataset the config names is known even before its first day: no data, not a typo.
    const cfgFile = path.join(dir, "shop.yml");
    fs.writeFileSync(cfgFile, "datasets:\n  shop: {}\n");
    const configured = await run(["evaluate", "--db", emptyDb, "--dataset", "shop", "--config", cfgFile, "--json"]);
    expect(configured.code, configured.stderr).toBe(3);
    expect(JSON.parse(configured.stdout).status).toBe("no_data");
    expect((await run(["report", "--db", dbFile, "--ds", "2024-13-01"])).code).toBe(2);
  });

  it("ingest-agg of the warehouse export (CSV.gz and NDJSON) publishes the same metric values", async () => {
    const rows = exportAgg(db, last);
    const csvFile = path.join(dir, "agg.csv.gz");
    fs.writeFileSync(csvFile, zlib.gzipSync("\ufeff" + csvOf(rows)));
    const other = path.join(dir, "other.db");
    const r = await run(["ingest-agg", csvFile, "--db", other, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ds: last, dataset: "default", published: true, rows_read: rows.length, rows_loaded: rows.length });
    expect(result.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(["host_volume_wow", "rollup_consistency", "hour_distribution", "min_events"]));
    const rep = await run(["report", "--db", other, "--json"]);
    expect(JSON.parse(rep.stdout)).toMatchObject(JSON.parse(JSON.stringify(loadReport(db, "default", last))));

    // NDJSON, ds from --ds only (rows without ds), replacing the published day.
    const ndFile = path.join(dir, "agg.ndjson");
    fs.writeFileSync(ndFile, rows.map((x) => JSON.stringify({ ...x, ds: undefined })).join("\n"));
    const again = await run(["ingest-agg", ndFile, "--ds", last, "--db", other, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const check = openDb(other);
    expect((check.prepare("SELECT COUNT(*) AS n FROM partitions WHERE status = 'published' AND kind = 'agg'").get() as { n: number }).n).toBe(1);
    expect(loadReport(check, "default")).toEqual(loadReport(db, "default", last));
    check.close();
  });

  it("ingest-agg of only the six contract levels: event metrics exact, distinct metrics undefined", async () => {
    const contract = new Set(CONTRACT_LEVELS.map((l) => l.name));
    const file = path.join(dir, "ds=" + last, "contract.csv");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, csvOf(exportAgg(db, last, contract).map((x) => ({ ...x, ds: null }))));
    const other = path.join(dir, "contract.db");
    const r = await run(["ingest-agg", file, "--db", other, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse((await run(["report", "--db", other, "--json"])).stdout) as Report;
    const full = loadReport(db, "default", last)!;
    expect(got.ds).toBe(last); // from the ds=… path segment
    for (const name of ["website_hits", "signups", "purchases", "signup_conversion_rate", "purchase_conversion_rate", "daily_logged_in_users"])
      expect(got.metrics[name].value, name).toBe(full.metrics[name].value);
    expect(got.metrics.website_hits.breakdown.dim_country).toEqual(full.metrics.website_hits.breakdown.dim_country);
    expect(got.metrics.daily_visitors.value).toBeNull();
  });

  it("ingest-agg refuses bad files with file, line and field, and keeps an inconsistent export unpublished (exit 3)", async () => {
    const rows = exportAgg(db, last);
    const other = path.join(dir, "bad.db");
    const unknown = path.join(dir, "unknown.csv");
    fs.writeFileSync(unknown, csvOf(rows.map((x, i) => (i === 3 ? { ...x, aggregation_level: "weekly" } : x))));
    const u = await run(["ingest-agg", unknown, "--db", other]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain(`${unknown}: line 5: field aggregation_level: unknown level "weekly"`);

    const badType = path.join(dir, "type.ndjson");
    fs.writeFileSync(badType, rows.map((x, i) => JSON.stringify(i === 1 ? { ...x, m_total_events: "many" } : x)).join("\n") + "\n");
    const t = await run(["ingest-agg", badType, "--db", other]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`${badType}: line 2: field m_total_events: expected a non-negative integer, got "many"`);

    const i = rows.findIndex((x) => x.aggregation_level === "country");
    const inconsistent = path.join(dir, "inconsistent.csv");
    fs.writeFileSync(inconsistent, csvOf(rows.map((x, k) => (k === i ? { ...x, m_total_events: Number(x.m_total_events) + 100 } : x))));
    const bad = await run(["ingest-agg", inconsistent, "--db", other, "--json"]);
    expect(bad.code).toBe(3);
    const res = JSON.parse(bad.stdout);
    expect(res.published).toBe(false);
    expect(res.checks.find((c: { name: string }) => c.name === "rollup_consistency").status).toBe("fail");
    const check = openDb(other);
    expect(loadReport(check, "default")).toBeNull();
    expect((check.prepare("SELECT status FROM partitions").all() as { status: string }[]).map((x) => x.status)).toEqual(["rejected"]);
    check.close();
  });
});
