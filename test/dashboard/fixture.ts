/**
 * The store the dashboard tests read: nine weeks of realistic exports, each day
 * evaluated as the service would, and on the last day signups per page visit
 * fall site-wide and far more on iPhone (a broken signup form on iOS).
 * GitHub's side (a repository, its deployments, a suspect with its PR and check
 * runs, the incident issue) is recorded through the modules that record it.
 */
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { evaluateDay } from "../../src/evaluate/index.js";
import { resolveDataset } from "../../src/config/load.js";
import { addDays, dsToEpochMs } from "../../src/shared/dates.js";
import { storeSuspect } from "../../src/store/suspects.js";
import { recordDeployment } from "../../src/store/deployments.js";
import { recordCanaryDeployment } from "../../src/store/canary.js";
import { recordCanaryJudgement } from "../../src/canary/index.js";
import { recordPrHead, recordRepo, storeCheckRun } from "../../src/store/repos.js";
import { applyDecision } from "../../src/store/incidents.js";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-schema.js";
import type { AppDeps } from "../../src/app/deps.js";
import type { Evaluation } from "../../src/shared/types.js";

export const END = "2026-03-10"; // a Tuesday
export const DAYS = 63;
export const METRIC = "signup_conversion_rate";
export const REPO = "acme/shop";
export const SUSPECT_SHA = "9f3c2a17b0d4e5f60718293a4b5c6d7e8f901234";
export const PR_HEAD = "1a2b3c4d5e6f708192a3b4c5d6e7f80912345678";

export async function buildStore(deps: AppDeps, dir: string): Promise<{ last: Evaluation; files: { ds: string; path: string }[] }> {
  const cfg = resolveDataset(deps.config, "default");
  const files = await generateFixtures({
    outDir: join(dir, "fx"),
    days: DAYS,
    eventsPerDay: 5000,
    end: END,
    seed: 11,
    incidents: [
      { ds: END, metric: METRIC, change: -0.4 },
      { ds: END, metric: METRIC, change: -0.8, segment: { dimension: "dim_device_brand", value: "iPhone" } },
    ],
  });
  let last: Evaluation | null = null;
  for (const f of files) {
    await ingestFiles(deps.db, cfg, [f.path], { ds: f.ds });
    // The service evaluates each day as it is published; do the same, as of that day's end.
    last = evaluateDay(deps.db, cfg, { ds: f.ds, now: new Date(dsToEpochMs(addDays(f.ds, 1)) + 3_600_000) });
  }
  // GitHub's side, as the app records it: the repository watches the dataset and names a canary environment.
  recordRepo(deps.db, { repo: REPO, installationId: 1, config: { ...DEFAULT_REPO_CONFIG, canary_environments: ["canary-eu"] } });
  const deploy = (id: number, sha: string, environment: string, at: string) =>
    recordDeployment(deps.db, { repo: REPO, deploymentId: id, sha, ref: "main", environment, deployedAt: at, source: "webhook" });
  deploy(1, "0000000000000000000000000000000000000001", "production", `${addDays(END, -21)}T14:05:00.000Z`);
  deploy(2, "0000000000000000000000000000000000000002", "production", `${addDays(END, -7)}T10:30:00.000Z`);
  // Canary and preview environments are recorded apart from production (docs/canary.md).
  recordCanaryDeployment(deps.db, { repo: REPO, deploymentId: 3, sha: PR_HEAD, version: PR_HEAD.slice(0, 7), environment: "pr-42-preview", deployedAt: `${addDays(END, -1)}T16:00:00.000Z` });
  recordCanaryDeployment(deps.db, { repo: REPO, deploymentId: 4, sha: SUSPECT_SHA, version: SUSPECT_SHA.slice(0, 7), environment: "canary-eu", deployedAt: `${END}T07:15:00.000Z` });
  deploy(5, SUSPECT_SHA, "production", `${END}T09:00:00.000Z`);
  storeSuspect(deps.db, {
    repo: REPO,
    dataset: "default",
    ds: END,
    sha: SUSPECT_SHA,
    ref: "main",
    reason: "deployment",
    evidence: `Deployed to production at ${END}T09:00:00.000Z, after the last healthy day.`,
    prs: [{ number: 42, title: "Signup form: new validation", url: `https://github.com/${REPO}/pull/42` }],
  });
  recordPrHead(deps.db, REPO, 42, PR_HEAD, `${addDays(END, -2)}T08:00:00.000Z`);
  storeCheckRun(deps.db, { repo: REPO, sha: PR_HEAD, name: "guardrail", checkRunId: 5001, conclusion: "failure" });
  storeCheckRun(deps.db, { repo: REPO, sha: SUSPECT_SHA, name: "guardrail/regression", checkRunId: 5002, conclusion: "failure" });
  applyDecision(deps.db, REPO, "default", { type: "open", kind: "breach", day: END }, 77);
  // The preview build of PR 42 served a tenth of the day's events from 08:00 to 20:00 and was judged on its own.
  recordCanaryJudgement(deps.db, REPO, {
    status: "no_decline",
    hours: [...Array(12).keys()].map((h) => h + 8),
    canary_events: 500,
    rest_events: 4000,
    day_events: 5000,
    metrics: [],
    dataset: "default",
    ds: END,
    sha: PR_HEAD,
    versions: [PR_HEAD.slice(0, 7)],
    visitors: 90,
  });
  return { last: last!, files };
}
