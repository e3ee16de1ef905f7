/**
 * The protection-rule requests we were asked (migration 004). A request is
 * keyed by (repo, run, environment): GitHub asks again with the same run id
 * when the run is re-run, and that new ask replaces the old row.
 */
import type { DB } from "./db.js";

export type RequestState = "pending" | "approved" | "rejected" | "rerun" | "superseded" | "rerun_failed" | "gone";

export interface ProtectionRequest {
  id: number;
  repo: string;
  installationId: number | null;
  runId: number;
  environment: string;
  callbackUrl: string;
  sha: string;
  dataset: string;
  requestedAt: string;
  state: RequestState;
  gateState: string | null;
  answeredAt: string | null;
  comment: string | null;
  attempts: number;
  lastError: string | null;
}

interface Row {
  id: number;
  repo: string;
  installation_id: number | null;
  run_id: number;
  environment: string;
  callback_url: string;
  sha: string;
  dataset: string;
  requested_at: string;
  state: RequestState;
  gate_state: string | null;
  answered_at: string | null;
  comment: string | null;
  attempts: number;
  last_error: string | null;
}

function toRequest(r: Row): ProtectionRequest {
  return {
    id: r.id,
    repo: r.repo,
    installationId: r.installation_id,
    runId: r.run_id,
    environment: r.environment,
    callbackUrl: r.callback_url,
    sha: r.sha,
    dataset: r.dataset,
    requestedAt: r.requested_at,
    state: r.state,
    gateState: r.gate_state,
    answeredAt: r.answered_at,
    comment: r.comment,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}

export function recordRequest(
  db: DB,
  r: { repo: string; installationId: number | null; runId: number; environment: string; callbackUrl: string; sha: string; dataset: string },
  now = new Date(),
): ProtectionRequest {
  const row = db
    .prepare(
      `INSERT INTO protection_rule_requests (repo, installation_id, run_id, environment, callback_url, sha, dataset, requested_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')
       ON CONFLICT (repo, run_id, environment) DO UPDATE SET
         installation_id = excluded.installation_id, callback_url = excluded.callback_url, sha = excluded.sha,
         dataset = excluded.dataset, requested_at = excluded.requested_at, state = 'pending',
         gate_state = NULL, answered_at = NULL, comment = NULL, attempts = 0, last_error = NULL
       RETURNING *`,
    )
    .get(r.repo, r.installationId, r.runId, r.environment, r.callbackUrl, r.sha, r.dataset, now.toISOString()) as Row;
  return toRequest(row);
}

export function markRequest(
  db: DB,
  id: number,
  patch: { state: RequestState; gateState?: string | null; comment?: string | null; error?: string | null; answered?: boolean },
  now = new Date(),
): void {
  db.prepare(
    `UPDATE protection_rule_requests SET state = ?, gate_state = COALESCE(?, gate_state), comment = COALESCE(?, comment),
       last_error = ?, attempts = attempts + 1, answered_at = CASE WHEN ? THEN ? ELSE answered_at END
     WHERE id = ?`,
  ).run(patch.state, patch.gateState ?? null, patch.comment ?? null, patch.error ?? null, patch.answered ? 1 : 0, now.toISOString(), id);
}

export function getRequest(db: DB, id: number): ProtectionRequest | null {
  const row = db.prepare(`SELECT * FROM protection_rule_requests WHERE id = ?`).get(id) as Row | undefined;
  return row ? toRequest(row) : null;
}

/** Requests of a dataset GitHub may still act on: unanswered, or rejected and waiting for a re-run. */
export function openRequests(db: DB, dataset: string): ProtectionRequest[] {
  const rows = db
    .prepare(`SELECT * FROM protection_rule_requests WHERE dataset = ? AND state IN ('pending', 'rejected') ORDER BY requested_at, id`)
    .all(dataset) as Row[];
  return rows.map(toRequest);
}

/** True when the same repo + environment was asked about later: re-running this run would deploy older code. */
export function hasNewerRequest(db: DB, req: ProtectionRequest): boolean {
  const row = db
    .prepare(`SELECT 1 FROM protection_rule_requests WHERE repo = ? AND environment = ? AND id <> ? AND requested_at > ? LIMIT 1`)
    .get(req.repo, req.environment, req.id, req.requestedAt);
  return row !== undefined;
}
