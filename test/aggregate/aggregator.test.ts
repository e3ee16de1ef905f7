import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/aggregate/aggregator.js";
import { DEFAULT_LEVELS, GROUP_COLUMNS, type GroupColumn, type LevelDef } from "../../src/aggregate/levels.js";
import { ID_INT64, ID_STRING, ID_UINT64, IdTable, splitIntId } from "../../src/events/id-table.js";
import type { AggRow, EventRow } from "../../src/shared/types.js";
import { countLevel, type LevelJob, type SortedEvents } from "../../src/aggregate/level-count.js";
import { eventsDb, makeEvents, referenceVisits } from "./helpers.js";

const DS = "2024-05-07";

function aggregate(events: EventRow[], levels?: LevelDef[]): AggRow[] {
  const agg = new Aggregator(levels);
  events.forEach((e) => agg.add(e));
  return agg.rows(DS);
}

/** Canonical text of a slice so two row sets compare regardless of order. */
function canon(r: object, cols: readonly string[]): string {
  const v = r as Record<string, unknown>;
  return JSON.stringify([...cols.map((c) => v[c] ?? null), Number(v.m_total_events), Number(v.m_unique_visitors), Number(v.m_unique_users), Number(v.m_visits)]);
}

/** The oracle: one plain GROUP BY per level over the raw events. */
function expectedLevel(db: ReturnType<typeof eventsDb>, level: LevelDef): string[] {
  const cols = level.columns;
  const select = cols.length ? cols.join(", ") + "," : "";
  const groupBy = cols.length ? `GROUP BY ${cols.join(", ")}` : "";
  const rows = db
    .prepare(
      `SELECT ${select} COUNT(*) AS m_total_events, COUNT(DISTINCT logged_out_user_id) AS m_unique_visitors,
              COUNT(DISTINCT user_id) AS m_unique_users, SUM(visit_start) AS m_visits FROM evh ${groupBy}`,
    )
    .all() as Record<string, unknown>[];
  return rows.filter((r) => Number(r.m_total_events) > 0).map((r) => canon(r, cols)).sort();
}

function checkAgainstSql(events: EventRow[], channels: string[], starts: boolean[], levels: LevelDef[]): void {
  const rows = aggregate(events, levels);
  const db = eventsDb(events, channels, starts);
  for (const level of levels) {
    const mine = rows.filter((r) => r.aggregation_level === level.name);
    // Columns the level does not group by are NULL on its rows.
    for (const r of mine) {
      expect(r.ds).toBe(DS);
      for (const c of GROUP_COLUMNS) if (!level.columns.includes(c)) expect(r[c as GroupColumn], `${level.name}.${c}`).toBeNull();
    }
    expect(mine.map((r) => canon(r, level.columns)).sort(), `level ${level.name}`).toEqual(expectedLevel(db, level));
  }
  db.close();
}

describe("Aggregator", () => {
  it("builds every default level exactly as GROUP BY over the raw events (counts and exact distincts)", () => {
    const { events, channels, starts } = makeEvents(DS, 4000, 7);
    checkAgainstSql(events, channels, starts, DEFAULT_LEVELS);
  });

  it("writes every level explicitly and each level covers every event once", () => {
    const { events } = makeEvents(DS, 1500, 3);
    const rows = aggregate(events);
    const levels = new Set(rows.map((r) => r.aggregation_level));
    expect([...levels].sort()).toEqual(DEFAULT_LEVELS.map((l) => l.name).sort());
    for (const l of levels) expect(rows.filter((r) => r.aggregation_level === l).reduce((s, r) => s + r.m_total_events, 0)).toBe(events.length);
  });

  it("keeps 64-bit ids distinct even when they round to the same double", () => {
    const base = { line: 1, user_id: null, dim_hostname: "www.example.com", dim_country: "US", dim_device_brand: null, action_type: "login", event_ms: Date.parse(`${DS}T10:00:00Z`), other_properties: {}, ds: DS };
    const ids = ["9223372036854775807", "9223372036854775806", "-9223372036854775808", "-9223372036854775807", "9007199254740993", "9007199254740992", "0", "-1", "1"];
    expect(new Set(ids.map(Number)).size).toBeLessThan(ids.length); // the doubles do collide
    const events = [...ids, ...ids].map((id, i) => ({ ...base, line: i + 1, logged_out_user_id: id, user_id: id }));
    const rows = aggregate(events);
    const total = rows.find((r) => r.aggregation_level === "daily_total")!;
    expect(total.m_total_events).toBe(ids.length * 2);
    expect(total.m_unique_visitors).toBe(ids.length);
    expect(total.m_unique_users).toBe(ids.length);
  });

  it("handles levels with more than four columns and key spaces too large for a direct table", () => {
    const { events } = makeEvents(DS, 3000, 11);
    // 400 countries × 400 hosts × 24 hours × 5 actions > 4M keys: the Map path.
    const wide = events.map((e, i) => ({ ...e, dim_country: `C${i % 400}`, dim_hostname: `h${(i * 7) % 400}.example.com` }));
    const levels: LevelDef[] = [
      { name: "wide", columns: ["action_type", "dim_hostname", "dim_country", "event_hour"] },
      { name: "six", columns: ["action_type", "dim_hostname", "dim_device_brand", "dim_channel", "dim_product_type", "dim_app_version"] },
    ];
    const { channels, starts } = referenceVisits(wide);
    checkAgainstSql(wide, channels, starts, levels);
  });

  it("returns no rows for no events, and the same rows when asked twice", () => {
    expect(new Aggregator().rows(DS)).toEqual([]);
    const { events } = makeEvents(DS, 200, 5);
    const agg = new Aggregator();
    events.forEach((e) => agg.add(e));
    expect(agg.rows(DS)).toEqual(agg.rows(DS));
  });
});

describe("rowsWith", () => {
  it("gives exactly rows() when another party counts every other level, over shared memory", async () => {
    const { events } = makeEvents(DS, 3000, 11);
    const plain = new Aggregator();
    const split = new Aggregator();
    events.forEach((e) => {
      plain.add(e);
      split.add(e);
    });
    let offloaded = 0;
    const offload = async (jobs: LevelJob[], data: SortedEvents) => {
      offloaded = jobs.length;
      expect(data.visitors.buffer).toBeInstanceOf(SharedArrayBuffer);
      const slotOf = new Int32Array(data.visitors.length);
      return jobs.map((j) => countLevel(j, data, slotOf));
    };
    const rows = await split.rowsWith(DS, offload);
    expect(offloaded).toBe(Math.floor(split.levels.length / 2));
    expect(rows).toEqual(plain.rows(DS));
  });

  it("counts the other levels itself when the other thread fails", async () => {
    const { events } = makeEvents(DS, 500, 4);
    const plain = new Aggregator();
    const split = new Aggregator();
    events.forEach((e) => {
      plain.add(e);
      split.add(e);
    });
    const rows = await split.rowsWith(DS, () => Promise.reject(new Error("the aggregation worker stopped (exit 1) before finishing")));
    expect(rows).toEqual(plain.rows(DS));
  });
});

describe("IdTable", () => {
  it("assigns one dense id per distinct 64-bit value, through rehashes", () => {
    const t = new IdTable(16);
    const values: bigint[] = [];
    for (let i = 0; i < 20_000; i++) values.push((i % 2 ? -1n : 1n) * (9007199254740000n + BigInt(i) * 1_000_003n));
    const ids = values.map((v) => t.intern(String(v)));
    expect(t.size).toBe(values.length);
    expect(new Set(ids).size).toBe(values.length);
    expect(values.map((v) => t.intern(String(v)))).toEqual(ids);
    expect(t.intern("+42")).toBe(t.intern("42"));
    expect(t.intern("-0")).toBe(t.intern("0"));
  });

  it("keeps unsigned 64-bit, signed and opaque string ids apart, exactly", () => {
    const t = new IdTable(16);
    const ids = [
      "18446744073709551615",
      "-1",
      "9223372036854775808",
      "-9223372036854775808",
      "9223372036854775807",
      "1",
      "00000000-0000-0000-0000-000000000001",
      "GA1.2.1.1",
      "18446744073709551616", // beyond 2^64 − 1: an opaque string, not a wrapped integer
      "0",
    ];
    const dense = ids.map((id) => t.intern(id));
    expect(new Set(dense).size).toBe(ids.length);
    expect(ids.map((id) => t.intern(id))).toEqual(dense);
    expect(t.size).toBe(ids.length);
    const out = new Float64Array(3);
    expect(splitIntId("18446744073709551615", out, 0)).toBe(ID_UINT64);
    expect(splitIntId("9223372036854775807", out, 0)).toBe(ID_INT64);
    expect(splitIntId("-9223372036854775809", out, 0)).toBe(ID_STRING);
    expect(splitIntId("18446744073709551616", out, 0)).toBe(ID_STRING);
    expect(splitIntId("12a", out, 0)).toBe(ID_STRING);
  });
});
