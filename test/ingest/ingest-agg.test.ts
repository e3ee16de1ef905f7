/**
 * `guardrail ingest-agg` takes the same publish path as `ingest`
 * (docs/ingest.md, "Partial days"): a warehouse aggregate of a truncated day
 * fails completeness and stays unpublished, `--allow-partial` publishes it
 * marked partial, a complete export replaces it, and a day that has not ended
 * is refused unless `--allow-partial`.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { ingestAggFiles } from "../../src/ingest/ingest-agg.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb } from "../../src/store/db.js";
import { dayStatus, partialReason } from "../../src/store/partitions.js";
import { judgeDay } from "../../src/evaluate/evaluate.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";
import { writeAggExport } from "./helpers.js";

const END = "2026-11-17"; // a Tuesday
const cfg = defaultDatasetConfig();

describe("ingest-agg completeness and partial days", () => {
  it("keeps a truncated warehouse aggregate unpublished (exit 3); --allow-partial publishes it partial; a complete export replaces it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-agg-partial-"));
    const files = await generateFixtures({ outDir: join(dir, "exports"), days: 29, eventsPerDay: 3000, end: END, seed: 7 });
    // The warehouse: four Tuesdays of history, the day itself, and a copy of it holding hours 00–07 only (UTC).
    const warehouse = openDb(join(dir, "warehouse.db"));
    const full = files.find((f) => f.ds === END)!.path;
    mkdirSync(join(dir, "cut", `ds=${END}`), { recursive: true });
    const cut = join(dir, "cut", `ds=${END}`, "truncated.ndjson");
    const lines = readFileSync(full, "utf8").split("\n").filter(Boolean);
    writeFileSync(cut, lines.filter((l) => Number(/"event_timestamp":"\d{4}-\d\d-\d\dT(\d\d)/.exec(l)![1]) < 8).join("\n") + "\n");
    const history = [4, 3, 2, 1].map((w) => addDays(END, -7 * w));
    for (const ds of history) expect((await ingestFiles(warehouse, cfg, [files.find((f) => f.ds === ds)!.path])).published).toBe(true);
    expect((await ingestFiles(openDb(join(dir, "cut.db")), cfg, [cut], { allowPartial: true })).published).toBe(true);
    const truncatedAgg = writeAggExport(openDb(join(dir, "cut.db")), "default", END, join(dir, "agg-truncated.ndjson"));

    const dbPath = join(dir, "g.db");
    const db = openDb(dbPath);
    for (const ds of history) {
      const r = await ingestAggFiles(db, cfg, [writeAggExport(warehouse, "default", ds, join(dir, `agg-${ds}.ndjson`))]);
      expect(r, ds).toMatchObject({ published: true, partial: false });
    }

    const refused = await runCli(["ingest-agg", truncatedAgg, "--db", dbPath, "--json"]);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ published: false, partial: false });
    expect(refused.stderr).toMatch(/day_volume: The day looks incomplete.*Only completeness failed: --allow-partial/);
    expect(dayStatus(db, "default", END)).toBe("rejected");

    const partial = await runCli(["ingest-agg", truncatedAgg, "--db", dbPath, "--allow-partial", "--json"]);
    expect(partial.code, partial.stderr).toBe(0);
    const result = JSON.parse(partial.stdout);
    expect(result).toMatchObject({ published: true, partial: true });
    expect(result.partial_reason).toMatch(/^it failed completeness \(day_volume, hour_coverage/);
    expect(partialReason(db, "default", END)).toBe(result.partial_reason);
    const e = judgeDay(db, cfg, { ds: END, now: new Date(`${END}T12:00:00Z`), persist: false });
    expect(e.data.state).toBe("partial");
    for (const v of e.verdicts) expect(v.verdict).toBe("inconclusive");

    // The complete day, aggregated in the warehouse, replaces the partial one.
    await ingestFiles(warehouse, cfg, [full]);
    const complete = await ingestAggFiles(db, cfg, [writeAggExport(warehouse, "default", END, join(dir, "agg-full.ndjson"))]);
    expect(complete).toMatchObject({ published: true, partial: false, partial_reason: null });
    expect(partialReason(db, "default", END)).toBeNull();
  }, 120_000);

  it("refuses an aggregate of a day that has not ended (exit 2, one sentence, nothing staged) unless --allow-partial", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-agg-open-"));
    const ds = "2099-12-31"; // still ahead whatever the clock says
    const raw = join(dir, "today.ndjson");
    writeFileSync(
      raw,
      `{"logged_out_user_id":"a1","dim_hostname":"www.example.com","dim_country":"US","action_type":"page_visit","event_timestamp":"${ds}T00:10:00Z","ds":"${ds}"}\n`,
    );
    const warehouse = openDb(join(dir, "warehouse.db"));
    expect((await ingestFiles(warehouse, cfg, [raw], { allowPartial: true })).published).toBe(true);
    const agg = writeAggExport(warehouse, "default", ds, join(dir, "agg.ndjson"));

    const dbPath = join(dir, "g.db");
    const refused = await runCli(["ingest-agg", agg, "--db", dbPath, "--json"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/ds 2099-12-31 has not ended yet in UTC \(it ends at 2100-01-01T00:00Z\): load it once the day is over/);
    const db = openDb(dbPath);
    expect(dayStatus(db, "default", ds)).toBe("missing");
    expect(db.prepare(`SELECT COUNT(*) AS n FROM partitions`).get()).toEqual({ n: 0 });

    // With the day named up front (--ds or a ds= folder), it is refused before a row is read.
    const unread = join(dir, "not-read.csv");
    writeFileSync(unread, "this file is never parsed\n");
    const early = await runCli(["ingest-agg", unread, "--ds", ds, "--db", dbPath]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/^guardrail: ds 2099-12-31 has not ended yet in UTC/);

    const partial = await runCli(["ingest-agg", agg, "--db", dbPath, "--json", "--allow-partial"]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ published: true, partial: true });
    expect(partialReason(db, "default", ds)).toMatch(/^the day had not ended in UTC when it was loaded/);
  });
});
