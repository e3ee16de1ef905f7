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
import type { Evaluation, Suspect, Verdict } from "../shared/types.js";

export type { Suspect } from "../shared/types.js";
import { addDays, dsToEpochMs } from "../shared/dates.js";
import { fmtChange, fmtZ } from "../present/format.js";
import { listDeploymentsBetween } from "../store/deployments.js";
import { lastHealthyEvaluatedDay, suspectPrs } from "../store/suspects.js";

const HEX_SHA = /^[0-9a-f]{7,40}$/i;

/** Prefix match either way, so a short SHA (≥ 7 hex digits) finds its full SHA. */
export function shaMatches(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (!HEX_SHA.test(x) || !HEX_SHA.test(y)) return false;
  return x.startsWith(y) || y.startsWith(x);
}

/** The suspects of a failing evaluation for one repo; `failing`: the enforced guardrails that fail (`decide`), none → no suspects. */
export function findSuspects(db: DB, repo: string, dataset: string, evaluation: Evaluation, failing: Verdict[]): Suspect[] {
  if (failing.length === 0) return [];
  const ds = evaluation.ds;
  const prs = suspectPrs(db, repo, dataset, ds);
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
      const evidence = `app_version ${v.version}: ${v.metric} ${fmtChange(v.change)} against the rest of ${ds}'s traffic (z = ${fmtZ(v.z)}).`;
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

  // The newest healthy day from the evaluation history, else the day before.
  const healthy = lastHealthyEvaluatedDay(db, dataset, ds) ?? addDays(ds, -1);
  const from = new Date(dsToEpochMs(healthy)).toISOString();
  const to = new Date(dsToEpochMs(addDays(ds, 1))).toISOString();
  const fell = failing.map((v) => `${v.metric} ${fmtChange(v.change)}`).join(", ");
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

/** What a revert PR points at: reverted SHAs, PR numbers ("Reverts o/r#12") and titles (`Revert "…"`). */
export interface RevertTargets {
  shas: string[];
  prNumbers: number[];
  titles: string[];
}

const REVERTS_COMMIT = /This reverts commit ([0-9a-f]{7,64})/gi;
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

/** Reverted SHAs that are suspects; either side may be abbreviated (≥ 7 hex digits). */
export function matchReverts(reverted: string[], suspects: string[]): string[] {
  const out: string[] = [];
  for (const r of reverted.map((s) => s.toLowerCase()).filter((s) => /^[0-9a-f]{7,64}$/.test(s))) {
    const hit = suspects.find((s) => s.startsWith(r) || r.startsWith(s));
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}
