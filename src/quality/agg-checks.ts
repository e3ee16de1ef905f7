/**
 * docs/metrics.md checks on the aggregate of one day, before it is published:
 * rollups agree, the hourly shape looks like the same weekday's history, and
 * every level carries at least a configured number of events.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult } from "../shared/types.js";
import { completenessChecks } from "./completeness.js";
import { fmtCount } from "../present/format.js";

export { jensenShannon } from "./completeness.js";

const TABLE = "agg_website_events" as const;

export function runAggChecks(db: DB, cfg: DatasetConfig, ds: string, rows: AggRow[]): CheckResult[] {
  const totals = levelTotals(rows);
  return [rollupConsistency(cfg, totals), ...completenessChecks(db, cfg, ds, rows), minEvents(cfg, totals)];
}

/** m_total_events summed per aggregation level, in first-seen order. */
export function levelTotals(rows: AggRow[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.aggregation_level, (totals.get(r.aggregation_level) ?? 0) + r.m_total_events);
  return totals;
}

function disabled(name: string, severity: "error" | "warn"): CheckResult {
  return { name, table: TABLE, severity, status: "skipped", observed: null, threshold: null, message: `${name} is disabled in the configuration.` };
}

function rollupConsistency(cfg: DatasetConfig, totals: Map<string, number>): CheckResult {
  const { severity, enabled } = cfg.checks.rollup_consistency;
  const name = "rollup_consistency";
  if (!enabled) return disabled(name, severity);
  const overall = totals.get("overall");
  const base = { name, table: TABLE, severity, threshold: 0 };
  if (overall === undefined)
    return { ...base, status: "fail", observed: null, message: "The aggregate has no `overall` level, so the rollups cannot be checked." };
  const off = [...totals].filter(([level, t]) => level !== "overall" && t !== overall);
  if (off.length === 0)
    return { ...base, status: "pass", observed: 0, message: `All ${totals.size} levels sum to the overall total of ${fmtCount(overall)} events.` };
  const worst = Math.max(...off.map(([, t]) => Math.abs(t - overall)));
  const detail = off
    .slice(0, 5)
    .map(([level, t]) => `${level} has ${fmtCount(t)} (${t > overall ? "more than" : "short of"} overall by ${fmtCount(Math.abs(t - overall))})`)
    .join("; ");
  return {
    ...base,
    status: severity === "error" ? "fail" : "warn",
    observed: worst,
    message: `${off.length} level(s) do not sum to the overall total of ${fmtCount(overall)} events: ${detail}${off.length > 5 ? "; …" : ""}.`,
  };
}

function minEvents(cfg: DatasetConfig, totals: Map<string, number>): CheckResult {
  const { severity, enabled, per_level } = cfg.checks.min_events;
  const name = "min_events";
  if (!enabled) return disabled(name, severity);
  const levels = totals.size ? [...totals] : [["overall", 0] as [string, number]];
  const under = levels
    .map(([level, total]) => ({ level, total, min: per_level[level] ?? per_level["*"] ?? 0 }))
    .filter((x) => x.total < x.min);
  const smallest = Math.min(...levels.map(([, t]) => t));
  const threshold = per_level["*"] ?? Math.min(...Object.values(per_level));
  if (under.length === 0)
    return { name, table: TABLE, severity, status: "pass", observed: smallest, threshold, message: `Every level has at least its minimum number of events (smallest level total: ${fmtCount(smallest)}).` };
  return {
    name,
    table: TABLE,
    severity,
    status: severity === "error" ? "fail" : "warn",
    observed: Math.min(...under.map((u) => u.total)),
    threshold: Math.max(...under.map((u) => u.min)),
    message: `m_total_events is below the configured minimum: ${under.map((u) => `${u.level} has ${fmtCount(u.total)} (minimum ${fmtCount(u.min)})`).join("; ")}.`,
  };
}

