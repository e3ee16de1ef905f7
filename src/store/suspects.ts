/**
 * The suspects the app named on GitHub (migration 003), with the PRs behind
 * each, and the evaluation history's last healthy day they are measured from.
 */
import type { DB } from "./db.js";
import type { SuspectPr } from "../shared/types.js";
import { addDays } from "../shared/dates.js";

export function storeSuspect(
  db: DB,
  s: { repo: string; dataset: string; ds: string; sha: string; ref: string | null; reason: string; evidence: string; prs: SuspectPr[] },
  now = new Date(),
): void {
  db.prepare(
    `INSERT INTO suspects (repo, dataset, ds, sha, ref, reason, evidence, prs_json, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo, dataset, ds, sha) DO UPDATE SET evidence = excluded.evidence, prs_json = excluded.prs_json, recorded_at = excluded.recorded_at`,
  ).run(s.repo, s.dataset, s.ds, s.sha, s.ref, s.reason, s.evidence, JSON.stringify(s.prs), now.toISOString());
}

/** The PRs stored for each suspect SHA of (repo, dataset, ds). */
export function suspectPrs(db: DB, repo: string, dataset: string, ds: string): Map<string, SuspectPr[]> {
  const rows = db.prepare(`SELECT sha, prs_json FROM suspects WHERE repo = ? AND dataset = ? AND ds = ?`).all(repo, dataset, ds) as {
    sha: string;
    prs_json: string;
  }[];
  return new Map(rows.map((r) => [r.sha, JSON.parse(r.prs_json) as SuspectPr[]]));
}

/** Suspect SHAs of the repo's dataset named for `ds` or the two weeks before (a freeze can last days). */
export function suspectShasFor(db: DB, repo: string, dataset: string, ds: string): string[] {
  const rows = db
    .prepare(`SELECT DISTINCT sha FROM suspects WHERE repo = ? AND dataset = ? AND ds <= ? AND ds >= ?`)
    .all(repo, dataset, ds, addDays(ds, -14)) as { sha: string }[];
  return rows.map((r) => r.sha.toLowerCase());
}

/**
 * The newest day before `ds` whose newest stored evaluation was healthy
 * (pass/warn), or null. A day may be judged several times (re-ingest); its
 * newest evaluation is the one that counts.
 */
export function lastHealthyEvaluatedDay(db: DB, dataset: string, ds: string): string | null {
  const row = db
    .prepare(
      `SELECT max(e.ds) AS ds FROM evaluations e
       WHERE e.dataset = ? AND e.ds < ? AND e.status IN ('pass', 'warn')
         AND e.id = (SELECT max(id) FROM evaluations WHERE dataset = e.dataset AND ds = e.ds)`,
    )
    .get(dataset, ds) as { ds: string | null } | undefined;
  return row?.ds ?? null;
}
