/**
 * The independent oracle for metric values: each metric written as the plain
 * SQL a data engineer would type (COUNT / COUNT(DISTINCT) with a WHERE on the
 * actions), run over a table of raw events.
 */
import type Database from "better-sqlite3";
import type { CountMetricDef, MetricDef } from "../../src/config/schema.js";

type Value = number | null;

function measureSql(m: CountMetricDef, idCol: (c: string) => string): string {
  if (m.measure === "events") return "COUNT(*)";
  if (m.measure === "visits") return "COUNT(CASE WHEN visit_start = 1 THEN 1 END)";
  return `COUNT(DISTINCT ${idCol(m.measure === "unique_visitors" ? "logged_out_user_id" : "user_id")})`;
}

function whereSql(m: CountMetricDef, extra = ""): string {
  const parts: string[] = [];
  if (m.actions !== "all") parts.push(`action_type IN (${m.actions.map((a) => `'${a}'`).join(", ")})`);
  if (extra) parts.push(extra);
  return parts.length ? `WHERE ${parts.join(" AND ")}` : "";
}

export interface Oracle {
  total(name: string): Value;
  /** Segment → value; keys of NULL values are "(unknown)". */
  breakdown(name: string, dim: string): Record<string, Value>;
  parts(name: string, dim: string): Record<string, { numerator: number; denominator: number }>;
}

/** `table` has the raw event columns plus dim_channel, dim_product_type, dim_app_version, and visit_start (1 on the event that starts a visit). */
export function sqlOracle(db: Database.Database, table: string, metrics: MetricDef[], filter = "", idCol = (c: string) => c): Oracle {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const count = (m: CountMetricDef) => m;
  const countTotal = (m: CountMetricDef): number =>
    Number((db.prepare(`SELECT ${measureSql(m, idCol)} AS v FROM ${table} ${whereSql(m, filter)}`).get() as { v: number }).v);
  const countBreakdown = (m: CountMetricDef, dim: string): Record<string, number> => {
    const rows = db
      .prepare(`SELECT COALESCE(${dim}, '(unknown)') AS k, ${measureSql(m, idCol)} AS v FROM ${table} ${whereSql(m, filter)} GROUP BY 1`)
      .all() as { k: string; v: number }[];
    return Object.fromEntries(rows.map((r) => [r.k, Number(r.v)]));
  };
  const sides = (name: string) => {
    const m = byName.get(name)!;
    if (m.kind !== "ratio") throw new Error(`${name} is not a ratio`);
    return [count(byName.get(m.numerator) as CountMetricDef), count(byName.get(m.denominator) as CountMetricDef)] as const;
  };
  const parts = (name: string, dim: string) => {
    const [n, d] = sides(name);
    const nb = countBreakdown(n, dim);
    const db_ = countBreakdown(d, dim);
    const out: Record<string, { numerator: number; denominator: number }> = {};
    for (const k of new Set([...Object.keys(nb), ...Object.keys(db_)])) out[k] = { numerator: nb[k] ?? 0, denominator: db_[k] ?? 0 };
    return out;
  };
  return {
    total(name) {
      const m = byName.get(name)!;
      if (m.kind === "count") return countTotal(m);
      const [n, d] = sides(name);
      const den = countTotal(d);
      return den === 0 ? null : countTotal(n) / den;
    },
    breakdown(name, dim) {
      const m = byName.get(name)!;
      if (m.kind === "count") return countBreakdown(m, dim);
      return Object.fromEntries(Object.entries(parts(name, dim)).map(([k, p]) => [k, p.denominator === 0 ? null : p.numerator / p.denominator]));
    },
    parts,
  };
}
