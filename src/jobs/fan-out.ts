/**
 * After a job ends, tell every repo that points at the dataset. The order is
 * fixed (PR checks, regression checks, deploy statuses, incidents, then the
 * dataset-wide protection-rule answers) and every step of every repo is
 * isolated: one repo's 404 or rate-limit error is logged and the others
 * still get their update.
 */
import type { Probot } from "probot";
import { describeError } from "../shared/errors.js";
import { classifyFailure } from "../shared/net-errors.js";
import type { Evaluation, IngestResult } from "../shared/types.js";
import type { Log } from "../shared/log.js";

/** The installation Octokit Probot hands out (throttling and retry plugins applied). */
export type InstallationOctokit = Awaited<ReturnType<Probot["auth"]>>;

export type FanOutEvent =
  | { kind: "published"; dataset: string; ds: string; evaluation: Evaluation }
  | { kind: "rejected"; dataset: string; ds: string; result: IngestResult | null };

export interface RepoStep<R, V = unknown> {
  name: string;
  /** `prepared`: what `FanOutTargets.prepare` built for this repo and event. */
  run(octokit: InstallationOctokit, repo: R, event: FanOutEvent, prepared: V): Promise<unknown>;
}

export type OctokitFor = (installationId: number) => Promise<InstallationOctokit>;

export interface DatasetStep {
  name: string;
  /** Whether the step talks to GitHub (it is skipped when no App is configured); the chat message does not. */
  github: boolean;
  run(octokitFor: OctokitFor | null, event: FanOutEvent): Promise<unknown>;
}

export interface FanOutTargets<R, V = unknown> {
  repos(dataset: string): R[];
  installationId(repo: R): number;
  label(repo: R): string;
  /**
   * What every step of a repo shares, built once per repo and event (the
   * repo's view of the evaluation), so no step judges the day again.
   */
  prepare?(octokit: InstallationOctokit, repo: R, event: FanOutEvent): Promise<V>;
  repoSteps: RepoStep<R, V>[];
  datasetSteps: DatasetStep[];
}

export interface StepOutcome {
  target: string;
  step: string;
  ok: boolean;
  error?: string;
}

/**
 * Runs every step for `event`. Without a GitHub App (`auth` null, e.g. the
 * service run locally) only the dataset steps that do not need GitHub run:
 * the chat still hears about a breach.
 */
/** Repositories updated at the same time after a publish. */
export const REPO_CONCURRENCY = 4;

export async function fanOut<R, V>(targets: FanOutTargets<R, V>, auth: OctokitFor | null, event: FanOutEvent, log: Pick<Log, "info" | "warn">): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const record = (target: string, step: string, err?: unknown) => {
    if (err === undefined) outcomes.push({ target, step, ok: true });
    else {
      const error = describeFailure(err);
      outcomes.push({ target, step, ok: false, error });
      log.warn(`guardrail fan-out ${event.dataset} ${event.ds}: ${step} for ${target} failed: ${error}`);
    }
  };
  let repos: R[] = [];
  try {
    if (auth) repos = targets.repos(event.dataset);
  } catch (err) {
    record(event.dataset, "list repos", err);
  }
  // Repositories run side by side (a few at a time), so one slow repository holds up no other;
  // each repository's steps stay in order, and the outcomes keep the repositories' order.
  const perRepo: StepOutcome[][] = repos.map(() => []);
  const runRepo = async (repo: R, into: StepOutcome[]) => {
    const label = targets.label(repo);
    const mark = (step: string, err?: unknown) => {
      const before = outcomes.length;
      record(label, step, err);
      into.push(...outcomes.splice(before));
    };
    let octokit: InstallationOctokit;
    try {
      octokit = await auth!(targets.installationId(repo));
    } catch (err) {
      mark("authenticate", err);
      return;
    }
    let prepared: V;
    try {
      prepared = targets.prepare ? await targets.prepare(octokit, repo, event) : (undefined as V);
    } catch (err) {
      mark("prepare", err);
      return;
    }
    for (const step of targets.repoSteps) {
      try {
        await step.run(octokit, repo, event, prepared);
        mark(step.name);
      } catch (err) {
        mark(step.name, err);
      }
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < repos.length) {
      const i = next++;
      await runRepo(repos[i]!, perRepo[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPO_CONCURRENCY, repos.length) }, worker));
  for (const o of perRepo) outcomes.push(...o);
  for (const step of targets.datasetSteps) {
    if (step.github && !auth) continue;
    try {
      await step.run(auth, event);
      record(event.dataset, step.name);
    } catch (err) {
      record(event.dataset, step.name, err);
    }
  }
  log.info(`guardrail fan-out ${event.dataset} ${event.ds}: ${outcomes.filter((o) => o.ok).length}/${outcomes.length} steps succeeded over ${repos.length} repo(s)`);
  return outcomes;
}

/** The error with its real cause in front when it is a failed call: "DNS lookup failed (ENOTFOUND): …", "HTTP 404: …". */
export function describeFailure(err: unknown): string {
  const message = describeError(err);
  const hasStatus = typeof (err as { status?: unknown })?.status === "number";
  const hasCause = !!(err as { cause?: unknown })?.cause;
  if (!hasStatus && !hasCause) return message;
  return `${classifyFailure(err).text}: ${message}`;
}
