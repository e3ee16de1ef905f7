/**
 * After a job ends, tell every repo that points at the dataset. The order is
 * fixed (PR checks, regression checks, deploy statuses, incidents, then the
 * dataset-wide protection-rule answers) and every step of every repo is
 * isolated: one repo's 404 or rate-limit error is logged and the others
 * still get their update.
 */
import type { Probot } from "probot";
import { describeError } from "../shared/errors.js";
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
export async function fanOut<R, V>(targets: FanOutTargets<R, V>, auth: OctokitFor | null, event: FanOutEvent, log: Pick<Log, "info" | "warn">): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const record = (target: string, step: string, err?: unknown) => {
    if (err === undefined) outcomes.push({ target, step, ok: true });
    else {
      const error = describeError(err);
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
  for (const repo of repos) {
    const label = targets.label(repo);
    let octokit: InstallationOctokit;
    try {
      octokit = await auth!(targets.installationId(repo));
    } catch (err) {
      record(label, "authenticate", err);
      continue;
    }
    let prepared: V;
    try {
      prepared = targets.prepare ? await targets.prepare(octokit, repo, event) : (undefined as V);
    } catch (err) {
      record(label, "prepare", err);
      continue;
    }
    for (const step of targets.repoSteps) {
      try {
        await step.run(octokit, repo, event, prepared);
        record(label, step.name);
      } catch (err) {
        record(label, step.name, err);
      }
    }
  }
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
