// STUB — owner: evaluate helper.
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { Evaluation } from "../shared/types.js";

export interface EvaluateOptions {
  /** Day to judge; default: the latest published day. */
  ds?: string;
  /** Clock for freshness (tests, backtest). */
  now?: Date;
  /** Store the evaluation in history (default true). */
  persist?: boolean;
}

export function evaluateDay(_db: DB, _cfg: DatasetConfig, _opts: EvaluateOptions = {}): Evaluation {
  throw new Error("not implemented");
}

/** The most recent stored evaluation of a dataset (any ds), or null. */
export function latestEvaluation(_db: DB, _dataset: string): Evaluation | null {
  throw new Error("not implemented");
}
