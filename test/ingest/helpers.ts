/** Small hand-built exports for the ingest tests (ids written as raw JSON numbers beyond 2^53 on purpose). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { openDb, type DB } from "../../src/store/db.js";
import { BlockBuilder, BlockStager } from "../../src/store/raw-blocks.js";
import { EXPORT_COLUMNS } from "../../src/config/load.js";
import { GROUP_COLUMNS } from "../../src/aggregate/levels.js";

export interface Ev {
  user_id?: string | null;
  logged_out_user_id?: string | null;
  dim_hostname?: string | null;
  dim_country?: string | null;
  dim_device_brand?: string | null;
  action_type?: string | null;
  event_timestamp?: string | null;
  other_properties?: Record<string, string> | null;
  ds?: string;
}

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), "guardrail-ingest-"));
}

export function tmpDb(dir = tmpDir()): { db: DB; path: string; dir: string } {
  const path = join(dir, "g.db");
  return { db: openDb(path), path, dir };
}

const HOSTS = ["www.example.com", "shop.example.com"];
const ACTIONS = ["page_visit", "page_visit", "page_visit", "login", "signup", "purchase", "watch_video"];

/** A deterministic valid event `i` of day `ds`; 64-bit ids near the int64 edges. */
export function event(i: number, ds: string, over: Ev = {}): Ev {
  const big = BigInt("9223372036854775807") - BigInt(i * 7919);
  const lou = i % 2 ? big : -big - 1n;
  const sec = (i * 37) % 86_400;
  const hh = String(Math.floor(sec / 3600)).padStart(2, "0");
  const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, "0");
  const ss = String(sec % 60).padStart(2, "0");
  return {
    user_id: i % 5 === 0 ? String(9007199254740993n + BigInt(i)) : null,
    logged_out_user_id: lou.toString(),
    dim_hostname: HOSTS[i % HOSTS.length],
    dim_country: ["US", "DE", "IN"][i % 3],
    dim_device_brand: i % 4 === 0 ? null : ["iPhone", "Samsung", "Pixel"][i % 3],
    action_type: ACTIONS[i % ACTIONS.length],
    event_timestamp: i % 2 ? `${ds}T${hh}:${mm}:${ss}Z` : `${ds} ${hh}:${mm}:${ss}.250`,
    other_properties: { utm_source: ["linkedin", "x", "google"][i % 3], event_id: `e${i}` },
    ds,
    ...over,
  };
}

/** NDJSON line with ids as bare JSON numbers (the hard case: JSON.parse would round them). */
export function ndjsonLine(e: Ev): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) continue;
    if ((k === "logged_out_user_id" || k === "user_id") && typeof v === "string" && /^-?\d+$/.test(v)) parts.push(`"${k}":${v}`);
    else parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** The export's columns, in docs/ingest.md order. */
export const CSV_COLUMNS = EXPORT_COLUMNS;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvText(events: Ev[], eol = "\n", columns = CSV_COLUMNS): string {
  const lines = [columns.join(",")];
  for (const e of events) lines.push(columns.map((c) => csvCell((e as Record<string, unknown>)[c])).join(","));
  return lines.join(eol) + eol;
}

export function writeFile(dir: string, name: string, text: string, gzip = false): string {
  const path = join(dir, name);
  writeFileSync(path, gzip ? gzipSync(Buffer.from(text)) : text);
  return path;
}

export function ndjsonText(events: Ev[]): string {
  return events.map(ndjsonLine).join("\n") + "\n";
}

export function days(ds: string, n: number, start = 0): Ev[] {
  return Array.from({ length: n }, (_, i) => event(start + i, ds));
}

/** Everything an ingest leaves behind for a published day, in a stable order: two ingests of one file must agree on all of it. */
export function storedDay(db: DB) {
  return {
    events: db
      .prepare(
        `SELECT line, CAST(user_id AS TEXT) u, CAST(logged_out_user_id AS TEXT) l, dim_hostname, dim_country, dim_device_brand, action_type,
                event_timestamp, other_properties, dim_channel, ds FROM published_events ORDER BY line`,
      )
      .all(),
    agg: db
      .prepare(
        `SELECT aggregation_level, action_type, dim_hostname, dim_country, dim_device_brand, dim_channel, dim_product_type, dim_app_version,
                event_hour, m_total_events, m_unique_visitors, m_unique_users FROM published_agg ORDER BY 1,2,3,4,5,6,7,8,9`,
      )
      .all(),
    rejects: db.prepare(`SELECT line, reason FROM rejects ORDER BY rowid`).all(),
    partitions: db.prepare(`SELECT ds, status, rows_read, rows_loaded, rows_rejected, duplicates, checksum FROM partitions`).all(),
  };
}

/** A raw row to stage directly (what the ingest stores per event), for tests of the registry. */
export interface RawRow {
  line: number;
  user_id?: string | null;
  logged_out_user_id: string;
  action_type?: string;
  dim_hostname?: string;
  dim_country?: string;
  dim_device_brand?: string | null;
  dim_channel?: string;
  event_ms: number;
  other_properties?: string;
}

/** Whether an id is stored as a JSON integer (a signed 64-bit one) rather than a JSON string. */
function isInt64(id: string): boolean {
  return /^-?\d{1,19}$/.test(id) && BigInt(id) >= -(2n ** 63n) && BigInt(id) < 2n ** 63n;
}

/** Stages rows under a batch exactly as the ingest does: one raw block built by BlockBuilder, written by BlockStager. */
export function stageRows(db: DB, batchId: number, rows: RawRow[], opts: { first?: number; lineBase?: number; dropped?: number[] } = {}): BlockStager {
  const dict: string[] = [];
  const code = (v: string) => (dict.includes(v) ? dict.indexOf(v) : dict.push(v) - 1);
  const builder = new BlockBuilder();
  for (const r of rows)
    builder.row(
      r.line,
      r.user_id ?? null,
      !isInt64(r.user_id ?? "0"),
      r.logged_out_user_id,
      !isInt64(r.logged_out_user_id),
      code(r.action_type ?? "page_visit"),
      code(r.dim_hostname ?? "www.a.com"),
      code(r.dim_country ?? "US"),
      r.dim_device_brand ? code(r.dim_device_brand) : -1,
      code(r.dim_channel ?? "direct"),
      r.event_ms,
      r.other_properties ?? "{}",
    );
  const stager = new BlockStager(db, batchId);
  stager.open(opts.first ?? 0, opts.lineBase ?? 0, { ...builder.finish(), dict: JSON.stringify(dict) });
  stager.write(opts.dropped ?? []);
  return stager;
}

/**
 * The "warehouse" side of a test: the published aggregate of one day of `db`
 * (built by the raw path) written as an NDJSON export of agg_website_events,
 * as `guardrail ingest-agg` reads it.
 */
export function writeAggExport(db: DB, dataset: string, ds: string, path: string): string {
  const columns = ["ds", "aggregation_level", ...GROUP_COLUMNS, "m_total_events", "m_unique_visitors", "m_unique_users", "m_visits"];
  const rows = db.prepare(`SELECT * FROM published_agg WHERE dataset = ? AND ds = ?`).all(dataset, ds) as Record<string, unknown>[];
  if (rows.length === 0) throw new Error(`no published aggregate of ${dataset} ${ds} to export`);
  writeFileSync(path, rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, r[c] ?? null])))).join("\n") + "\n");
  return path;
}
