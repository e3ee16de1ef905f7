/**
 * `guardrail reaggregate`: published days rebuilt from their stored raw
 * events with the current rules give exactly what a fresh ingest with those
 * rules gives (aggregate, raw view channels, report); days whose raw events
 * retention removed are reported and left as they were.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFixtures, type FixtureFile } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { reaggregate } from "../../src/ingest/reaggregate.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { loadReport } from "../../src/metrics/compute.js";
import { openDb, type DB } from "../../src/store/db.js";
import { addDays } from "../../src/shared/dates.js";
import { tmpDir } from "./helpers.js";
import { runCli } from "../support/run-cli.js";

const END = "2024-05-08";
let dir: string;
let files: FixtureFile[];

/** Rules a team used before: no channel rules at all, a 10-minute visit. */
const before = resolveDataset(parseConfig({ channels: { rules: [], visit_timeout_minutes: 10 } }), "default");
const now = defaultDatasetConfig();

async function ingestAll(db: DB, cfg: typeof now) {
  for (const f of files) {
    const r = await ingestFiles(db, cfg, [f.path], { ds: f.ds, now: new Date(`${addDays(f.ds, 1)}T06:00:00Z`) });
    expect(r.published).toBe(true);
  }
}

const agg = (db: DB, ds: string) =>
  db.prepare(`SELECT * FROM published_agg WHERE ds = ? ORDER BY aggregation_level, action_type, dim_hostname, dim_country, dim_device_brand, dim_channel, dim_product_type, dim_app_version, event_hour`)
    .all(ds)
    .map((r) => ({ ...(r as Record<string, unknown>), batch_id: 0 }));
const channels = (db: DB, ds: string) => db.prepare(`SELECT line, dim_channel FROM published_events WHERE ds = ? ORDER BY line`).all(ds);

beforeAll(async () => {
  dir = tmpDir();
  files = await generateFixtures({ outDir: path.join(dir, "exports"), days: 3, eventsPerDay: 1500, seed: 4, end: END });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("reaggregate", () => {
  it("rebuilds published days with the current rules, exactly as a fresh ingest would", async () => {
    const fresh = openDb(path.join(dir, "fresh.db"));
    const old = openDb(path.join(dir, "old.db"));
    await ingestAll(fresh, now);
    await ingestAll(old, before);
    const ds = files[1].ds;
    expect(loadReport(old, "default", ds)).not.toEqual(loadReport(fresh, "default", ds));
    // A store from before visits: no visit channels on its raw rows, no m_visits on its aggregate.
    old.exec(`DELETE FROM raw_visits; UPDATE agg_website_events SET m_visits = NULL; DELETE FROM metric_values WHERE metric = 'visits'`);
    expect(loadReport(old, "default", ds)!.metrics.visits).toBeUndefined();

    const result = reaggregate(old, now, { from: files[0].ds, to: END });
    expect(result.days.map((d) => [d.ds, d.status])).toEqual(files.map((f) => [f.ds, "rebuilt"]));
    for (const f of files) {
      expect(agg(old, f.ds), f.ds).toEqual(agg(fresh, f.ds));
      expect(channels(old, f.ds)).toEqual(channels(fresh, f.ds));
      expect(loadReport(old, "default", f.ds)).toEqual(loadReport(fresh, "default", f.ds));
    }
    fresh.close();
    old.close();
  });

  it("leaves a day whose raw events retention removed as it was, and says so (CLI, --json)", async () => {
    const dbPath = path.join(dir, "ret.db");
    const db = openDb(dbPath);
    await ingestAll(db, before);
    const gone = files[0].ds;
    db.prepare(`UPDATE partitions SET raw_expired = 1 WHERE ds = ?`).run(gone);
    const kept = agg(db, gone);
    db.close();
    const r = await runCli(["reaggregate", "--db", dbPath, "--from", files[0].ds, "--to", END, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { days: { ds: string; status: string }[] };
    expect(out.days.map((d) => d.status)).toEqual(["raw_expired", "rebuilt", "rebuilt"]);
    const human = await runCli(["reaggregate", "--db", dbPath, "--from", files[0].ds, "--to", END]);
    expect(human.stdout).toContain(`${gone}  left as it was: its raw events were removed by retention`);
    const after = openDb(dbPath);
    expect(agg(after, gone)).toEqual(kept);
    after.close();
  });

  it("refuses a bad range in one sentence (exit 2)", async () => {
    const dbPath = path.join(dir, "fresh.db");
    const r = await runCli(["reaggregate", "--db", dbPath, "--from", "2024-05-09", "--to", "2024-05-01"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("guardrail: --from 2024-05-09 is after --to 2024-05-01; give the first day first.");
    const bad = await runCli(["reaggregate", "--db", dbPath, "--from", "2024-5-1", "--to", "2024-05-01"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from 2024-5-1: expected a date YYYY-MM-DD.");
  });
});
