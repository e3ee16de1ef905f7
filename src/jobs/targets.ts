/**
 * The real fan-out targets, in the order GitHub users see them change: the
 * `guardrail` check of every open PR (H5), `guardrail/regression` on the
 * suspects (H5), the `guardrail/deploy` statuses (H6), the incident issue
 * (H8); then, once per dataset, the chat message (H8) and the waiting
 * deployment protection rules (H6).
 */
import type { AppDeps } from "../app/deps.js";
import { reposForDataset, type RepoRecord } from "../store/repos.js";
import { publishRegressionChecks, refreshPullRequestChecks } from "../app/pr-check.js";
import { answerPendingProtectionRules, refreshDeployStatuses } from "../app/deploy-gate.js";
import { dayAlerts, syncChat, syncIncident } from "../alerts/index.js";
import type { AlertEvent, AlertLog } from "../alerts/types.js";
import type { FanOutEvent, FanOutTargets } from "./fan-out.js";

/** What the incident lifecycle should hear about a finished job. */
export function alertEvents(event: FanOutEvent): AlertEvent[] {
  return dayAlerts(event.kind === "rejected" ? { ...event, checks: event.result?.checks ?? [] } : event);
}

export function defaultTargets(appDeps: AppDeps, log?: AlertLog): FanOutTargets<RepoRecord> {
  // The alerts log through the service's logger (not bare stderr) when there is one.
  const deps = log ? { ...appDeps, log } : appDeps;
  return {
    repos: (dataset) => reposForDataset(deps.db, dataset),
    installationId: (r) => r.installationId!,
    label: (r) => r.repo,
    repoSteps: [
      {
        name: "guardrail checks on open pull requests",
        run: async (octokit, repo, event) => {
          if (event.kind === "published") await refreshPullRequestChecks(octokit, deps, repo);
        },
      },
      {
        name: "guardrail/regression checks on suspects",
        run: async (octokit, repo, event) => {
          if (event.kind === "published") await publishRegressionChecks(octokit, deps, repo, event.evaluation);
        },
      },
      {
        name: "guardrail/deploy statuses",
        run: async (octokit, repo, event) => {
          if (event.kind === "published") await refreshDeployStatuses(octokit, deps, repo);
        },
      },
      {
        name: "incident issue",
        run: async (octokit, repo, event) => {
          for (const alert of alertEvents(event)) await syncIncident(octokit, deps, repo.repo, repo.config, alert);
        },
      },
    ],
    datasetSteps: [
      {
        // Deduplicated per dataset, so it is sent once even when no repo (or many) watch the dataset.
        name: "chat notification",
        github: false,
        run: async (_octokitFor, event) => {
          for (const alert of alertEvents(event)) syncChat(deps, alert);
        },
      },
      {
        name: "pending deployment protection rules",
        github: true,
        run: async (octokitFor, event) => {
          if (event.kind === "published") await answerPendingProtectionRules(octokitFor!, deps, event.dataset);
        },
      },
    ],
  };
}
