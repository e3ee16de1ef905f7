/**
 * Production deployments (migration 003: from webhooks, or the API when they
 * were missed) and the `guardrail/deploy` statuses posted (migration 004).
 */
import type { DB } from "./db.js";

export interface DeploymentRecord {
  repo: string;
  deploymentId: number;
  sha: string;
  ref: string | null;
  environment: string;
  deployedAt: string;
  source: "webhook" | "api";
}

export function recordDeployment(db: DB, d: DeploymentRecord): void {
  db.prepare(
    `INSERT INTO deployments (repo, deployment_id, sha, ref, environment, deployed_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo, deployment_id) DO UPDATE SET deployed_at = excluded.deployed_at, environment = excluded.environment`,
  ).run(d.repo, d.deploymentId, d.sha, d.ref, d.environment, d.deployedAt, d.source);
}

export function countDeployments(db: DB, repo: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM deployments WHERE repo = ?`).get(repo) as { n: number }).n;
}

export function listDeploymentsBetween(db: DB, repo: string, fromIso: string, toIso: string): DeploymentRecord[] {
  const rows = db
    .prepare(`SELECT * FROM deployments WHERE repo = ? AND deployed_at > ? AND deployed_at <= ? ORDER BY deployed_at, deployment_id`)
    .all(repo, fromIso, toIso) as {
    repo: string;
    deployment_id: number;
    sha: string;
    ref: string | null;
    environment: string;
    deployed_at: string;
    source: "webhook" | "api";
  }[];
  return rows.map((r) => ({
    repo: r.repo,
    deploymentId: r.deployment_id,
    sha: r.sha,
    ref: r.ref,
    environment: r.environment,
    deployedAt: r.deployed_at,
    source: r.source,
  }));
}

/** The last `guardrail/deploy` status posted on (repo, sha), to skip posting the same one again. */
export function lastDeployStatus(db: DB, repo: string, sha: string): { state: string; description: string } | null {
  const row = db.prepare(`SELECT state, description FROM deploy_statuses WHERE repo = ? AND sha = ?`).get(repo, sha) as
    | { state: string; description: string }
    | undefined;
  return row ?? null;
}

export function storeDeployStatus(db: DB, repo: string, sha: string, state: string, description: string, now = new Date()): void {
  db.prepare(
    `INSERT INTO deploy_statuses (repo, sha, state, description, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (repo, sha) DO UPDATE SET state = excluded.state, description = excluded.description, updated_at = excluded.updated_at`,
  ).run(repo, sha, state, description, now.toISOString());
}
