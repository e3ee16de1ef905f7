/**
 * Raw-partition quality checks (docs/ingest.md). Row-level checks are tallied while
 * the rows stream (see events/validate.ts); here the tallies become
 * CheckResults: a check fails when the rejected fraction exceeds its
 * tolerance, and only a failed `error` check blocks publishing.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { CheckResult } from "../shared/types.js";
import { publishedHostTotals } from "../store/partitions.js";
import { addDays, WEEKDAY_NAMES, weekday } from "../shared/dates.js";
import { ROW_CHECKS, type RowCheck } from "../events/validate.js";
import { fmtChange, fmtCount, fmtFraction } from "../present/format.js";

const TABLE = "fct_website_events" as const;

const DESCRIPTIONS: Record<RowCheck, string> = {
  row_format: "malformed or wrongly typed",
  not_null: "with an empty required column",
  action_enum: "with an unknown action_type",
  hostname_format: "with a malformed dim_hostname",
  timestamp_in_day: "with event_timestamp outside the day",
  ds_consistency: "whose ds differs from the partition's",
  duplicates: "repeating an earlier event key",
};

export interface RowCheckTally {
  /** Rejections per check. */
  counts: Record<RowCheck, number>;
  /** Where the first rejection of each check happened (`file line N`), for the message. */
  firstAt: Partial<Record<RowCheck, string>>;
}

export function newTally(): RowCheckTally {
  return { counts: Object.fromEntries(ROW_CHECKS.map((c) => [c, 0])) as Record<RowCheck, number>, firstAt: {} };
}

function settings(cfg: DatasetConfig, check: RowCheck): { severity: "error" | "warn"; tolerance: number; enabled: boolean } {
  return cfg.checks[check];
}

export function rowCheckResults(cfg: DatasetConfig, tally: RowCheckTally, rowsRead: number): CheckResult[] {
  return ROW_CHECKS.map((check) => {
    const s = settings(cfg, check);
    const n = tally.counts[check];
    if (!s.enabled)
      return { name: check, table: TABLE, severity: s.severity, status: "skipped", observed: null, threshold: null, message: `${check} is disabled in the configuration.` };
    const fraction = rowsRead ? n / rowsRead : 0;
    const observed = round(fraction);
    const status = n === 0 ? "pass" : fraction > s.tolerance ? (s.severity === "error" ? "fail" : "warn") : "warn";
    const first = tally.firstAt[check];
    const message =
      n === 0
        ? `No rows ${DESCRIPTIONS[check]}.`
        : `${fmtCount(n)} of ${fmtCount(rowsRead)} rows ${DESCRIPTIONS[check]} (${fmtFraction(fraction)}, tolerance ${fmtFraction(s.tolerance)}), first at ${first}; those rows were rejected.`;
    return { name: check, table: TABLE, severity: s.severity, status, observed, threshold: s.tolerance, message };
  });
}

/**
 * Rows per hostname vs the same weekday last week (its published aggregate,
 * so it survives raw retention). Hosts under `min_rows` last week are not
 * judged; a vanished big host counts as −100 %; new hosts are only reported.
 */
export function hostVolumeWow(db: DB, cfg: DatasetConfig, ds: string, today: Map<string, number>): CheckResult {
  const c = cfg.checks.host_volume_wow;
  const base = { name: "host_volume_wow", table: TABLE, severity: c.severity, threshold: c.max_change } as const;
  if (!c.enabled) return { ...base, status: "skipped", observed: null, threshold: null, message: "host_volume_wow is disabled in the configuration." };
  const prevDs = addDays(ds, -7);
  const prev = publishedHostTotals(db, cfg.name, prevDs);
  if (!prev)
    return { ...base, status: "skipped", observed: null, message: `No published partition for ${WEEKDAY_NAMES[weekday(prevDs)]} ${prevDs} to compare hosts with.` };
  const moved: { host: string; change: number; before: number; now: number }[] = [];
  let worst = 0;
  for (const [host, before] of prev) {
    if (before < c.min_rows) continue;
    const now = today.get(host) ?? 0;
    const change = (now - before) / before;
    if (Math.abs(change) > Math.abs(worst)) worst = change;
    if (Math.abs(change) > c.max_change) moved.push({ host, change, before, now });
  }
  const fresh = [...today.keys()].filter((h) => !prev.has(h));
  const notes: string[] = [];
  moved.sort((a, b) => Math.abs(b.change) - Math.abs(a.change));
  if (moved.length)
    notes.push(
      `${moved.length} host(s) moved more than ${fmtFraction(c.max_change)} vs ${prevDs}: ` +
        moved.slice(0, 5).map((m) => `${m.host} ${fmtCount(m.before)} → ${fmtCount(m.now)} (${fmtChange(m.change)})`).join(", "),
    );
  if (fresh.length) notes.push(`new host(s) since ${prevDs}: ${fresh.slice(0, 5).join(", ")}${fresh.length > 5 ? ", …" : ""}`);
  const judged = [...prev.values()].filter((n) => n >= c.min_rows).length;
  const message = moved.length
    ? notes.join("; ") + "."
    : `${judged} host(s) with at least ${fmtCount(c.min_rows)} rows on ${prevDs} are within ±${fmtFraction(c.max_change)}${notes.length ? "; " + notes.join("; ") : ""}.`;
  const status = moved.length ? (c.severity === "error" ? "fail" : "warn") : "pass";
  return { ...base, status, observed: round(worst), message };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
