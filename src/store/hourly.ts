/** Hourly event counts of published days, for the within-day scan (docs/verdicts.md, "Within the day"). */
import type { DB } from "./db.js";

/** Per batch: action_type → m_total_events for each hour 0 … 23, from the `overall` level; batches without hourly rows are absent. */
export function hourlyActionEvents(db: DB, batchIds: number[]): Map<number, Map<string, number[]>> {
  const out = new Map<number, Map<string, number[]>>();
  const stmt = db.prepare(
    `SELECT action_type, event_hour, SUM(m_total_events) AS n FROM agg_website_events
      WHERE batch_id = ? AND aggregation_level = 'overall' AND event_hour IS NOT NULL AND action_type IS NOT NULL
      GROUP BY action_type, event_hour`,
  );
  for (const id of batchIds) {
    const rows = stmt.all(id) as { action_type: string; event_hour: number; n: number }[];
    if (rows.length === 0) continue;
    const byAction = new Map<string, number[]>();
    for (const r of rows) {
      if (r.event_hour < 0 || r.event_hour > 23) continue;
      let hours = byAction.get(r.action_type);
      if (!hours) byAction.set(r.action_type, (hours = new Array<number>(24).fill(0)));
      hours[r.event_hour] += r.n;
    }
    out.set(id, byAction);
  }
  return out;
}
