/** Marked special days (migration 010, docs/verdicts.md "Known special days"). */
import type { DB } from "./db.js";

export interface MarkedDay {
  ds: string;
  reason: string;
  marked_at: string;
}

export function markDay(db: DB, dataset: string, ds: string, reason: string, at: Date = new Date()): void {
  db.prepare(`INSERT INTO marked_days (dataset, ds, reason, marked_at) VALUES (?, ?, ?, ?)`).run(dataset, ds, reason, at.toISOString());
}

/** The newest mark of each day in [from, to]. */
export function markedDays(db: DB, dataset: string, from: string, to: string): MarkedDay[] {
  return db
    .prepare(
      `SELECT ds, reason, marked_at FROM marked_days m
        WHERE dataset = ? AND ds >= ? AND ds <= ?
          AND id = (SELECT MAX(id) FROM marked_days n WHERE n.dataset = m.dataset AND n.ds = m.ds)
        ORDER BY ds`,
    )
    .all(dataset, from, to) as MarkedDay[];
}
