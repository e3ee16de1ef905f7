/**
 * The speed work must not change behaviour: the fast NDJSON path agrees with
 * JSON.parse + RowValidator on every line it accepts; the threaded ingest
 * (compiled worker) stores exactly what the in-thread one stores; abandoned
 * staged attempts are cleaned up, live ones never.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { once } from "node:events";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { FastRowParser } from "../../src/ingest/fast-row.js";
import { RowValidator } from "../../src/events/validate.js";
import { ActionResolver } from "../../src/events/values.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { createBatch, processStart } from "../../src/store/partitions.js";
import { rawRowid } from "../../src/store/raw-blocks.js";
import { openDb, type DB } from "../../src/store/db.js";
import { days, event, ndjsonLine, ndjsonText, stageRows, storedDay as dump, tmpDb, tmpDir, writeFile } from "./helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DS = "2024-05-01";
const cfg = defaultDatasetConfig();

describe("fast NDJSON path", () => {
  const fast = new FastRowParser(cfg, DS, new ActionResolver(cfg.action_types, cfg.action_aliases));
  const validator = new RowValidator(cfg, DS);
  // The exports' usual timestamp form (the one the fast path takes).
  const ev = (i: number, over: Parameters<typeof event>[2] = {}) =>
    event(i, DS, { event_timestamp: new Date(Date.parse(`${DS}T00:00:00Z`) + i * 1_234_567).toISOString(), ...over });
  const base = ndjsonLine(ev(1, { user_id: "9007199254740993" }));
  const variants = [
    base,
    ndjsonLine(ev(2)),
    ndjsonLine(ev(3, { dim_device_brand: null, other_properties: null })),
    ndjsonLine(ev(4, { logged_out_user_id: "-9223372036854775808" })),
    ndjsonLine(ev(5, { logged_out_user_id: "9223372036854775807" })),
    ndjsonLine(ev(6, { logged_out_user_id: "9223372036854775808" })),
    ndjsonLine(ev(7, { logged_out_user_id: "-0" })),
    ndjsonLine(ev(8, { logged_out_user_id: "007" })),
    ndjsonLine(ev(9, { action_type: "Log-in" })),
    ndjsonLine(ev(10, { action_type: "teleport" })),
    ndjsonLine(ev(11, { dim_hostname: "WWW.Example.com" })),
    ndjsonLine(ev(12, { dim_country: " US" })),
    ndjsonLine(ev(13, { ds: "2024-05-02" })),
    ndjsonLine(ev(15, { event_timestamp: `${DS}T24:00:00.000Z` })),
    ndjsonLine(ev(16, { event_timestamp: `${DS}T23:59:59.999Z` })),
    ndjsonLine(ev(17, { other_properties: { utm_source: 'say "hi"', event_id: "x" } })),
    ndjsonLine(ev(18, { dim_hostname: "" })),
    base.replace(/"logged_out_user_id":(-?\d+)/, '"logged_out_user_id":$1.0'),
    base.replace(/"logged_out_user_id":(-?\d+)/, '"logged_out_user_id":"$1"'),
    base.replace('"dim_country":"', '"dim_country" :  "'),
    base.replace("}", ',"utm_source":"dup"}'),
    base.replace('"other_properties":{', '"other_properties":{"n":1,'),
    base.replace('"other_properties":{', '"other_properties":{"__proto__":"x",'),
    base.replace('"dim_country":"', '"extra":[1,2],"dim_country":"'),
    base.replace('"dim_country":"', '"dim_country":"\t'),
    // Read against the learnt shape: every character must still be checked.
    base.replace('"other_properties":{', '"other_properties":{"note":"a\tb",'),
    base.replace('"other_properties":{', '"other_properties":{"note":"a\\/b",'),
    base.replace('"other_properties":{', '"other_properties":{"note":"\u0001",'),
    base.replace('"dim_country":"', '"dim_country":"\\u0055'),
    base.replace('"dim_country":"', '"dim_country":"U\u0001'),
    base.replace(/}$/, ',"dim_hostname":"x\ty.com"}'),
    base.replace(/"event_timestamp":"[^"]*"/, '"event_timestamp":"2024-05-01T\u00312:00:00.000Z"'),
    base.replace(/"ds":"[^"]*"/, '"ds":"2024-05-0\u0031"'),
    base.replace(/"event_timestamp":"[^"]*"/, '"event_timestamp":"2024-05-01T12:00:00.000Z","event_timestamp":"2024-05-01 13:00:00"'),
    base.replace(/"event_timestamp":"[^"]*"/, '"event_timestamp":"2024-05-01T12:00:00.000Z "'),
    base.replace(/"ds":"[^"]*"/, '"ds":"2024-05-01","ds":"2024-05-02"'),
    base + " x",
    base.slice(0, -1),
    base.replace("{", "{ ").replace(/}$/, " } "),
  ];

  it("accepts only what the general path accepts, with the same row", () => {
    let accepted = 0;
    for (const [i, line] of variants.entries()) {
      const f = fast.parse(line, i + 1);
      if (f === null) continue;
      accepted++;
      const g = validator.validate(JSON.parse(line), i + 1, line);
      expect("check" in g, `line ${i}: ${line}`).toBe(false);
      expect({ ...f, other_properties: null }).toEqual({ ...g, other_properties: null });
      expect(JSON.parse(fast.propsText)).toEqual((g as { other_properties: unknown }).other_properties);
      expect(f.other_properties, `line ${i}: ${line}`).toEqual((g as { other_properties: unknown }).other_properties);
    }
    // The common shapes take the fast path.
    expect(accepted).toBeGreaterThanOrEqual(8);
    expect(fast.parse(variants[0], 1)).not.toBeNull();
  });
});

describe("threaded ingest (compiled worker)", () => {
  beforeAll(() => {
    expect(existsSync(join(ROOT, "lib/ingest/worker.js"))).toBe(true);
  });


  it("stores exactly what the in-thread ingest stores, rejects and duplicates included", async () => {
    const dir = tmpDir();
    const evs = days(DS, 3000);
    const lines = evs.map(ndjsonLine);
    lines.splice(100, 0, "{not json");
    lines.splice(200, 0, lines[150], lines[151]);
    lines.splice(2500, 0, ndjsonLine(event(9, DS, { action_type: "teleport" })));
    const file = writeFile(dir, "day.ndjson", lines.join("\n") + "\n");
    const a = openDb(join(tmpDir(), "a.db"));
    const inThread = await ingestFiles(a, cfg, [file]);
    const lib = (await import(pathToFileURL(join(ROOT, "lib/ingest/pipeline.js")).href)) as typeof import("../../src/ingest/pipeline.js");
    const { openDb: openLibDb } = (await import(pathToFileURL(join(ROOT, "lib/store/db.js")).href)) as typeof import("../../src/store/db.js");
    const b = openLibDb(join(tmpDir(), "b.db"));
    // The compiled ingest also counts half of the aggregation levels on a second thread, whatever the size.
    process.env.GUARDRAIL_LEVEL_THREAD_MIN = "0";
    const threaded = await lib.ingestFiles(b, cfg, [file]).finally(() => delete process.env.GUARDRAIL_LEVEL_THREAD_MIN);
    expect(threaded.duplicates).toBe(2);
    expect(threaded.rows_rejected).toBe(4);
    const strip = (r: typeof inThread) => ({ ...r, timings: null, batch_id: null });
    expect(strip(threaded)).toEqual(strip(inThread));
    expect(dump(b)).toEqual(dump(a));
    expect(Object.keys(threaded.timings).sort()).toEqual(["aggregate_ms", "audit_ms", "metrics_ms", "publish_ms", "read_ms"]);
  }, 60_000);
});

describe("abandoned staged attempts", () => {
  /** A staged batch owned by `pid`, which started at `started` (default: what /proc says of that pid). */
  function staged(db: DB, ingestedAt: Date, pid: number | null, started = pid === null ? null : processStart(pid)): number {
    const id = createBatch(db, { dataset: "default", ds: "2024-04-01", kind: "raw" });
    db.prepare(`UPDATE partitions SET ingested_at = ?, owner_pid = ?, owner_started = ? WHERE id = ?`).run(ingestedAt.toISOString(), pid, started, id);
    stageRows(db, id, [{ line: 2, logged_out_user_id: "1", event_ms: 0 }]);
    return id;
  }
  const rows = (db: DB, id: number) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(id) as { n: number }).n;

  it("are discarded by the next ingest when old and their process is gone or its pid reused; live or recent ones stay", async () => {
    const { db, dir } = tmpDb();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      const abandoned = staged(db, twoHoursAgo, dead);
      const noOwner = staged(db, twoHoursAgo, null);
      // Our own pid, but not staged by this process (written directly, as an earlier life of a
      // restarted container's PID 1 would have left it).
      const earlierLife = Number(
        db
          .prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, owner_pid) VALUES ('default', '2024-04-01', 'raw', 'staged', ?, ?)`)
          .run(twoHoursAgo.toISOString(), process.pid).lastInsertRowid,
      );
      const running = staged(db, twoHoursAgo, live.pid!);
      // The live process's pid, but a process that started at another time owned the batch: the pid was reused.
      const reusedPid = staged(db, twoHoursAgo, live.pid!, "1");
      const recent = staged(db, new Date(), dead);
      const r = await ingestFiles(db, cfg, [writeFile(dir, "d.ndjson", ndjsonText(days(DS, 20)))]);
      expect(r.published).toBe(true);
      const exists = (id: number) => db.prepare(`SELECT 1 FROM partitions WHERE id = ?`).get(id) !== undefined;
      expect([abandoned, noOwner, earlierLife, reusedPid].map(exists)).toEqual([false, false, false, false]);
      expect([abandoned, noOwner].map((id) => rows(db, id))).toEqual([0, 0]);
      const blocks = db.prepare(`SELECT COUNT(*) AS n FROM raw_blocks WHERE id >= ? AND id < ?`);
      expect([abandoned, noOwner].map((id) => blocks.get(rawRowid(id, 0), rawRowid(id + 1, 0)))).toEqual([{ n: 0 }, { n: 0 }]);
      expect([running, recent].map(exists)).toEqual([true, true]);
      expect([running, recent].map((id) => rows(db, id))).toEqual([1, 1]);
    } finally {
      live.kill();
      await once(live, "exit");
    }
  });
});
