/** The `incidents` table (migration 006): one row per repo (or '' = chat) + dataset + kind. */
import type { DB } from "./db.js";


export type IncidentKind = "breach" | "audit_failed" | "stale";
export const INCIDENT_KINDS: IncidentKind[] = ["breach", "audit_failed", "stale"];

/** A row of the `incidents` table. */
export interface IncidentState {
  repo: string;
  dataset: string;
  kind: IncidentKind;
  state: "open" | "closed";
  issue_number: number | null;
  opened_ds: string;
  last_ds: string;
  data_ds: string | null;
  opened_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** What the lifecycle decided; `day` is the ds the action reports (its idempotency key). */
export interface IncidentDecision {
  type: "open" | "comment" | "close";
  kind: IncidentKind;
  day: string;
  /** For stale incidents: the newest published ds at that moment. */
  dataDs?: string | null;
}

export type IncidentStates = Partial<Record<IncidentKind, IncidentState | null>>;

/** The `repo` value of the dataset's chat-channel lifecycle. */
export const CHAT_TARGET = "";

export function loadIncident(db: DB, repo: string, dataset: string, kind: IncidentKind): IncidentState | null {
  const row = db.prepare(`SELECT * FROM incidents WHERE repo = ? AND dataset = ? AND kind = ?`).get(repo, dataset, kind) as IncidentState | undefined;
  return row ?? null;
}

export function loadIncidents(db: DB, repo: string, dataset: string): IncidentStates {
  const rows = db.prepare(`SELECT * FROM incidents WHERE repo = ? AND dataset = ?`).all(repo, dataset) as IncidentState[];
  return Object.fromEntries(rows.map((r) => [r.kind, r]));
}

/** Open incidents of every repo and the chat channel, e.g. for the dashboard. */
export function openIncidents(db: DB, dataset?: string): IncidentState[] {
  return (dataset
    ? db.prepare(`SELECT * FROM incidents WHERE state = 'open' AND dataset = ? ORDER BY opened_at`).all(dataset)
    : db.prepare(`SELECT * FROM incidents WHERE state = 'open' ORDER BY opened_at`).all()) as IncidentState[];
}

/** Records a decision that was carried out. `issueNumber` only for an issue that was opened or adopted. */
export function applyDecision(db: DB, repo: string, dataset: string, d: IncidentDecision, issueNumber: number | null, now = new Date()): void {
  const at = now.toISOString();
  if (d.type === "open") {
    db.prepare(
      `INSERT INTO incidents (repo, dataset, kind, state, issue_number, opened_ds, last_ds, data_ds, opened_at, updated_at, closed_at)
       VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (repo, dataset, kind) DO UPDATE SET state = 'open', issue_number = excluded.issue_number, opened_ds = excluded.opened_ds,
         last_ds = excluded.last_ds, data_ds = excluded.data_ds, opened_at = excluded.opened_at, updated_at = excluded.updated_at, closed_at = NULL`,
    ).run(repo, dataset, d.kind, issueNumber, d.day, d.day, d.dataDs ?? null, at, at);
  } else if (d.type === "comment") {
    // A comment may have had to open a new issue (the old one was deleted): keep its number.
    db.prepare(`UPDATE incidents SET last_ds = ?, issue_number = COALESCE(?, issue_number), updated_at = ? WHERE repo = ? AND dataset = ? AND kind = ?`).run(
      d.day,
      issueNumber,
      at,
      repo,
      dataset,
      d.kind,
    );
  } else {
    db.prepare(`UPDATE incidents SET state = 'closed', updated_at = ?, closed_at = ? WHERE repo = ? AND dataset = ? AND kind = ?`).run(at, at, repo, dataset, d.kind);
  }
}
