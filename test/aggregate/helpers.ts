import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { EventRow } from "../../src/shared/types.js";
import { mulberry32 } from "../../src/fixtures/prng.js";
import { channelsSchema } from "../../src/config/schema.js";
import { channelOfParts } from "../../src/events/channel.js";

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

/** other_properties an event may carry about its source: none, site navigation (own hosts, subdomains), known and unknown outside sources. */
const SOURCES: Record<string, string>[] = [
  {}, {}, {}, {}, {}, {},
  { referrer: "https://www.example.com/pricing" },
  { referrer: "https://learn.example.com/lessons/7" },
  { referrer: "https://blog.example.com/post" },
  { utm_source: "LinkedIn", utm_medium: "social" },
  { referrer: "https://www.linkedin.com/feed/" },
  { referrer: "https://t.co/abc" },
  { utm_source: "newsletter", utm_medium: "email" },
  { referrer: "https://www.google.com/" },
  { utm_medium: "podcast" },
  { utm_source: "mystery" },
  { referrer: "https://news.ycombinator.com/" },
];

/**
 * The test's own account of visits (docs/metrics.md, "Channels and visits"),
 * written plainly and apart from src/aggregate/visits.ts: per visitor, the
 * events in time order; a visit starts at the first, after more than
 * `timeoutMin` minutes, or at an outside source unlike the visit's; its
 * channel is the one deriveChannel gives its first event.
 */
export function referenceVisits(events: EventRow[], timeoutMin = 30, ownExtra: string[] = []): { channels: string[]; starts: boolean[] } {
  const www = (h: string) => (h.startsWith("www.") ? h.slice(4) : h);
  const own = [...new Set([...events.map((e) => e.dim_hostname), ...ownExtra].map(www))];
  const cfg = channelsSchema.parse({});
  const key = (e: EventRow): string | null => {
    const p = e.other_properties;
    const medium = (p.utm_medium ?? "").trim().toLowerCase();
    const source = (p.utm_source ?? "").trim().toLowerCase();
    let ref = p.referrer ? www(new URL(p.referrer).hostname.toLowerCase()) : "";
    if (own.some((d) => ref === d || ref.endsWith(`.${d}`))) ref = "";
    return medium || source || ref ? `${medium}|${source}|${ref}` : null;
  };
  const byVisitor = new Map<string, number[]>();
  events.forEach((e, i) => (byVisitor.get(e.logged_out_user_id) ?? byVisitor.set(e.logged_out_user_id, []).get(e.logged_out_user_id)!).push(i));
  const channels: string[] = new Array(events.length);
  const starts: boolean[] = new Array(events.length).fill(false);
  const bytes = (s: string) => Buffer.from(s, "utf8");
  for (const idx of byVisitor.values()) {
    idx.sort((a, b) => {
      const [ea, eb] = [events[a], events[b]];
      if (ea.event_ms !== eb.event_ms) return ea.event_ms - eb.event_ms;
      const [ka, kb] = [key(ea), key(eb)];
      if ((ka === null) !== (kb === null)) return ka === null ? 1 : -1;
      if (ka !== null && kb !== null && ka !== kb) return Buffer.compare(bytes(ka), bytes(kb));
      if (ea.dim_hostname !== eb.dim_hostname) return Buffer.compare(bytes(ea.dim_hostname), bytes(eb.dim_hostname));
      return Buffer.compare(bytes(ea.action_type), bytes(eb.action_type));
    });
    let visitSource: string | null = null;
    let channel = "";
    let last = -Infinity;
    idx.forEach((i, n) => {
      const e = events[i];
      const k = key(e);
      if (n === 0 || e.event_ms - last > timeoutMin * 60_000 || (k !== null && k !== visitSource)) {
        visitSource = k;
        const [medium, source, ref] = k === null ? ["", "", ""] : k.split("|");
        channel = channelOfParts(medium, source, ref, cfg);
        starts[i] = true;
      }
      channels[i] = channel;
      last = e.event_ms;
    });
  }
  return { channels, starts };
}

/**
 * Events with the awkward cases on purpose: ids beyond 2^53 that differ only
 * in their last digits, negative ids, null device brands, missing product
 * type / app version, visitors spread over several hours and hosts.
 */
export function makeEvents(ds: string, n: number, seed = 1, opts: { versions?: boolean } = {}): { events: EventRow[]; channels: string[]; starts: boolean[] } {
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
    const props: Record<string, string> = { ...pick(SOURCES) };
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
      // A visitor's events cluster in a few hours, so some visits hold several events and some visitors make several visits.
      event_ms: base + ((v * 7 + Math.floor(r() * 3)) % 24) * 3_600_000 + Math.floor(r() * 90 * 60_000),
      other_properties: props,
      ds,
    });
  }
  return { events, ...referenceVisits(events) };
}

/**
 * The events in a plain SQLite table, with their visit channel and visit starts, so tests can check results with
 * ordinary GROUP BY / COUNT(DISTINCT) queries (the independent oracle).
 */
export function eventsDb(events: EventRow[], ..._ignored: unknown[]): Database.Database {
  // The events' visits as the test's own account gives them (so events edited after makeEvents stay consistent).
  const { channels, starts } = referenceVisits(events);
  const db = new Database(":memory:");
  db.exec(`CREATE TABLE ev (user_id INTEGER, logged_out_user_id INTEGER NOT NULL, dim_hostname TEXT, dim_country TEXT,
    dim_device_brand TEXT, dim_channel TEXT, dim_product_type TEXT, dim_app_version TEXT, action_type TEXT, event_ms INTEGER, visit_start INTEGER)`);
  const ins = db.prepare("INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?,?,?)");
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
        starts[i] ? 1 : 0,
      ),
    );
  })();
  db.exec(`CREATE VIEW evh AS SELECT *, CAST(strftime('%H', event_ms / 1000, 'unixepoch') AS INTEGER) AS event_hour FROM ev`);
  return db;
}
