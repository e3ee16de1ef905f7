/**
 * docs/metrics.md checks on the aggregate of one day, before it is published:
 * rollups agree, the hourly shape looks like the same weekday's history, and
 * every level carries at least a configured number of events.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult } from "../shared/types.js";
import { addDays, WEEKDAY_NAMES, weekday } from "../shared/dates.js";

const TABLE = "agg_website_events" as const;

export function runAggChecks(db: DB, cfg: DatasetConfig, ds: string, rows: AggRow[]): CheckResult[] {
  const totals = levelTotals(rows);
  return [rollupConsistency(cfg, totals), hourDistribution(db, cfg, ds, rows), minEvents(cfg, totals)];
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
    return { ...base, status: "pass", observed: 0, message: `All ${totals.size} levels sum to the overall total of ${overall} events.` };
  const worst = Math.max(...off.map(([, t]) => Math.abs(t - overall)));
  const detail = off
    .slice(0, 5)
    .map(([level, t]) => `${level} has ${t} (${t > overall ? "more than" : "short of"} overall by ${Math.abs(t - overall)})`)
    .join("; ");
  return {
    ...base,
    status: severity === "error" ? "fail" : "warn",
    observed: worst,
    message: `${off.length} level(s) do not sum to the overall total of ${overall} events: ${detail}${off.length > 5 ? "; …" : ""}.`,
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
    return { name, table: TABLE, severity, status: "pass", observed: smallest, threshold, message: `Every level has at least its minimum number of events (smallest level total: ${smallest}).` };
  return {
    name,
    table: TABLE,
    severity,
    status: severity === "error" ? "fail" : "warn",
    observed: Math.min(...under.map((u) => u.total)),
    threshold: Math.max(...under.map((u) => u.min)),
    message: `m_total_events is below the configured minimum: ${under.map((u) => `${u.level} has ${u.total} (minimum ${u.min})`).join("; ")}.`,
  };
}

/** Events per UTC hour, summed over action types, from the `overall` level. */
export function hourHistogram(rows: Iterable<Pick<AggRow, "aggregation_level" | "event_hour" | "m_total_events">>): number[] {
  const h = new Array<number>(24).fill(0);
  for (const r of rows)
    if (r.aggregation_level === "overall" && r.event_hour != null && r.event_hour >= 0 && r.event_hour < 24) h[r.event_hour] += r.m_total_events;
  return h;
}

/** Jensen–Shannon divergence (base 2, 0…1) of two histograms after add-k smoothing. */
export function jensenShannon(a: number[], b: number[], k: number): number {
  const p = smooth(a, k);
  const q = smooth(b, k);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) js += 0.5 * p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) js += 0.5 * q[i] * Math.log2(q[i] / m);
  }
  return Math.max(0, Math.min(1, js));
}

export function smooth(h: number[], k: number): number[] {
  const total = h.reduce((s, x) => s + x, 0) + k * h.length;
  return total > 0 ? h.map((x) => (x + k) / total) : h.map(() => 1 / h.length);
}

function hourDistribution(db: DB, cfg: DatasetConfig, ds: string, rows: AggRow[]): CheckResult {
  const c = cfg.checks.hour_distribution;
  const name = "hour_distribution";
  if (!c.enabled) return disabled(name, c.severity);
  const base = { name, table: TABLE, severity: c.severity, threshold: c.max_divergence };
  const today = hourHistogram(rows);
  const todayTotal = today.reduce((s, x) => s + x, 0);
  const days = Array.from({ length: c.weeks }, (_, i) => addDays(ds, -7 * (i + 1)));
  const history = new Array<number>(24).fill(0);
  const stmt = db.prepare(
    `SELECT event_hour, SUM(m_total_events) AS n FROM published_agg
     WHERE dataset = ? AND ds = ? AND aggregation_level = 'overall' AND event_hour IS NOT NULL GROUP BY event_hour`,
  );
  const used: string[] = [];
  for (const d of days) {
    const hist = stmt.all(cfg.name, d) as { event_hour: number; n: number }[];
    if (hist.length) used.push(d);
    for (const r of hist) if (r.event_hour >= 0 && r.event_hour < 24) history[r.event_hour] += r.n;
  }
  const historyTotal = history.reduce((s, x) => s + x, 0);
  const dayName = WEEKDAY_NAMES[weekday(ds)];
  if (todayTotal < c.min_events || historyTotal < c.min_events)
    return {
      ...base,
      status: "skipped",
      observed: null,
      message:
        todayTotal < c.min_events
          ? `Not enough events to judge the hourly shape: ${todayTotal} today, at least ${c.min_events} needed.`
          : `Not enough history to judge the hourly shape: ${historyTotal} events on ${used.length} previous ${dayName}(s), at least ${c.min_events} needed.`,
    };
  const js = jensenShannon(today, history, c.smoothing);
  const p = smooth(today, c.smoothing);
  const q = smooth(history, c.smoothing);
  const moved = p
    .map((x, hour) => ({ hour, today: x, before: q[hour] }))
    .sort((x, y) => Math.abs(y.today - y.before) - Math.abs(x.today - x.before))
    .slice(0, 3)
    .map((m) => `${String(m.hour).padStart(2, "0")}:00 ${pct(m.today)} vs ${pct(m.before)}`)
    .join(", ");
  const versus = `vs ${used.length} previous ${dayName}(s)`;
  if (js <= c.max_divergence)
    return { ...base, status: "pass", observed: round(js), message: `The hourly shape matches its history (Jensen–Shannon ${round(js)} ${versus}); hours that moved most: ${moved}.` };
  return {
    ...base,
    status: c.severity === "error" ? "fail" : "warn",
    observed: round(js),
    message: `The hourly shape differs from its history (Jensen–Shannon ${round(js)} > ${c.max_divergence} ${versus}); hours that moved most: ${moved}.`,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const round = (x: number) => Math.round(x * 1e4) / 1e4;
