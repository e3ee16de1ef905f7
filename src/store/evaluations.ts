/** Evaluation history in SQLite (migration 002): every evaluation is kept, with its verdicts. */
import type { DB } from "./db.js";
import type { Evaluation, VerdictKind } from "../shared/types.js";

/** Stores the evaluation with its verdicts; returns it with `evaluation_id` and `evaluated_at` set. */
export function saveEvaluation<E extends Evaluation>(db: DB, evaluation: E, at: Date = new Date()): E {
  const evaluatedAt = at.toISOString();
  const insertVerdict = db.prepare(
    `INSERT INTO verdicts (evaluation_id, metric, guardrail, enforced, verdict, observed, expected, lower, upper, change, z,
                           numerator, denominator, baseline_days, message, segments)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertVersion = db.prepare(
    `INSERT INTO version_verdicts (evaluation_id, version, metric, verdict, observed, expected, change, z, denominator)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db
    .transaction(() => {
      const { evaluation_id: _id, evaluated_at: _at, ...body } = evaluation;
      const id = Number(
        db
          .prepare(`INSERT INTO evaluations (dataset, ds, status, evaluated_at, summary, json) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(evaluation.dataset, evaluation.ds, evaluation.status, evaluatedAt, evaluation.summary ?? null, JSON.stringify(body)).lastInsertRowid,
      );
      for (const v of evaluation.verdicts)
        insertVerdict.run(
          id, v.metric, v.guardrail ? 1 : 0, v.enforced === false ? 0 : 1, v.verdict, v.observed, v.expected, v.lower, v.upper, v.change, v.z,
          v.numerator ?? null, v.denominator ?? null, JSON.stringify(v.baseline_days), v.message, JSON.stringify(v.segments),
        );
      for (const v of evaluation.versions)
        insertVersion.run(id, v.version, v.metric, v.verdict, v.observed, v.expected, v.change, v.z, v.denominator ?? null);
      return { ...evaluation, evaluation_id: id, evaluated_at: evaluatedAt };
    })
    .immediate();
}

interface EvaluationRow {
  id: number;
  evaluated_at: string;
  json: string;
}

function fromRow(row: EvaluationRow | undefined): Evaluation | null {
  if (!row) return null;
  return { ...(JSON.parse(row.json) as Evaluation), evaluation_id: row.id, evaluated_at: row.evaluated_at };
}

/**
 * The newest judgement of the newest judged day: ordered by ds, then by when
 * it was stored. Re-judging an old day (`evaluate --ds` in the past) must not
 * make the gate answer for that old day.
 */
export function latestEvaluation(db: DB, dataset: string): Evaluation | null {
  return fromRow(
    db.prepare(`SELECT id, evaluated_at, json FROM evaluations WHERE dataset = ? ORDER BY ds DESC, id DESC LIMIT 1`).get(dataset) as
      | EvaluationRow
      | undefined,
  );
}

/** The newest stored evaluation of one day, or null. */
export function latestEvaluationForDay(db: DB, dataset: string, ds: string): Evaluation | null {
  return fromRow(
    db.prepare(`SELECT id, evaluated_at, json FROM evaluations WHERE dataset = ? AND ds = ? ORDER BY id DESC LIMIT 1`).get(dataset, ds) as
      | EvaluationRow
      | undefined,
  );
}

export function evaluationById(db: DB, id: number): Evaluation | null {
  return fromRow(db.prepare(`SELECT id, evaluated_at, json FROM evaluations WHERE id = ?`).get(id) as EvaluationRow | undefined);
}

export interface EvaluationSummary {
  id: number;
  dataset: string;
  ds: string;
  status: VerdictKind;
  evaluated_at: string;
  summary: string | null;
}

/** Stored evaluations, newest first (by ds, then by storage order); optionally only a ds range. */
export function evaluationHistory(db: DB, dataset: string, opts: { from?: string; to?: string; limit?: number } = {}): EvaluationSummary[] {
  return db
    .prepare(
      `SELECT id, dataset, ds, status, evaluated_at, summary FROM evaluations
        WHERE dataset = ? AND ds >= ? AND ds <= ? ORDER BY ds DESC, id DESC LIMIT ?`,
    )
    .all(dataset, opts.from ?? "0000-00-00", opts.to ?? "9999-99-99", opts.limit ?? 100) as EvaluationSummary[];
}
