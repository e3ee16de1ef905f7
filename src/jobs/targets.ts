/**
 * The real fan-out targets, in the order GitHub users see them change: the
 * `guardrail` check of every open PR, `guardrail/regression` on the suspects,
 * the `guardrail/deploy` statuses, the incident issue; then, once per
 * dataset, the chat message and the waiting deployment protection rules.
 * Each repo's view (its config re-read from GitHub, the published
 * evaluation, its enforced guardrails) is built once and shared by its steps.
 */
import type { AppDeps } from "../app/deps.js";
import { reposForDataset, type RepoRecord } from "../store/repos.js";
import { refreshPullRequestChecks, refreshRepoConfig } from "../app/pr-check.js";
import { publishRegressionChecks } from "../app/regression.js";
import { answerPendingProtectionRules, refreshDeployStatuses } from "../app/deploy-gate.js";
import { buildRepoView, type RepoView } from "../gate/index.js";
import { dayAlerts, syncChat, syncIncident } from "../alerts/index.js";
import type { AlertEvent } from "../alerts/types.js";
import { logGitHubError } from "../github/octokit.js";
import { stderrLog, type Log } from "../shared/log.js";
import type { FanOutEvent, FanOutTargets } from "./fan-out.js";

/** What the incident lifecycle should hear about a finished job. */
export function alertEvents(event: FanOutEvent): AlertEvent[] {
  return dayAlerts(event.kind === "rejected" ? { ...event, checks: event.result?.checks ?? [] } : event);
}

export function defaultTargets(appDeps: AppDeps, log?: Log): FanOutTargets<RepoRecord, RepoView | null> {
  // The alerts log through the service's logger (not bare stderr) when there is one.
  const deps = log ? { ...appDeps, log } : appDeps;
  const logger = log ?? stderrLog;
  return {
    repos: (dataset) => reposForDataset(deps.db, dataset),
    installationId: (r) => r.installationId!,
    label: (r) => r.repo,
    prepare: async (octokit, repo, event) => {
      if (event.kind !== "published") return null;
      try {
        await refreshRepoConfig(octokit, deps, repo.repo, repo.installationId);
      } catch (err) {
        // The stored config still describes the repo; the steps go on with it.
        logGitHubError(logger, err, { repo: repo.repo, event: "fan-out" }, "reading the repo config");
      }
      return buildRepoView(deps, repo.repo, { evaluation: event.evaluation });
    },
    repoSteps: [
      {
        name: "guardrail checks on open pull requests",
        run: async (octokit, repo, _event, view) => {
          if (view) await refreshPullRequestChecks(octokit, deps, repo.repo, { view, log: logger });
        },
      },
      {
        name: "guardrail/regression checks on suspects",
        run: async (octokit, _repo, _event, view) => {
          if (view) await publishRegressionChecks(octokit, deps, view, { log: logger });
        },
      },
      {
        name: "guardrail/deploy statuses",
        run: async (octokit, repo, _event, view) => {
          if (view) await refreshDeployStatuses(octokit, deps, repo.repo, { view });
        },
      },
      {
        name: "incident issue",
        run: async (octokit, repo, event, view) => {
          // The dataset's evaluation, with the repo's `enforce` settings: the issue and the chat tell one story per day.
          for (const alert of alertEvents(event)) await syncIncident(octokit, deps, repo.repo, view?.repoConfig ?? repo.config, alert);
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
