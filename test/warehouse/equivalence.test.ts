/**
 * docs/warehouse.md's path, end to end: the generated GROUPING SETS
 * query runs on a real analytical engine (DuckDB) over the same exports the
 * bot ingests; its result must equal the bot's own aggregate row for row, and
 * once loaded with `guardrail ingest-agg` it must give the same metrics and
 * the same verdicts as the raw path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { generateFixtures, type FixtureFile } from "../../src/fixtures/generate.js";
import { openDb, type DB } from "../../src/store/db.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { loadReport } from "../../src/metrics/compute.js";
import { GROUP_COLUMNS } from "../../src/aggregate/levels.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";

// Yesterday, so `evaluate` (which judges freshness against the real clock) sees a fresh dataset.
const END = addDays(new Date().toISOString().slice(0, 10), -1);
const DAYS = 29;
const cfg = defaultDatasetConfig();
let dir: string;
let files: FixtureFile[];
let rawDbPath: string;
let aggDbPath: string;
let rawDb: DB;
let duck: DuckDBConnection;

type Row = Record<string, string | number | null>;
const COLUMNS = ["aggregation_level", ...GROUP_COLUMNS, "m_total_events", "m_unique_visitors", "m_unique_users", "m_visits"];

/** A canonical text per row, so two row sets compare as sorted lists. */
function canon(rows: Row[]): string[] {
  return rows.map((r) => COLUMNS.map((c) => (r[c] === null || r[c] === undefined ? "∅" : String(r[c]))).join("|")).sort();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-warehouse-"));
  files = await generateFixtures({
    outDir: path.join(dir, "exports"),
    days: DAYS,
    eventsPerDay: 4000,
    seed: 11,
    end: END,
    versions: ["v1", "v2"],
    incidents: [{ ds: END, metric: "signup_conversion_rate", change: -0.6 }],
  });
  rawDbPath = path.join(dir, "raw.db");
  aggDbPath = path.join(dir, "agg.db");
  rawDb = openDb(rawDbPath);
  for (const f of files) {
    const result = await ingestFiles(rawDb, cfg, [f.path], { ds: f.ds, now: new Date(`${addDays(f.ds, 1)}T06:00:00Z`) });
    expect(result.published, `${f.ds} published on the raw path`).toBe(true);
  }
  const instance = await DuckDBInstance.create(":memory:");
  duck = await instance.connect();
  const list = files.map((f) => `'${f.path}'`).join(", ");
  await duck.run(`
    CREATE TABLE fct_website_events AS SELECT * FROM read_json([${list}], format = 'newline_delimited', columns = {
      user_id: 'BIGINT', logged_out_user_id: 'BIGINT', dim_hostname: 'VARCHAR', dim_country: 'VARCHAR',
      dim_device_brand: 'VARCHAR', action_type: 'VARCHAR', event_timestamp: 'TIMESTAMP', other_properties: 'JSON', ds: 'VARCHAR'})`);
}, 180_000);

afterAll(() => {
  rawDb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function warehouseRows(ds: string): Promise<Row[]> {
  const sql = await runCli(["sql", "--dialect", "duckdb", "--ds", ds]);
  expect(sql.code).toBe(0);
  const reader = await duck.runAndReadAll(sql.stdout);
  return reader.getRowObjectsJson() as Row[];
}

describe("warehouse aggregation (DuckDB GROUPING SETS) vs the bot's own", () => {
  it("gives the same agg_website_events, row for row, on every level", async () => {
    for (const ds of [files[0].ds, END]) {
      const bot = rawDb.prepare("SELECT * FROM published_agg WHERE dataset = 'default' AND ds = ?").all(ds) as Row[];
      const warehouse = await warehouseRows(ds);
      expect(warehouse.length).toBeGreaterThan(1000);
      expect(canon(warehouse)).toEqual(canon(bot));
      // The day holds what visits must get right: several visits per visitor, returns from another channel,
      // rows out of time order, navigation across the site's hosts, and a landing tagged only with an unknown medium.
      const facts = (await duck.runAndReadAll(`
        WITH v AS (SELECT logged_out_user_id AS id, other_properties ->> 'referrer' AS ref, other_properties ->> 'utm_medium' AS medium,
          other_properties ->> 'utm_source' AS source, dim_hostname AS host, event_timestamp AS ts,
          LAG(event_timestamp) OVER (PARTITION BY logged_out_user_id ORDER BY rowid) AS before_in_file FROM fct_website_events WHERE ds = '${ds}')
        SELECT
          COUNT(*) FILTER (WHERE ts < before_in_file) AS out_of_order,
          COUNT(*) FILTER (WHERE medium = 'podcast' AND source IS NULL AND ref IS NULL) AS unknown_medium,
          COUNT(*) FILTER (WHERE ref LIKE 'https://www.example.com/%' AND host = 'learn.example.com') AS cross_host
        FROM v`)).getRowObjectsJson()[0];
      for (const k of ["out_of_order", "unknown_medium", "cross_host"]) expect(Number(facts[k]), k).toBeGreaterThan(0);
      const total = bot.find((r) => r.aggregation_level === "daily_total")!;
      expect(Number(total.m_visits)).toBeGreaterThan(Number(total.m_unique_visitors));
      const perVisitorChannels = (await duck.runAndReadAll(`SELECT COUNT(*) AS n FROM (SELECT logged_out_user_id FROM fct_website_events WHERE ds = '${ds}'
        GROUP BY 1 HAVING COUNT(DISTINCT coalesce(other_properties ->> 'utm_source', '') || coalesce(other_properties ->> 'utm_medium', '')) > 1)`)).getRowObjectsJson()[0];
      expect(Number(perVisitorChannels.n)).toBeGreaterThan(0);
    }
  });

  it("loaded with `guardrail ingest-agg`, gives the same metrics and the same verdicts as the raw path", async () => {
    for (const f of files) {
      // The warehouse job: run the query for the day and export the result as CSV.
      const csv = path.join(dir, `agg-${f.ds}.csv`);
      const sql = (await runCli(["sql", "--dialect", "duckdb", "--ds", f.ds])).stdout;
      await duck.run(`COPY (${sql}) TO '${csv}' (HEADER, DELIMITER ',')`);
      const load = await runCli(["ingest-agg", csv, "--ds", f.ds, "--db", aggDbPath, "--json"]);
      expect(load.code, load.stderr).toBe(0);
      expect(JSON.parse(load.stdout).published).toBe(true);
    }
    const aggDb = openDb(aggDbPath);
    try {
      for (const f of files) expect(loadReport(aggDb, "default", f.ds)).toEqual(loadReport(rawDb, "default", f.ds));
    } finally {
      aggDb.close();
    }
    const evalRaw = await runCli(["evaluate", "--ds", END, "--db", rawDbPath, "--json"]);
    const evalAgg = await runCli(["evaluate", "--ds", END, "--db", aggDbPath, "--json"]);
    expect(evalRaw.code).toBe(1); // the injected −60 % signup conversion fails …
    expect(evalAgg.code).toBe(evalRaw.code); // … on both paths
    // Sums over segments may be added in another order: equal to 12 significant digits is equal.
    const strip = (text: string) => {
      const e = JSON.parse(text, (_k, v) => (typeof v === "number" ? Number(v.toPrecision(12)) : v));
      return { status: e.status, verdicts: e.verdicts, versions: e.versions };
    };
    expect(strip(evalAgg.stdout)).toEqual(strip(evalRaw.stdout));
  }, 240_000);
});
