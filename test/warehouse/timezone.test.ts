/**
 * The warehouse query in a dataset's own zone (docs/warehouse.md): on
 * DuckDB, with its own time-zone functions, it gives the bot's aggregate of
 * a Pacific fall-back day (25 hours) and the day before, row for row.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { openDb } from "../../src/store/db.js";
import { parseConfig, resolveDataset } from "../../src/config/load.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { GROUP_COLUMNS } from "../../src/aggregate/levels.js";
import { runCli } from "../support/run-cli.js";

type Row = Record<string, string | number | null>;
const COLUMNS = ["aggregation_level", ...GROUP_COLUMNS, "m_total_events", "m_unique_visitors", "m_unique_users"];
const canon = (rows: Row[]) => rows.map((r) => COLUMNS.map((c) => (r[c] == null ? "∅" : String(r[c]))).join("|")).sort();

describe("warehouse aggregation in the dataset's time zone", () => {
  it("matches the bot on a 25-hour Pacific day, exported with UTC timestamps", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-warehouse-tz-"));
    const configFile = path.join(dir, "guardrail.config.yml");
    fs.writeFileSync(configFile, "timezone: America/Los_Angeles\n");
    const cfg = resolveDataset(parseConfig({ timezone: "America/Los_Angeles" }), "default");
    const files = await generateFixtures({ outDir: path.join(dir, "x"), days: 2, eventsPerDay: 1500, end: "2026-11-01", seed: 4, timezone: "America/Los_Angeles" });
    const db = openDb(path.join(dir, "g.db"));
    for (const f of files) expect((await ingestFiles(db, cfg, [f.path])).published).toBe(true);
    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    await duck.run(`SET TimeZone = 'UTC'`);
    await duck.run(`
      CREATE TABLE fct_website_events AS SELECT * FROM read_json([${files.map((f) => `'${f.path}'`).join(", ")}], format = 'newline_delimited', columns = {
        user_id: 'BIGINT', logged_out_user_id: 'BIGINT', dim_hostname: 'VARCHAR', dim_country: 'VARCHAR',
        dim_device_brand: 'VARCHAR', action_type: 'VARCHAR', event_timestamp: 'TIMESTAMP', other_properties: 'JSON', ds: 'VARCHAR'})`);
    for (const f of files) {
      const sql = await runCli(["sql", "--dialect", "duckdb", "--ds", f.ds, "--config", configFile]);
      expect(sql.code).toBe(0);
      const warehouse = (await duck.runAndReadAll(sql.stdout)).getRowObjectsJson() as Row[];
      const bot = db.prepare("SELECT * FROM published_agg WHERE ds = ?").all(f.ds) as Row[];
      expect(canon(warehouse)).toEqual(canon(bot));
    }
    const hours = (await duck.runAndReadAll(
      `SELECT COUNT(DISTINCT CAST(EXTRACT(HOUR FROM ((event_timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'America/Los_Angeles')) AS INTEGER)) AS n FROM fct_website_events WHERE ds = '2026-11-01'`,
    )).getRowObjectsJson() as { n: number | string }[];
    expect(Number(hours[0].n)).toBe(24);
  }, 120_000);
});
