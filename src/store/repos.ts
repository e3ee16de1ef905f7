/**
 * The app's own rows: which repos watch which dataset, maintainer overrides,
 * and the check run ids that make redelivered webhooks idempotent.
 * `repo` is always "owner/name".
 */
import type { DB } from "./db.js";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../config/repo-schema.js";
import { splitRepo } from "../shared/repo.js";

export interface RepoRecord {
  /** "owner/name" */
  repo: string;
  owner: string;
  name: string;
  installationId: number | null;
  dataset: string;
  /** The validated config; the defaults when the file is missing or invalid. */
  config: RepoConfig;
  /** The sentence describing an invalid `.github/guardrail.yml`, else null. */
  configError: string | null;
  updatedAt: string;
}

/** Remembers (or refreshes) a repo's installation and config. */
export function recordRepo(
  db: DB,
  r: { repo: string; installationId?: number | null; config: RepoConfig | null; configError?: string | null },
  now = new Date(),
): void {
  const cfg = r.config ?? DEFAULT_REPO_CONFIG;
  db.prepare(
    `INSERT INTO repos (repo, installation_id, dataset, config_json, config_error, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo) DO UPDATE SET
       installation_id = COALESCE(excluded.installation_id, repos.installation_id),
       dataset = excluded.dataset, config_json = excluded.config_json,
       config_error = excluded.config_error, updated_at = excluded.updated_at`,
  ).run(r.repo, r.installationId ?? null, cfg.dataset, JSON.stringify(cfg), r.configError ?? null, now.toISOString());
}

/**
 * Whether `recordRepo(db, r)` would change what is stored (its time aside):
 * every PR event reads the repo's config, and a write that changes nothing
 * would still wait for an ingest's write lock (docs/operations.md#under-load).
 */
export function repoRecordDiffers(db: DB, r: { repo: string; installationId?: number | null; config: RepoConfig | null; configError?: string | null }): boolean {
  const row = db.prepare(`SELECT * FROM repos WHERE repo = ?`).get(r.repo) as RepoRow | undefined;
  if (!row) return true;
  const cfg = r.config ?? DEFAULT_REPO_CONFIG;
  return (
    (r.installationId != null && r.installationId !== row.installation_id) ||
    row.dataset !== cfg.dataset ||
    row.config_json !== JSON.stringify(cfg) ||
    row.config_error !== (r.configError ?? null)
  );
}

interface RepoRow {
  repo: string;
  installation_id: number | null;
  dataset: string;
  config_json: string | null;
  config_error: string | null;
  updated_at: string;
}

function toRecord(row: RepoRow): RepoRecord {
  const parsed = row.config_json ? parseRepoConfig(JSON.parse(row.config_json)) : null;
  const { owner, repo: name } = splitRepo(row.repo);
  return {
    repo: row.repo,
    owner,
    name,
    installationId: row.installation_id,
    dataset: row.dataset,
    config: parsed && parsed.ok ? parsed.config : DEFAULT_REPO_CONFIG,
    configError: row.config_error,
    updatedAt: row.updated_at,
  };
}

/** Every installed repo whose config points at `dataset` (for the after-publish fan-out). */
export function reposForDataset(db: DB, dataset: string): RepoRecord[] {
  const rows = db.prepare(`SELECT * FROM repos WHERE dataset = ? AND installation_id IS NOT NULL ORDER BY repo`).all(dataset) as RepoRow[];
  return rows.map(toRecord);
}

/** Every installed repo of `owner` (GitHub names are case-insensitive): whose config may come from the owner's `.github` repo. */
export function reposOfOwner(db: DB, owner: string): RepoRecord[] {
  const rows = db
    .prepare(`SELECT * FROM repos WHERE repo LIKE ? ESCAPE '\\' AND installation_id IS NOT NULL ORDER BY repo`)
    .all(`${owner.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`) as RepoRow[];
  return rows.map(toRecord);
}

export function getRepo(db: DB, repo: string): RepoRecord | null {
  const row = db.prepare(`SELECT * FROM repos WHERE repo = ?`).get(repo) as RepoRow | undefined;
  return row ? toRecord(row) : null;
}

/** GitHub names are case-insensitive: the spelling the app stored, else `repo` as given. */
export function canonicalRepoName(db: DB, repo: string): string {
  const row = db.prepare(`SELECT repo FROM repos WHERE repo = ? COLLATE NOCASE ORDER BY repo = ? DESC LIMIT 1`).get(repo, repo) as { repo: string } | undefined;
  return row?.repo ?? repo;
}

/** Datasets some installed repo points at (the freshness timer checks them). */
export function datasetsOfRepos(db: DB): string[] {
  return (db.prepare(`SELECT DISTINCT dataset FROM repos WHERE installation_id IS NOT NULL`).all() as { dataset: string }[]).map((r) => r.dataset);
}

export function forgetRepo(db: DB, repo: string): void {
  db.prepare(`DELETE FROM repos WHERE repo = ?`).run(repo);
}

export interface Override {
  repo: string;
  prNumber: number;
  sha: string;
  actor: string;
  reason: string;
  createdAt: string;
}

export function recordOverride(db: DB, o: Omit<Override, "createdAt">, now = new Date()): Override {
  const createdAt = now.toISOString();
  db.prepare(`INSERT INTO overrides (repo, pr_number, sha, actor, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
    o.repo,
    o.prNumber,
    o.sha,
    o.actor,
    o.reason,
    createdAt,
  );
  return { ...o, createdAt };
}

/**
 * Records that `sha` is the PR's head since `since` (an ISO time from
 * GitHub), unless it already is the latest head recorded for the PR.
 */
export function recordPrHead(db: DB, repo: string, prNumber: number, sha: string, since: string): void {
  db.transaction(() => {
    const last = db
      .prepare(`SELECT sha FROM pr_heads WHERE repo = ? AND pr_number = ? ORDER BY since DESC, rowid DESC LIMIT 1`)
      .get(repo, prNumber) as { sha: string } | undefined;
    if (last?.sha !== sha) db.prepare(`INSERT INTO pr_heads (repo, pr_number, sha, since) VALUES (?, ?, ?, ?)`).run(repo, prNumber, sha, since);
    // IMMEDIATE: a read that upgrades to a write fails at once ("database is locked") while another process writes.
  }).immediate();
}

/**
 * The PR's head at time `at` (ISO), or null when none was recorded by then.
 * A head that became current in the same second as `at` does not count:
 * GitHub's times have whole seconds, and when it is unclear whether the
 * commenter could have seen a commit, the override must not cover it.
 */
export function prHeadAt(db: DB, repo: string, prNumber: number, at: string): { sha: string; since: string } | null {
  const row = db
    .prepare(`SELECT sha, since FROM pr_heads WHERE repo = ? AND pr_number = ? ORDER BY since DESC, rowid DESC`)
    .all(repo, prNumber) as { sha: string; since: string }[];
  const t = Date.parse(at);
  return row.find((r) => Math.floor(Date.parse(r.since) / 1000) < Math.floor(t / 1000)) ?? null;
}

/**
 * The latest override of this exact commit, or null. An override is bound to
 * the head SHA it was given for: a new push is new code and needs a new one.
 */
export function isOverridden(db: DB, repo: string, sha: string): Override | null {
  const row = db
    .prepare(`SELECT repo, pr_number, sha, actor, reason, created_at FROM overrides WHERE repo = ? AND sha = ? ORDER BY id DESC LIMIT 1`)
    .get(repo, sha) as OverrideRow | undefined;
  return row ? toOverride(row) : null;
}

/** A row of the overrides table (migration 003). */
export interface OverrideRow {
  repo: string;
  pr_number: number;
  sha: string;
  actor: string;
  reason: string;
  created_at: string;
}

function toOverride(r: OverrideRow): Override {
  return { repo: r.repo, prNumber: r.pr_number, sha: r.sha, actor: r.actor, reason: r.reason, createdAt: r.created_at };
}

export function listOverrides(db: DB, repo: string): Override[] {
  const rows = db.prepare(`SELECT * FROM overrides WHERE repo = ? ORDER BY id DESC`).all(repo) as OverrideRow[];
  return rows.map(toOverride);
}

export function storedCheckRunId(db: DB, repo: string, sha: string, name: string): number | null {
  const row = db.prepare(`SELECT check_run_id FROM check_runs WHERE repo = ? AND sha = ? AND name = ?`).get(repo, sha, name) as
    | { check_run_id: number }
    | undefined;
  return row ? row.check_run_id : null;
}

export function storeCheckRun(
  db: DB,
  r: { repo: string; sha: string; name: string; checkRunId: number; conclusion?: string | null; evaluation?: string | null },
  now = new Date(),
): void {
  db.prepare(
    `INSERT INTO check_runs (repo, sha, name, check_run_id, conclusion, evaluation, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo, sha, name) DO UPDATE SET check_run_id = excluded.check_run_id,
       conclusion = COALESCE(excluded.conclusion, check_runs.conclusion),
       evaluation = COALESCE(excluded.evaluation, check_runs.evaluation), updated_at = excluded.updated_at`,
  ).run(r.repo, r.sha, r.name, r.checkRunId, r.conclusion ?? null, r.evaluation ?? null, now.toISOString());
}

export function forgetCheckRun(db: DB, repo: string, sha: string, name: string): void {
  db.prepare(`DELETE FROM check_runs WHERE repo = ? AND sha = ? AND name = ?`).run(repo, sha, name);
}

/** Every repository the store knows with an installation (reconciliation compares it with GitHub's list). */
export function installedRepoNames(db: DB): string[] {
  return (db.prepare(`SELECT repo FROM repos WHERE installation_id IS NOT NULL ORDER BY repo`).all() as { repo: string }[]).map((r) => r.repo);
}
