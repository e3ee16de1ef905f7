/**
 * What the evaluator needs from the partition registry: which days are
 * published (and by which batch), and why a day is not. The queries are in
 * src/store/partitions.ts; evaluate stays independent of the ingest code.
 */
import type { DB } from "../store/db.js";
import { dayAttempts, failedErrorChecks } from "../store/partitions.js";

export type DayState =
  /** `partial`: why the published batch is partial (docs/ingest.md, "Completeness"), null when complete. */
  | { state: "published"; batchId: number; partial: string | null }
  /** The latest attempt failed its audit and nothing is published. */
  | { state: "rejected"; batchId: number; failedChecks: string[] }
  /** An ingest is under way and nothing is published yet. */
  | { state: "staged"; batchId: number }
  | { state: "missing" };

/** The state of each requested day, in one query. */
export function dayStates(db: DB, dataset: string, days: string[]): Map<string, DayState> {
  const out = new Map<string, DayState>();
  for (const ds of days) out.set(ds, { state: "missing" });
  if (days.length === 0) return out;
  const rows = dayAttempts(db, dataset, days);
  const published = new Map<string, number>();
  const partial = new Map<string, string | null>();
  const latest = new Map<string, { id: number; status: string }>();
  for (const r of rows) {
    if (r.status === "published") {
      published.set(r.ds, r.id);
      partial.set(r.ds, r.partial_reason);
    }
    // Ordered by id: the last finished attempt wins; a staged one only counts when nothing finished
    // (it may be an ingest under way, or one abandoned by a crash).
    if (r.status !== "staged" || !latest.has(r.ds) || latest.get(r.ds)!.status === "staged") latest.set(r.ds, r);
  }
  for (const ds of days) {
    const pub = published.get(ds);
    const last = latest.get(ds);
    if (pub !== undefined) out.set(ds, { state: "published", batchId: pub, partial: partial.get(ds) ?? null });
    else if (last?.status === "rejected") out.set(ds, { state: "rejected", batchId: last.id, failedChecks: failedErrorChecks(db, last.id) });
    else if (last?.status === "staged") out.set(ds, { state: "staged", batchId: last.id });
  }
  return out;
}
