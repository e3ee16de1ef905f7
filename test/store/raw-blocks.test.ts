/**
 * Raw rows are stored in blocks (src/store/raw-blocks.ts): what goes in must
 * come out of the fct_website_events view exactly, dropped rows must vanish
 * without shifting the others, and rows staged by the earlier one-row-per-event
 * schema must survive migration 007.
 */
import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { openDb, schemaVersion, type DB } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { createBatch, publishBatch } from "../../src/store/partitions.js";
import { rawRowid } from "../../src/store/raw-blocks.js";
import { stageRows, tmpDb, tmpDir, type RawRow } from "../ingest/helpers.js";

const DS = "2024-05-01";
const MS = Date.parse(`${DS}T13:14:15.678Z`);
const ROWS: RawRow[] = [
  { line: 3, user_id: "9223372036854775807", logged_out_user_id: "-9223372036854775808", event_ms: MS, dim_device_brand: "iPhone",
    other_properties: '{"url":"https://www.a.com/ç?q=\\"x\\"","utm_source":"linkedin"}' },
  { line: 4, logged_out_user_id: "-1", event_ms: MS + 1, action_type: "signup", dim_channel: "social_linkedin" },
  { line: 7, user_id: "42", logged_out_user_id: "1234567890123456789", event_ms: MS + 2, dim_country: "FR", other_properties: '{"é":"ü"}' },
];

function viewRows(db: DB, batchId: number) {
  return db
    .prepare(
      `SELECT line, CAST(user_id AS TEXT) AS user_id, CAST(logged_out_user_id AS TEXT) AS lou, typeof(logged_out_user_id) AS lou_type,
         dim_hostname, dim_country, dim_device_brand, action_type, event_timestamp, other_properties, dim_channel, ds
       FROM fct_website_events WHERE batch_id = ? ORDER BY line`,
    )
    .all(batchId);
}

describe("raw blocks", () => {
  it("give back every column exactly: 64-bit ids as integers, NULLs, escapes and non-ASCII text", () => {
    const { db } = tmpDb();
    const id = createBatch(db, { dataset: "default", ds: DS, kind: "raw" });
    stageRows(db, id, ROWS, { lineBase: 100 });
    expect(viewRows(db, id)).toEqual([
      { line: 103, user_id: "9223372036854775807", lou: "-9223372036854775808", lou_type: "integer", dim_hostname: "www.a.com", dim_country: "US",
        dim_device_brand: "iPhone", action_type: "page_visit", event_timestamp: "2024-05-01T13:14:15.678Z",
        other_properties: '{"url":"https://www.a.com/ç?q=\\"x\\"","utm_source":"linkedin"}', dim_channel: "direct", ds: DS },
      { line: 104, user_id: null, lou: "-1", lou_type: "integer", dim_hostname: "www.a.com", dim_country: "US", dim_device_brand: null,
        action_type: "signup", event_timestamp: "2024-05-01T13:14:15.679Z", other_properties: "{}", dim_channel: "social_linkedin", ds: DS },
      { line: 107, user_id: "42", lou: "1234567890123456789", lou_type: "integer", dim_hostname: "www.a.com", dim_country: "FR",
        dim_device_brand: null, action_type: "page_visit", event_timestamp: "2024-05-01T13:14:15.680Z", other_properties: '{"é":"ü"}',
        dim_channel: "direct", ds: DS },
    ]);
  });

  it("drop rows as null without moving the others, which stay addressable by sequence", () => {
    const { db } = tmpDb();
    const id = createBatch(db, { dataset: "default", ds: DS, kind: "raw" });
    const stager = stageRows(db, id, ROWS, { first: 10, dropped: [1] });
    expect(viewRows(db, id).map((r) => (r as { line: number }).line)).toEqual([3, 7]);
    expect(stager.row(10)).toMatchObject({ line: 3, user_id: "9223372036854775807", logged_out_user_id: "-9223372036854775808", dim_device_brand: "iPhone" });
    expect(stager.row(11)).toBeNull();
    expect(stager.row(12)).toMatchObject({ line: 7, dim_country: "FR", other_properties: '{"é":"ü"}' });
    expect(stager.row(13)).toBeNull();
    expect(db.prepare(`SELECT id FROM raw_blocks`).all()).toEqual([{ id: rawRowid(id, 10) }]);
  });
});

describe("migration 007", () => {
  it("moves rows of the one-row-per-event schema into blocks, published and staged alike", () => {
    const path = join(tmpDir(), "v6.db");
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((x) => x.version <= 6)) old.exec(m.sql);
    old.pragma("user_version = 6");
    const now = new Date().toISOString();
    const batch = (status: string) =>
      Number(old.prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at) VALUES ('default', ?, 'raw', ?, ?)`).run(DS, status, now).lastInsertRowid);
    const published = batch("published");
    const staged = batch("staged");
    const values = old.prepare(`INSERT INTO raw_values (batch_id, code, value) VALUES (?, ?, ?)`);
    const insert = old.prepare(
      `INSERT INTO raw_events (id, line, user_id, logged_out_user_id, action_code, hostname_code, country_code, device_code, channel_code, event_ms, other_properties)
       VALUES (?, ?, ?, ?, 0, 1, 2, ?, 3, ?, ?)`,
    );
    for (const b of [published, staged]) ["signup", "www.a.com", "DE", "direct", "Pixel"].forEach((v, c) => values.run(b, c, v));
    // 1500 rows: more than one block of the conversion; a gap in the sequence, as a rejected duplicate leaves.
    for (let i = 0; i < 1500; i++)
      insert.run(published * 2 ** 32 + i + (i >= 700 ? 1 : 0), i + 2, i === 0 ? null : BigInt(i), -9223372036854775808n + BigInt(i), i % 2 ? 4 : null, MS + i, i === 1 ? '{"a":"ü"}' : null);
    insert.run(staged * 2 ** 32, 2, null, 5n, null, MS, "{}");
    old.close();

    const db = openDb(path);
    expect(schemaVersion(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    const rows = db
      .prepare(`SELECT line, user_id, logged_out_user_id AS lou, dim_device_brand AS device, action_type, dim_hostname, dim_country, dim_channel, event_timestamp, other_properties FROM published_events ORDER BY line`)
      .safeIntegers(true)
      .all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1500);
    expect(rows[0]).toEqual({ line: 2n, user_id: null, lou: -9223372036854775808n, device: null, action_type: "signup", dim_hostname: "www.a.com",
      dim_country: "DE", dim_channel: "direct", event_timestamp: "2024-05-01T13:14:15.678Z", other_properties: "{}" });
    expect(rows[1]).toMatchObject({ line: 3n, user_id: 1n, lou: -9223372036854775807n, device: "Pixel", other_properties: '{"a":"ü"}' });
    expect(rows[1499]).toMatchObject({ line: 1501n, user_id: 1499n, lou: -9223372036854775808n + 1499n });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(staged)).toEqual({ n: 1 });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('raw_events', 'raw_values')`).all()).toEqual([]);
    // The converted day stays an ordinary batch: replacing it removes its blocks.
    const next = createBatch(db, { dataset: "default", ds: DS, kind: "raw" });
    publishBatch(db, next);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM raw_blocks WHERE id >= ? AND id < ?`).get(rawRowid(published, 0), rawRowid(published + 1, 0))).toEqual({ n: 0 });
  });
});
