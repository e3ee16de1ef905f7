/**
 * The Octokit calls of incident issues (owner: alerts). Every call goes through
 * the installation Octokit Probot hands out, so GHE_HOST, retries and
 * throttling apply.
 */
import type { Octokit } from "./octokit.js";
import { httpStatus } from "./octokit.js";
import { splitRepo } from "../shared/repo.js";

export const INCIDENT_LABEL = "guardrail-alert";
const LABEL_COLOR = "d73a4a";
const LABEL_DESCRIPTION = "Guardrail incident: a guardrail breach or a data problem";

/** Creates the label if missing; 422 means it already exists, which is the point. */
export async function ensureIncidentLabel(octokit: Octokit, repo: string): Promise<void> {
  try {
    await octokit.rest.issues.createLabel({ ...splitRepo(repo), name: INCIDENT_LABEL, color: LABEL_COLOR, description: LABEL_DESCRIPTION });
  } catch (err) {
    if (httpStatus(err) !== 422) throw err;
  }
}

/** The open incident issue whose body holds `marker`, found by label (after a restart or a lost state). */
export async function findIncidentIssue(octokit: Octokit, repo: string, marker: string): Promise<{ number: number; body: string } | null> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...splitRepo(repo),
    state: "open",
    labels: INCIDENT_LABEL,
    per_page: 100,
  });
  for (const issue of issues) {
    if (issue.pull_request) continue;
    if (issue.body && issue.body.includes(marker)) return { number: issue.number, body: issue.body };
  }
  return null;
}

/** Whether any comment of the issue holds `marker` (a day already reported). */
export async function issueHasComment(octokit: Octokit, repo: string, issueNumber: number, marker: string): Promise<boolean> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...splitRepo(repo), issue_number: issueNumber, per_page: 100 });
  return comments.some((c) => (c.body ?? "").includes(marker));
}

export async function createIncidentIssue(octokit: Octokit, repo: string, title: string, body: string): Promise<number> {
  const { data } = await octokit.rest.issues.create({ ...splitRepo(repo), title, body, labels: [INCIDENT_LABEL] });
  return data.number;
}

export async function commentOnIssue(octokit: Octokit, repo: string, issueNumber: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...splitRepo(repo), issue_number: issueNumber, body });
}

export async function closeIssue(octokit: Octokit, repo: string, issueNumber: number): Promise<void> {
  await octokit.rest.issues.update({ ...splitRepo(repo), issue_number: issueNumber, state: "closed", state_reason: "completed" });
}
