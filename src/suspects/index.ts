/**
 * Suspects: which commits probably shipped a decline (docs/github-app.md). Pure store
 * logic — the GitHub side (listing deployments, naming PRs, check runs) lives
 * in src/github/ and src/app/regression.ts.
 *
 * Two sources, the more precise first:
 * - version mode (docs/verdicts.md): an `app_version` whose traffic declined against
 *   the rest of the same day is the culprit, matched to a deployment or taken
 *   as a commit SHA / release tag itself;
 * - otherwise every production deployment after the last healthy day began and
 *   before the failing day ended. A deploy late on the healthy day barely shows
 *   in that day's numbers, so it stays a suspect.
 */
import type { DB } from "../store/db.js";
import type { Evaluation, Verdict } from "../shared/types.js";
import { addDays, dsToEpochMs } from "../shared/dates.js";

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

export interface SuspectPr {
  number: number;
  title: string;
  url: string;
  author?: string | null;
}

export interface Suspect {
  /** Full or short commit SHA; null while only a release tag is known (resolved before publishing). */
  sha: string | null;
  /** Deployment ref or release tag, when known. */
  ref: string | null;
  reason: "version" | "deployment";
  version: string | null;
  deploymentId: number | null;
  environment: string | null;
  deployedAt: string | null;
  /** One sentence: why this commit is suspected. */
  evidence: string;
  /** The suspicion window (ISO instants), for deployment suspects. */
  window: { from: string; to: string } | null;
  /** PRs that brought the commit in, when already looked up (publishRegressionChecks stores them). */
  prs: SuspectPr[];
}

const HEX_SHA = /^[0-9a-f]{7,40}$/i;

/** Prefix match either way, so a short SHA (≥ 7 hex digits) finds its full SHA. */
export function shaMatches(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (!HEX_SHA.test(x) || !HEX_SHA.test(y)) return false;
  return x.startsWith(y) || y.startsWith(x);
}

function pct(change: number | null): string {
  if (change === null || !Number.isFinite(change)) return "n/a";
  const v = Math.round(change * 1000) / 10;
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v)} %`;
}

export function failingGuardrails(evaluation: Evaluation): Verdict[] {
  return evaluation.verdicts.filter((v) => v.guardrail && v.enforced !== false && v.verdict === "fail");
}

/**
 * The newest day before `ds` whose stored evaluation was healthy (pass/warn),
 * read from the evaluations history when it exists; else the day before.
 */
export function lastHealthyDay(db: DB, dataset: string, ds: string): string {
  try {
    // A day may be judged several times (re-ingest); its newest evaluation is the one that counts.
    const row = db
      .prepare(
        `SELECT max(e.ds) AS ds FROM evaluations e
         WHERE e.dataset = ? AND e.ds < ? AND e.status IN ('pass', 'warn')
           AND e.id = (SELECT max(id) FROM evaluations WHERE dataset = e.dataset AND ds = e.ds)`,
      )
      .get(dataset, ds) as { ds: string | null } | undefined;
    if (row?.ds) return row.ds;
  } catch {
    // No evaluation history table (or another shape): fall back to the day before.
  }
  return addDays(ds, -1);
}

function storedPrs(db: DB, repo: string, dataset: string, ds: string): Map<string, SuspectPr[]> {
  const rows = db.prepare(`SELECT sha, prs_json FROM suspects WHERE repo = ? AND dataset = ? AND ds = ?`).all(repo, dataset, ds) as {
    sha: string;
    prs_json: string;
  }[];
  return new Map(rows.map((r) => [r.sha, JSON.parse(r.prs_json) as SuspectPr[]]));
}

/** The suspects of a failing evaluation for one repo; empty when nothing enforced fails. */
export function findSuspects(db: DB, repo: string, dataset: string, evaluation: Evaluation): Suspect[] {
  const failing = failingGuardrails(evaluation);
  if (failing.length === 0) return [];
  const ds = evaluation.ds;
  const prs = storedPrs(db, repo, dataset, ds);
  const withPrs = (s: Suspect): Suspect => {
    if (!s.sha) return s;
    for (const [sha, list] of prs) if (shaMatches(sha, s.sha)) return { ...s, prs: list };
    return s;
  };

  const culprits = evaluation.versions.filter((v) => v.verdict === "fail");
  if (culprits.length > 0) {
    const everything = listDeploymentsBetween(db, repo, "", "9999");
    const out = new Map<string, Suspect>();
    for (const v of culprits) {
      const key = v.version;
      const evidence = `app_version ${v.version}: ${v.metric} ${pct(v.change)} against the rest of ${ds}'s traffic (z = ${v.z === null ? "n/a" : v.z.toFixed(1)}).`;
      const prev = out.get(key);
      if (prev) {
        out.set(key, { ...prev, evidence: `${prev.evidence} ${evidence}` });
        continue;
      }
      const dep = [...everything].reverse().find((d) => d.ref === v.version || shaMatches(d.sha, v.version));
      out.set(key, {
        sha: dep ? dep.sha : HEX_SHA.test(v.version) ? v.version : null,
        ref: dep?.ref ?? (HEX_SHA.test(v.version) ? null : v.version),
        reason: "version",
        version: v.version,
        deploymentId: dep?.deploymentId ?? null,
        environment: dep?.environment ?? null,
        deployedAt: dep?.deployedAt ?? null,
        evidence,
        window: null,
        prs: [],
      });
    }
    return [...out.values()].map(withPrs);
  }

  const healthy = lastHealthyDay(db, dataset, ds);
  const from = new Date(dsToEpochMs(healthy)).toISOString();
  const to = new Date(dsToEpochMs(addDays(ds, 1))).toISOString();
  const fell = failing.map((v) => `${v.metric} ${pct(v.change)}`).join(", ");
  const bySha = new Map<string, Suspect>();
  for (const d of listDeploymentsBetween(db, repo, from, to)) {
    // The latest deployment of a SHA wins; a redeploy of the same commit is one suspect.
    bySha.set(d.sha, {
      sha: d.sha,
      ref: d.ref,
      reason: "deployment",
      version: null,
      deploymentId: d.deploymentId,
      environment: d.environment,
      deployedAt: d.deployedAt,
      evidence: `Deployed to ${d.environment} at ${d.deployedAt}, after the last healthy day (${healthy}) and before ${ds} ended, when ${fell}.`,
      window: { from, to },
      prs: [],
    });
  }
  return [...bySha.values()].map(withPrs);
}

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

/** What a revert PR points at: reverted SHAs, PR numbers ("Reverts o/r#12") and titles (`Revert "…"`). */
export interface RevertTargets {
  shas: string[];
  prNumbers: number[];
  titles: string[];
}

const REVERTS_COMMIT = /This reverts commit ([0-9a-f]{7,40})/gi;
const REVERT_TITLE = /^Revert\s+"(.+)"\s*$/i;
const REVERTS_PR = /\bReverts\s+(?:[\w.-]+\/[\w.-]+)?#(\d+)/gi;

/** Pure parsing of commit messages, a PR title and body. */
export function parseRevertTargets(texts: { messages?: string[]; title?: string | null; body?: string | null }): RevertTargets {
  const shas = new Set<string>();
  const prNumbers = new Set<number>();
  const titles = new Set<string>();
  // A squash-merged PR's subject ends in " (#12)": keep both the bare title and the number.
  const addTitle = (line: string) => {
    const t = REVERT_TITLE.exec(line.trim());
    if (!t) return;
    const squash = /^(.*?)\s*\(#(\d+)\)$/.exec(t[1]);
    if (squash) {
      titles.add(squash[1]);
      prNumbers.add(Number(squash[2]));
    } else titles.add(t[1]);
  };
  for (const msg of texts.messages ?? []) {
    for (const m of msg.matchAll(REVERTS_COMMIT)) shas.add(m[1].toLowerCase());
    addTitle(msg.split("\n")[0]);
  }
  if (texts.title) addTitle(texts.title);
  if (texts.body) {
    for (const m of texts.body.matchAll(REVERTS_PR)) prNumbers.add(Number(m[1]));
    for (const m of texts.body.matchAll(REVERTS_COMMIT)) shas.add(m[1].toLowerCase());
  }
  return { shas: [...shas], prNumbers: [...prNumbers], titles: [...titles] };
}

/** The suspect this change reverts, or null. */
export function revertedSuspect(targets: RevertTargets, suspects: Suspect[]): Suspect | null {
  for (const s of suspects) {
    if (s.sha && targets.shas.some((sha) => shaMatches(sha, s.sha!))) return s;
    if (s.prs.some((pr) => targets.prNumbers.includes(pr.number) || targets.titles.includes(pr.title))) return s;
  }
  return null;
}
