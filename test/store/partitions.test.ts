import { describe, expect, it } from "vitest";
import type { DB } from "../../src/store/db.js";
import {
  applyRetention,
  batchChecks,
  createBatch,
  dayStatus,
  insertAggRows,
  insertChecks,
  latestPublishedDs,
  listDatasets,
  publishBatch,
  publishedBatch,
  publishedDays,
  publishedHostTotals,
  rejectBatch,
} from "../../src/store/partitions.js";
import type { AggRow } from "../../src/shared/types.js";
import { stageRows, tmpDb } from "../ingest/helpers.js";

/** Stages `n` raw rows the way the ingest stores them, with the batch's counts. */
function stageRaw(db: DB, ds: string, n: number, dataset = "default"): number {
  const id = createBatch(db, { dataset, ds, kind: "raw", source_file: "x", checksum: null });
  const ms = Date.parse(`${ds}T00:00:00.000Z`);
  stageRows(db, id, Array.from({ length: n }, (_, i) => ({ line: i + 2, logged_out_user_id: String(i), event_ms: ms })));
  db.prepare(`UPDATE partitions SET rows_read = ?, rows_loaded = ? WHERE id = ?`).run(n, n, id);
  return id;
}

function hostAgg(ds: string, host: string, n: number): AggRow {
  return {
    ds, aggregation_level: "daily_hostname_total", action_type: null, dim_hostname: host, dim_country: null, dim_device_brand: null,
    dim_channel: null, dim_product_type: null, dim_app_version: null, event_hour: null, m_total_events: n, m_unique_visitors: n, m_unique_users: 0, m_visits: n,
  };
}

const count = (db: DB, sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

describe("partition registry", () => {
  it("publishes one batch per day and replaces the previous one in one step", () => {
    const { db } = tmpDb();
    const a = stageRaw(db, "2024-05-01", 3);
    expect(dayStatus(db, "default", "2024-05-01")).toBe("missing");
    expect(count(db, `SELECT COUNT(*) AS n FROM published_events`)).toBe(0);
    expect(publishBatch(db, a).replaced).toBeNull();
    expect(count(db, `SELECT COUNT(*) AS n FROM published_events WHERE ds = '2024-05-01'`)).toBe(3);
    const b = stageRaw(db, "2024-05-01", 5);
    // Staged rows stay invisible while the old batch is still the published one.
    expect(count(db, `SELECT COUNT(*) AS n FROM published_events WHERE ds = '2024-05-01'`)).toBe(3);
    expect(publishBatch(db, b).replaced).toBe(a);
    expect(publishedBatch(db, "default", "2024-05-01")?.id).toBe(b);
    expect(count(db, `SELECT COUNT(*) AS n FROM published_events WHERE ds = '2024-05-01'`)).toBe(5);
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`, a)).toBe(0);
    expect((db.prepare(`SELECT status FROM partitions WHERE id = ?`).get(a) as { status: string }).status).toBe("replaced");
    expect(() => publishBatch(db, a)).toThrow(/replaced/);
  });

  it("reports rejected days, keeps their staged rows, and lists published days", () => {
    const { db } = tmpDb();
    publishBatch(db, stageRaw(db, "2024-05-01", 1));
    const bad = stageRaw(db, "2024-05-02", 4);
    rejectBatch(db, bad);
    expect(dayStatus(db, "default", "2024-05-02")).toBe("rejected");
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`, bad)).toBe(4);
    // A failed re-ingest of a published day does not hide the published data.
    rejectBatch(db, stageRaw(db, "2024-05-01", 2));
    expect(dayStatus(db, "default", "2024-05-01")).toBe("published");
    expect(dayStatus(db, "default", "2024-05-03")).toBe("missing");
    publishBatch(db, stageRaw(db, "2024-05-04", 1, "other"));
    expect(latestPublishedDs(db, "default")).toBe("2024-05-01");
    expect(publishedDays(db, "default")).toEqual(["2024-05-01"]);
    expect(publishedDays(db, "other", "2024-05-02", "2024-05-09")).toEqual(["2024-05-04"]);
    expect(listDatasets(db)).toEqual(["default", "other"]);
  });

  it("round-trips check results", () => {
    const { db } = tmpDb();
    const id = stageRaw(db, "2024-05-01", 0);
    const checks = [
      { name: "not_null", table: "fct_website_events" as const, severity: "error" as const, status: "pass" as const, observed: 0, threshold: 0, message: "ok" },
      { name: "host_volume_wow", table: "fct_website_events" as const, severity: "warn" as const, status: "skipped" as const, observed: null, threshold: "x", message: "none" },
    ];
    insertChecks(db, id, checks);
    expect(batchChecks(db, id)).toEqual(checks);
  });

  it("retention deletes old raw rows only; the host totals stay readable from the aggregate", () => {
    const { db } = tmpDb();
    const old = stageRaw(db, "2024-04-01", 3);
    insertAggRows(db, old, [hostAgg("2024-04-01", "www.a.com", 3)]);
    publishBatch(db, old);
    const recent = stageRaw(db, "2024-05-09", 2);
    publishBatch(db, recent);
    const inFlight = stageRaw(db, "2024-03-01", 2); // an ingest still running for an old day
    const r = applyRetention(db, { name: "default", retention_days: 30 }, new Date("2024-05-10T12:00:00Z"));
    expect(r).toEqual({ batches: 1, rows: 3 });
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`, old)).toBe(0);
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`, recent)).toBe(2);
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`, inFlight)).toBe(2);
    expect(count(db, `SELECT raw_expired AS n FROM partitions WHERE id = ?`, old)).toBe(1);
    expect(dayStatus(db, "default", "2024-04-01")).toBe("published");
    expect(publishedHostTotals(db, "default", "2024-04-01")).toEqual(new Map([["www.a.com", 3]]));
    expect(applyRetention(db, { name: "default", retention_days: null })).toEqual({ batches: 0, rows: 0 });
  });

  it("the unique index refuses a second published batch even if code forgot to demote the first", () => {
    const { db } = tmpDb();
    publishBatch(db, stageRaw(db, "2024-05-01", 1));
    const b = stageRaw(db, "2024-05-01", 1);
    expect(() => db.prepare(`UPDATE partitions SET status = 'published' WHERE id = ?`).run(b)).toThrow(/UNIQUE/);
  });
});

describe("discardBatch", () => {
  it("removes a staged attempt entirely but never a batch that reached a verdict", async () => {
    const { discardBatch } = await import("../../src/store/partitions.js");
    const { db } = tmpDb();
    const pub = stageRaw(db, "2024-05-01", 2);
    publishBatch(db, pub);
    const staged = stageRaw(db, "2024-05-01", 3);
    discardBatch(db, staged);
    discardBatch(db, pub);
    expect(count(db, `SELECT COUNT(*) AS n FROM partitions`)).toBe(1);
    expect(count(db, `SELECT COUNT(*) AS n FROM fct_website_events`)).toBe(2);
    expect(dayStatus(db, "default", "2024-05-01")).toBe("published");
  });
});
