/** PR conversation: who may act, reactions that acknowledge a command, and replies. */
import { httpStatus, type Octokit } from "./octokit.js";
import { capText } from "../present/neutralise.js";
import { splitRepo } from "../shared/repo.js";

export type Reaction = "+1" | "eyes" | "confused";

/** True for write, maintain or admin. `permission` folds maintain into "write"; `role_name` keeps it. */
export async function canMaintain(octokit: Octokit, fullName: string, username: string): Promise<boolean> {
  let data: { permission: string; role_name?: string };
  try {
    ({ data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...splitRepo(fullName), username }));
  } catch (err) {
    // 404: GitHub does not know the commenter as a collaborator, so no permission (a polite refusal, not an error).
    if (httpStatus(err) === 404) return false;
    throw err;
  }
  const levels = ["admin", "maintain", "write"];
  return levels.includes(data.permission) || levels.includes((data as { role_name?: string }).role_name ?? "");
}

export async function react(octokit: Octokit, fullName: string, commentId: number, content: Reaction): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({ ...splitRepo(fullName), comment_id: commentId, content });
}

export async function reply(octokit: Octokit, fullName: string, issueNumber: number, body: string): Promise<void> {
  // A reply never grows with what a commenter typed (src/present/neutralise.ts).
  await octokit.rest.issues.createComment({ ...splitRepo(fullName), issue_number: issueNumber, body: capText(body) });
}
