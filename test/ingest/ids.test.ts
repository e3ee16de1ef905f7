/** Visitor and user ids of every form trackers write (docs/ingest.md, "Visitor ids"): counted exactly, kept as written. */
import { describe, expect, it } from "vitest";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import type { DB } from "../../src/store/db.js";
import { csvText, event, ndjsonLine, tmpDb, writeFile, type Ev } from "./helpers.js";

const DS = "2024-05-01";
const cfg = defaultDatasetConfig();

/** The ids of one visitor each: every pair differs, though several collide as numbers, as hashes or as text. */
const IDS = [
  "18446744073709551615", // 2^64 − 1
  "-1",
  "9223372036854775808", // 2^63: beyond int64
  "-9223372036854775808",
  "9223372036854775807",
  "9007199254740993", // 2^53 + 1
  "9007199254740992",
  "0",
  "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  "3F2504E0-4F89-41D3-9A0C-0305E82C3301", // case matters: another cookie
  "GA1.2.1234567890.1700000000",
  "anon,with \"quotes\", commas and ü",
  "123456789012345678901234567890", // digits beyond 64 bits: an opaque id
  "x".repeat(128),
];

function visitors(db: DB): { daily: number; users: number; stored: { lou: string; t: string }[] } {
  const daily = db
    .prepare(`SELECT SUM(m_unique_visitors) AS n FROM published_agg WHERE ds = ? AND aggregation_level = 'daily' AND action_type = 'page_visit'`)
    .get(DS) as { n: number };
  const users = db
    .prepare(`SELECT SUM(m_unique_users) AS n FROM published_agg WHERE ds = ? AND aggregation_level = 'daily' AND action_type = 'login'`)
    .get(DS) as { n: number };
  const stored = db
    .prepare(`SELECT CAST(logged_out_user_id AS TEXT) AS lou, typeof(logged_out_user_id) AS t FROM published_events WHERE ds = ? ORDER BY line`)
    .all(DS) as { lou: string; t: string }[];
  return { daily: daily.n, users: users.n, stored };
}

/** Two page visits per id (the second written in another form where one exists), and one login whose user_id is the same id. */
function eventsFor(ids: string[]): Ev[] {
  const out: Ev[] = [];
  ids.forEach((id, k) => {
    const base = { action_type: "page_visit", user_id: null, dim_device_brand: "iPhone" };
    out.push(event(3 * k, DS, { ...base, logged_out_user_id: id }));
    out.push(event(3 * k + 1, DS, { ...base, logged_out_user_id: id }));
    out.push(event(3 * k + 2, DS, { ...base, action_type: "login", logged_out_user_id: id, user_id: id }));
  });
  return out;
}

describe("visitor ids of any form", () => {
  it("counts signed, unsigned, UUID and cookie ids exactly in NDJSON, numbers and strings alike, and keeps them as written", async () => {
    const { db, dir } = tmpDb();
    const evs = eventsFor(IDS);
    // Integers both as bare JSON numbers (ndjsonLine) and as JSON strings: the same visitor.
    const lines = evs.map((e, i) => {
      // Digits beyond 64 bits are an id only as a string (as a JSON number they are refused, see below).
      const line = ndjsonLine(e).replaceAll(":123456789012345678901234567890", ':"123456789012345678901234567890"');
      return i % 3 === 1 ? line.replace(/"logged_out_user_id":(-?\d+)/, '"logged_out_user_id":"$1"') : line;
    });
    const file = writeFile(dir, "ids.ndjson", lines.join("\n") + "\n");
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.rows_rejected).toBe(0);
    expect(r.published).toBe(true);
    const v = visitors(db);
    expect(v.daily).toBe(IDS.length);
    expect(v.users).toBe(IDS.length);
    expect(new Set(v.stored.map((s) => s.lou))).toEqual(new Set(IDS));
    // Signed 64-bit integers stay SQLite integers; the rest are text, never a rounded real.
    const typeOf = new Map(v.stored.map((s) => [s.lou, s.t]));
    expect(typeOf.get("-1")).toBe("integer");
    expect(typeOf.get("9223372036854775807")).toBe("integer");
    expect(typeOf.get("18446744073709551615")).toBe("text");
    expect(typeOf.get("9223372036854775808")).toBe("text");
    expect(typeOf.get("GA1.2.1234567890.1700000000")).toBe("text");
    expect([...typeOf.values()]).not.toContain("real");
  });

  it("counts the same ids exactly from CSV, where every id is text", async () => {
    const { db, dir } = tmpDb();
    const file = writeFile(dir, "ids.csv", csvText(eventsFor(IDS)));
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.rows_rejected).toBe(0);
    const v = visitors(db);
    expect(v.daily).toBe(IDS.length);
    expect(new Set(v.stored.map((s) => s.lou))).toEqual(new Set(IDS));
  });

  it("finds duplicates among string ids exactly, and a UUID written twice is one visitor", async () => {
    const { db, dir } = tmpDb();
    const a = event(1, DS, { logged_out_user_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", action_type: "page_visit" });
    const b = { ...a, logged_out_user_id: "3F2504E0-4F89-41D3-9A0C-0305E82C3301" };
    const file = writeFile(dir, "dup.ndjson", [a, b, a].map(ndjsonLine).join("\n") + "\n");
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.duplicates).toBe(1);
    expect(r.rejects_sample[0].line).toBe(3);
    expect(r.rows_loaded).toBe(2);
  });

  it("refuses an id that is too long, blank, a fraction or a number beyond 64 bits, naming the line and the field", async () => {
    const { db, dir } = tmpDb();
    const good = (i: number, over: Ev) => ndjsonLine(event(i, DS, over));
    const lines = [
      good(0, {}),
      good(1, { logged_out_user_id: "y".repeat(129) }),
      good(2, {}).replace(/"logged_out_user_id":-?\d+/, '"logged_out_user_id":12.5'),
      good(3, {}).replace(/"logged_out_user_id":-?\d+/, '"logged_out_user_id":18446744073709551616'),
      good(4, { user_id: "tab\there" }),
    ];
    const file = writeFile(dir, "bad-ids.ndjson", lines.join("\n") + "\n");
    const r = await ingestFiles(db, cfg, [file]);
    expect(r.published).toBe(false);
    const reasons = Object.fromEntries(r.rejects_sample.map((x) => [x.line, x.reason]));
    expect(reasons[2]).toMatch(/^logged_out_user_id: expected a 64-bit integer \(signed or unsigned\) or a string of 1–128 characters, got "y{20}/);
    expect(reasons[3]).toMatch(/got 12\.5\.$/);
    expect(reasons[4]).toMatch(/got 18446744073709551616\.$/);
    expect(reasons[5]).toMatch(/^user_id: expected .*, or nothing/);
  });
});
