import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { dayStatus } from "../../src/store/partitions.js";
import type { DB } from "../../src/store/db.js";
import { csvText, days, event, ndjsonLine, ndjsonText, tmpDb, writeFile, type Ev } from "./helpers.js";

const DS = "2024-05-01";
const cfg = defaultDatasetConfig();

/** Published raw rows read back exactly (ids cast to text in SQL, so no JS rounding on the way). */
function publishedRows(db: DB, ds = DS) {
  return db
    .prepare(
      `SELECT line, CAST(user_id AS TEXT) AS user_id, CAST(logged_out_user_id AS TEXT) AS lou, typeof(logged_out_user_id) AS t,
              dim_hostname, dim_country, dim_device_brand, action_type, event_timestamp, other_properties, dim_channel
       FROM published_events WHERE dataset = 'default' AND ds = ? ORDER BY line`,
    )
    .all(ds) as Record<string, unknown>[];
}

function expectedIso(e: Ev): string {
  const t = e.event_timestamp!;
  return new Date(t.includes("T") ? t : t.replace(" ", "T") + "Z").toISOString();
}

describe("ingest: formats and exact values", () => {
  it("publishes NDJSON with 64-bit ids kept exact, both timestamp forms and aliases", async () => {
    const { db, dir } = tmpDb();
    const evs = days(DS, 40);
    evs[3] = { ...evs[3], action_type: " Log-in " };
    evs[4] = { ...evs[4], logged_out_user_id: "-9223372036854775808" };
    const file = writeFile(dir, "day.ndjson", ndjsonText(evs));
    const r = await ingestFiles(db, cfg, [file]);
    expect(r).toMatchObject({ ds: DS, dataset: "default", published: true, rows_read: 40, rows_loaded: 40, rows_rejected: 0, duplicates: 0 });
    const rows = publishedRows(db);
    expect(rows.length).toBe(40);
    rows.forEach((row, i) => {
      expect(row.line).toBe(i + 1);
      expect(row.t).toBe("integer");
      expect(row.lou).toBe(evs[i].logged_out_user_id);
      expect(row.user_id).toBe(evs[i].user_id ?? null);
      expect(row.event_timestamp).toBe(expectedIso(evs[i]));
      expect(row.dim_device_brand).toBe(evs[i].dim_device_brand ?? null);
    });
    expect(rows[3].action_type).toBe("login");
    expect(dayStatus(db, "default", DS)).toBe("published");
    const names = r.checks.map((c) => c.name);
    for (const n of ["not_null", "duplicates", "hostname_format", "action_enum", "timestamp_in_day", "ds_consistency", "host_volume_wow"])
      expect(names).toContain(n);
  });

  it("reads gzip CSV with CRLF, a BOM, blank lines and no final newline, detected by content not name", async () => {
    const { db, dir } = tmpDb();
    const evs = days(DS, 12);
    let text = "\uFEFF" + csvText(evs, "\r\n");
    text = text.replace(/\r\n$/, ""); // no final newline
    const lines = text.split("\r\n");
    lines.splice(5, 0, ""); // blank physical line 6
    const file = writeFile(dir, "export.data", lines.join("\r\n"), true);
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.published).toBe(true);
    expect(r.rows_loaded).toBe(12);
    const rows = publishedRows(db);
    // Physical lines: header = 1, the blank line 6 shifts later rows by one.
    expect(rows.map((x) => x.line)).toEqual([2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14]);
    rows.forEach((row, i) => {
      expect(row.lou).toBe(evs[i].logged_out_user_id);
      expect(JSON.parse(row.other_properties as string)).toEqual(evs[i].other_properties);
    });
  });

  it("reads gzip NDJSON with CRLF and a BOM; --format overrides detection", async () => {
    const { db, dir } = tmpDb();
    const evs = days(DS, 6);
    const file = writeFile(dir, "a.csv", "\uFEFF" + evs.map(ndjsonLine).join("\r\n\r\n"), true);
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.rows_loaded).toBe(6);
    expect(publishedRows(db).map((x) => x.line)).toEqual([1, 3, 5, 7, 9, 11]);
    // Forcing CSV on NDJSON content is a clear usage error, not a crash.
    await expect(ingestFiles(db, cfg, [file], { format: "csv" })).rejects.toThrow(/a\.csv: line 1: (not valid CSV|the CSV header lacks)/);
  });

  it("several files form one partition; channels are derived", async () => {
    const { db, dir } = tmpDb();
    const a = writeFile(dir, "a.ndjson", ndjsonText(days(DS, 5)));
    const b = writeFile(dir, "b.csv", csvText(days(DS, 5, 5)));
    const r = await ingestFiles(db, cfg, [a, b]);
    expect(r.rows_loaded).toBe(10);
    const ch = db.prepare(`SELECT dim_channel AS c, COUNT(*) AS n FROM published_events GROUP BY 1 ORDER BY 1`).all();
    expect(ch).toEqual([
      { c: "linkedin", n: 4 },
      { c: "search", n: 3 },
      { c: "x", n: 3 },
    ]);
  });
});

describe("ingest: row checks", () => {
  it("rejects bad rows with their line and reason; tolerance decides whether the partition is published", async () => {
    const { db, dir } = tmpDb();
    const evs: Ev[] = days(DS, 20);
    evs[2] = { ...evs[2], action_type: "clicked" };
    evs[5] = { ...evs[5], dim_hostname: "WWW.Example.com" };
    evs[7] = { ...evs[7], dim_country: null };
    evs[9] = { ...evs[9], event_timestamp: "2024-05-02T00:00:00Z" };
    evs[11] = { ...evs[11], ds: "2024-05-02" };
    evs[13] = { ...evs[13], logged_out_user_id: "18446744073709551616" }; // 2^64, as a JSON number
    const lines = evs.map(ndjsonLine);
    lines.push(lines[0]); // exact duplicate of line 1 → line 21
    lines.push("{not json"); // line 22
    const file = writeFile(dir, "bad.ndjson", lines.join("\n"));
    const r = await ingestFiles(db, cfg, [file], { ds: DS });
    expect(r.published).toBe(false);
    expect(r.rows_read).toBe(22);
    expect(r.rows_rejected).toBe(8);
    expect(r.rows_loaded).toBe(14);
    expect(r.duplicates).toBe(1);
    const reasons = Object.fromEntries(r.rejects_sample.map((x) => [x.line, x.reason]));
    expect(reasons[3]).toMatch(/action_type "clicked" is not one of/);
    expect(reasons[6]).toMatch(/dim_hostname "WWW.Example.com" is not a lower-case host name/);
    expect(reasons[8]).toMatch(/dim_country is empty/);
    expect(reasons[10]).toMatch(/outside the partition day 2024-05-01/);
    expect(reasons[12]).toMatch(/ds 2024-05-02 differs/);
    expect(reasons[14]).toMatch(/logged_out_user_id: expected a 64-bit integer \(signed or unsigned\) or a string/);
    expect(reasons[21]).toMatch(/duplicate event key .* of line 1\./);
    expect(reasons[22]).toMatch(/malformed JSON/);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    for (const n of ["action_enum", "hostname_format", "not_null", "timestamp_in_day", "ds_consistency", "duplicates", "row_format"])
      expect(byName[n].status, n).toBe("fail");
    expect(byName.duplicates.message).toMatch(/1 of 22 rows .* first at bad.ndjson line 21/);
    expect(dayStatus(db, "default", DS)).toBe("rejected");
    // Staged rows and rejects are kept for inspection.
    const staged = db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(r.batch_id) as { n: number };
    expect(staged.n).toBe(14);
    const stored = db.prepare(`SELECT line FROM rejects WHERE batch_id = ? ORDER BY line`).all(r.batch_id) as { line: number }[];
    expect(stored.map((x) => x.line)).toEqual([3, 6, 8, 10, 12, 14, 21, 22]);
    const status = db.prepare(`SELECT status, rows_rejected FROM partitions WHERE id = ?`).get(r.batch_id);
    expect(status).toEqual({ status: "rejected", rows_rejected: 8 });
  });

  it("a tolerance or a warn severity lets the partition publish without the bad rows", async () => {
    const { db, dir } = tmpDb();
    const config = resolveDataset(parseConfig({ checks: { action_enum: { tolerance: 0.1 }, hostname_format: { severity: "warn" } } }), "default");
    const evs = days(DS, 20);
    evs[0] = { ...evs[0], action_type: "clicked" };
    evs[1] = { ...evs[1], dim_hostname: "bad_host" };
    const r = await ingestFiles(db, config, [writeFile(dir, "x.ndjson", ndjsonText(evs))]);
    expect(r.published).toBe(true);
    expect(r.rows_loaded).toBe(18);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName.action_enum).toMatchObject({ status: "warn", observed: 0.05, threshold: 0.1 });
    expect(byName.hostname_format).toMatchObject({ status: "warn", severity: "warn" });
    expect(publishedRows(db).length).toBe(18);
  });

  it("duplicates use the event key, not logged_out_user_id alone", async () => {
    const { db, dir } = tmpDb();
    const base = event(1, DS);
    const evs = [
      base,
      { ...base, event_timestamp: `${DS}T23:59:59Z` }, // same visitor, later event: not a duplicate
      { ...base, other_properties: { event_id: "other" } }, // same key fields but another event_id
      { ...base, event_timestamp: base.event_timestamp!.replace("Z", "+00:00") }, // same instant, other spelling: duplicate
    ];
    const r = await ingestFiles(db, cfg, [writeFile(dir, "d.ndjson", ndjsonText(evs))]);
    expect(r.duplicates).toBe(1);
    expect(r.rejects_sample).toEqual([{ line: 4, reason: expect.stringMatching(/of line 1\./) }]);
  });
});

describe("ingest: ds rules", () => {
  it("takes ds from --ds, else the rows, else the path; rows disagreeing with the path are a usage error", async () => {
    const { db, dir } = tmpDb();
    const noDs = days(DS, 4).map(({ ds: _ds, ...e }) => e);
    mkdirSync(join(dir, "ds=2024-05-01"));
    const byPath = writeFile(dir, "ds=2024-05-01/part.ndjson", ndjsonText(noDs));
    expect((await ingestFiles(db, cfg, [byPath])).ds).toBe(DS);
    const byRows = writeFile(dir, "rows.ndjson", ndjsonText(days("2024-05-02", 4)));
    expect((await ingestFiles(db, cfg, [byRows])).ds).toBe("2024-05-02");
    mkdirSync(join(dir, "ds=2024-05-03"));
    const clash = writeFile(dir, "ds=2024-05-03/part.ndjson", ndjsonText(days("2024-05-02", 4)));
    await expect(ingestFiles(db, cfg, [clash])).rejects.toThrow(/line 1: the rows say ds 2024-05-02 but the path says ds=2024-05-03; pass --ds/);
    const none = writeFile(dir, "none.ndjson", ndjsonText(noDs));
    await expect(ingestFiles(db, cfg, [none])).rejects.toThrow(/none\.ndjson: no ds for this partition/);
    // --ds wins; the rows' own ds must then agree row by row (ds_consistency).
    const r = await ingestFiles(db, cfg, [byRows], { ds: "2024-05-03" });
    expect(r.published).toBe(false);
    expect(r.checks.find((c) => c.name === "ds_consistency")?.status).toBe("fail");
    expect(db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE ds = '2024-05-03' AND status = 'staged'`).get()).toEqual({ n: 0 });
  });
});

describe("ingest: re-ingest and week over week", () => {
  it("re-ingesting a day replaces it; the host check compares with last week's published aggregate", async () => {
    const { db, dir } = tmpDb();
    const prev = "2024-04-24";
    const config = resolveDataset(parseConfig({ checks: { host_volume_wow: { min_rows: 10, max_change: 0.5 } } }), "default");
    await ingestFiles(db, config, [writeFile(dir, "p.ndjson", ndjsonText(days(prev, 60)))]);
    const first = await ingestFiles(db, config, [writeFile(dir, "d1.ndjson", ndjsonText(days(DS, 60)))]);
    expect(first.checks.find((c) => c.name === "host_volume_wow")).toMatchObject({ status: "pass", observed: 0 });
    // Second export of the same day: shop.example.com lost most of its traffic, a new host appeared.
    const evs = days(DS, 60).filter((e, i) => e.dim_hostname === "www.example.com" || i < 10);
    evs.push(event(999, DS, { dim_hostname: "new.example.com" }));
    const second = await ingestFiles(db, config, [writeFile(dir, "d2.ndjson", ndjsonText(evs))]);
    const wow = second.checks.find((c) => c.name === "host_volume_wow")!;
    expect(wow.status).toBe("warn");
    expect(wow.observed).toBeCloseTo((5 - 30) / 30, 6);
    expect(wow.message).toMatch(/shop\.example\.com 30 → 5/);
    expect(wow.message).toMatch(/new\.example\.com/);
    expect(second.published).toBe(true);
    const rows = db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(DS) as { n: number };
    expect(rows.n).toBe(evs.length);
    const statuses = db.prepare(`SELECT status FROM partitions WHERE ds = ? ORDER BY id`).all(DS);
    expect(statuses).toEqual([{ status: "replaced" }, { status: "published" }]);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(first.batch_id)).toEqual({ n: 0 });
  });

  it("retention drops old raw rows after publish and the host check still reads last week", async () => {
    const { db, dir } = tmpDb();
    const config = resolveDataset(parseConfig({ retention_days: 3, checks: { host_volume_wow: { min_rows: 10 } } }), "default");
    const prev = await ingestFiles(db, config, [writeFile(dir, "p.ndjson", ndjsonText(days("2024-04-24", 60)))], { now: new Date("2024-04-25T00:00:00Z") });
    const r = await ingestFiles(db, config, [writeFile(dir, "d.ndjson", ndjsonText(days(DS, 60)))], { now: new Date("2024-05-02T00:00:00Z") });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(prev.batch_id)).toEqual({ n: 0 });
    expect(db.prepare(`SELECT raw_expired FROM partitions WHERE id = ?`).get(prev.batch_id)).toEqual({ raw_expired: 1 });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM published_agg WHERE batch_id = ?`).get(prev.batch_id)).not.toEqual({ n: 0 });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(r.batch_id)).toEqual({ n: 60 });
    // After expiry, a re-ingest of the day still compares hosts with last week.
    const again = await ingestFiles(db, config, [writeFile(dir, "d2.ndjson", ndjsonText(days(DS, 60)))], { now: new Date("2024-05-02T00:00:00Z") });
    expect(again.checks.find((c) => c.name === "host_volume_wow")).toMatchObject({ status: "pass", observed: 0 });
  });
});

describe("ingest: duplicates across insert groups and chunks", () => {
  it("finds repeats of events staged long before, and keeps distinct events with equal visitor ids", async () => {
    const { db, dir } = tmpDb();
    const evs = days(DS, 300);
    const lines = evs.map(ndjsonLine);
    lines.push(lines[0], lines[150], lines[299]); // lines 301-303 repeat 1, 151, 300
    const r = await ingestFiles(db, cfg, [writeFile(dir, "many.ndjson", lines.join("\n"))], { ds: DS });
    expect(r.duplicates).toBe(3);
    expect(r.rejects_sample.map((x) => [x.line, /of line (\d+)\./.exec(x.reason)![1]])).toEqual([
      [301, "1"],
      [302, "151"],
      [303, "300"],
    ]);
    // Independent check: no event key appears twice among the staged rows.
    const twice = db
      .prepare(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM fct_website_events WHERE batch_id = ?
         GROUP BY logged_out_user_id, action_type, event_timestamp, dim_hostname, json_extract(other_properties, '$.event_id') HAVING COUNT(*) > 1)`,
      )
      .get(r.batch_id);
    expect(twice).toEqual({ n: 0 });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(r.batch_id)).toEqual({ n: 300 });
  });
});
