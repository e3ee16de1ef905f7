/**
 * What one repository sees of its dataset, built once per (repository,
 * evaluation) and handed to every surface: its `.github/guardrail.yml` with
 * the metric overrides applied, the evaluation, which guardrails it enforces
 * and the dashboard link. `decide` (./decide.ts) reads nothing else.
 */
import type { DB } from "../store/db.js";
import type { GuardrailConfig } from "../config/schema.js";
import { resolveDataset, type DatasetConfig } from "../config/load.js";
import { applyRepoOverrides, DEFAULT_REPO_CONFIG, type RepoConfig } from "../config/repo-schema.js";
import { evaluateDay, latestEvaluation } from "../evaluate/index.js";
import { getRepo, type RepoRecord } from "../store/repos.js";
import { describeError } from "../shared/errors.js";
import { hoursSinceZoneDayEnd } from "../shared/dates.js";
import { dashboardLink, type LinkDeps } from "../shared/links.js";
import type { Evaluation, MetricKind, RepoName } from "../shared/types.js";
import type { DecisionInput } from "./decide.js";

/** What building a view needs (AppDeps fits). */
export interface ViewDeps extends LinkDeps {
  db: DB;
  config: GuardrailConfig;
}

/** How a view gets its verdicts when none is handed in (tests inject one). */
export type Evaluator = (db: DB, cfg: DatasetConfig) => Evaluation;

export interface RepoView extends DecisionInput {
  /** The stored installation record, or null when the app is not on the repo. */
  record: RepoRecord | null;
  /** The validated config (the defaults when the file is missing or invalid). */
  repoConfig: RepoConfig;
  /** The dataset config with the repo's metric overrides applied; null on a config error. */
  cfg: DatasetConfig | null;
  /** Each metric's kind, from its definition. */
  kinds: Record<string, MetricKind>;
  /** The signed dashboard link of the evaluated day, or null without a public URL. */
  detailsUrl: string | null;
}

export interface ViewOptions {
  /** The record when the caller already has it (null: not installed); default: read from the store. */
  record?: RepoRecord | null;
  /**
   * The dataset's evaluation already in hand (the fan-out's, judged with the
   * server's config). Used as is when the repo overrides no metric; a repo
   * with overrides is judged once with them.
   */
  evaluation?: Evaluation;
  /** Default: `evaluateDay` now, not persisted, falling back to a fresh stored evaluation. */
  evaluate?: Evaluator;
  /** Clock for freshness (tests). */
  now?: Date;
  /** Decide as of this past time (`as_of`): staleness, and only days that had ended by then. */
  asOf?: Date;
}

/**
 * Today's verdicts for a dataset config: judged now (so stale data shows as
 * stale and the repo's threshold overrides apply), falling back to the newest
 * stored evaluation if judging fails — but only while that day is inside the
 * freshness window: an old stored pass must never open a gate.
 */
export function currentEvaluation(db: DB, cfg: DatasetConfig, opts: { now?: Date; asOf?: Date; evaluate?: Evaluator } = {}): { evaluation: Evaluation | null; error: string | null } {
  try {
    const evaluation = opts.evaluate ? opts.evaluate(db, cfg) : evaluateDay(db, cfg, { persist: false, now: opts.now, asOf: opts.asOf });
    return { evaluation, error: null };
  } catch (err) {
    const stored = latestEvaluation(db, cfg.name);
    // Fresh: the day ended (midnight in the dataset's zone) less than the freshness window ago, as evaluate judges staleness.
    if (stored && hoursSinceZoneDayEnd(stored.ds, cfg.timezone, opts.now ?? new Date()) <= cfg.evaluation.freshness_hours) return { evaluation: stored, error: null };
    return { evaluation: null, error: describeError(err) };
  }
}

function kindsOf(cfg: DatasetConfig | null): Record<string, MetricKind> {
  return Object.fromEntries((cfg?.metrics ?? []).map((m) => [m.name, m.kind]));
}

export function buildRepoView(deps: ViewDeps, repo: RepoName, opts: ViewOptions = {}): RepoView {
  const record = opts.record !== undefined ? opts.record : getRepo(deps.db, repo);
  const repoConfig = record?.config ?? DEFAULT_REPO_CONFIG;
  const dataset = record?.dataset ?? repoConfig.dataset;
  let configError = record?.configError ?? null;
  let cfg: DatasetConfig | null = null;
  let serverCfg: DatasetConfig | null = null;
  if (record && !configError) {
    try {
      serverCfg = resolveDataset(deps.config, dataset);
      const applied = applyRepoOverrides(serverCfg, repoConfig);
      if (applied.ok) cfg = applied.config;
      else configError = applied.error;
    } catch (err) {
      configError = `.github/guardrail.yml: field dataset: ${describeError(err)}`;
    }
  }
  let evaluation: Evaluation | null = null;
  let evaluationError: string | null = null;
  if (cfg) {
    const shared = opts.evaluation;
    if (shared && shared.dataset === cfg.name && Object.keys(repoConfig.metrics).length === 0) evaluation = shared;
    else ({ evaluation, error: evaluationError } = currentEvaluation(deps.db, cfg, { now: opts.asOf ?? opts.now, asOf: opts.asOf, evaluate: opts.evaluate }));
  }
  return {
    repo,
    known: record !== null,
    configError,
    dataset,
    onMissingData: repoConfig.on_missing_data,
    enforcement: repoConfig.metrics,
    evaluation,
    evaluationError,
    record,
    repoConfig,
    cfg,
    kinds: kindsOf(cfg ?? serverCfg),
    detailsUrl: record && !configError ? dashboardLink(deps, dataset, evaluation?.ds ?? null, repo) : null,
  };
}
