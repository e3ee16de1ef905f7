import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { EventRow } from "../../src/shared/types.js";
import { mulberry32 } from "../../src/fixtures/prng.js";

export function tmpDir(prefix = "guardrail-agg-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The fixture generator's seeded PRNG, so these events are the same on every run. */
export const rng = mulberry32;

const HOSTS = ["www.example.com", "learn.example.com", "shop.example.com"];
const COUNTRIES = ["US", "GB", "DE", "IN", "BR"];
const DEVICES = ["iPhone", "Samsung", "Pixel", "Mac", null];
const ACTIONS = ["page_visit", "page_visit", "page_visit", "login", "signup", "purchase", "watch_video"];
export const CHANNELS = ["direct", "linkedin", "x", "substack", "email", "search", "other"];

/**
 * Events with the awkward cases on purpose: ids beyond 2^53 that differ only
 * in their last digits, negative ids, null device brands, missing product
 * type / app version, visitors spread over several hours and hosts.
 */
export function makeEvents(ds: string, n: number, seed = 1, opts: { versions?: boolean } = {}): { events: EventRow[]; channels: string[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const visitors: string[] = [];
  for (let i = 0; i < Math.max(5, Math.floor(n / 4)); i++) {
    const big = 9007199254740993n + BigInt(i) * 3n; // > 2^53: neighbours collide if rounded to doubles
    visitors.push(String(i % 5 === 0 ? -big : big));
  }
  const base = Date.parse(`${ds}T00:00:00Z`);
  const events: EventRow[] = [];
  const channels: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = Math.floor(r() * visitors.length);
    const action = pick(ACTIONS);
    const props: Record<string, string> = {};
    if (action === "purchase" && r() < 0.9) props.product_type = pick(["bootcamp", "course"]);
    if (opts.versions !== false && r() < 0.8) props.app_version = pick(["v1", "v2"]);
    events.push({
      line: i + 1,
      user_id: v % 3 === 0 ? null : String(-9223372036854775000n + BigInt(v)),
      logged_out_user_id: visitors[v],
      dim_hostname: HOSTS[(v + (r() < 0.2 ? 1 : 0)) % HOSTS.length],
      dim_country: COUNTRIES[v % COUNTRIES.length],
      dim_device_brand: DEVICES[v % DEVICES.length],
      action_type: action,
      event_ms: base + Math.floor(r() * 86_400_000),
      other_properties: props,
      ds,
    });
    channels.push(pick(CHANNELS));
  }
  return { events, channels };
}

/**
 * The events in a plain SQLite table, so tests can check results with
 * ordinary GROUP BY / COUNT(DISTINCT) queries (the independent oracle).
 */
export function eventsDb(events: EventRow[], channels: string[]): Database.Database {
  const db = new Database(":memory:");
  db.exec(`CREATE TABLE ev (user_id INTEGER, logged_out_user_id INTEGER NOT NULL, dim_hostname TEXT, dim_country TEXT,
    dim_device_brand TEXT, dim_channel TEXT, dim_product_type TEXT, dim_app_version TEXT, action_type TEXT, event_ms INTEGER)`);
  const ins = db.prepare("INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?,?)");
  db.transaction(() => {
    events.forEach((e, i) =>
      ins.run(
        e.user_id === null ? null : BigInt(e.user_id),
        BigInt(e.logged_out_user_id),
        e.dim_hostname,
        e.dim_country,
        e.dim_device_brand,
        channels[i],
        e.other_properties.product_type ?? null,
        e.other_properties.app_version ?? null,
        e.action_type,
        e.event_ms,
      ),
    );
  })();
  db.exec(`CREATE VIEW evh AS SELECT *, CAST(strftime('%H', event_ms / 1000, 'unixepoch') AS INTEGER) AS event_hour FROM ev`);
  return db;
}
