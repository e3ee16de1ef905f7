/**
 * What the gate says on GitHub. The limits are GitHub's: a protection-rule
 * comment holds at most 1,024 characters, a commit status description 140.
 * The link goes last and is never cut, so the reader can always click through.
 */
import type { DeployStatusState, GateAnswer, ProtectionDecision } from "../shared/types.js";
import { metricsOfWords } from "./decision.js";

export const COMMENT_LIMIT = 1024;
export const DESCRIPTION_LIMIT = 140;


/** Cut to `max` characters (code points), ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join("") + "…";
}

export function statusStateFor(answer: GateAnswer): DeployStatusState {
  if (answer.state === "open") return "success";
  if (answer.state === "blocked") return "failure";
  return "pending";
}

const HEADLINE: Record<GateAnswer["state"], string> = {
  open: "Deploy may go",
  blocked: "Deploy blocked",
  unknown: "No verdict",
};

/** The `guardrail/deploy` commit status description (≤ 140 characters). */
export function statusDescription(answer: GateAnswer): string {
  const first = answer.exemption
    ? (answer.reasons.find((r) => r.startsWith("Exempt")) ?? answer.reasons[0])
    : answer.reasons[0];
  return truncate(`${HEADLINE[answer.state]}: ${first ?? ""}`.trim(), DESCRIPTION_LIMIT);
}

/**
 * The protection-rule comment (≤ 1,024 characters): the decision, every
 * reason that fits (which guardrail, how far it fell, any exemption), a note
 * when the answer is not the gate's own, and the signed dashboard link.
 */
export function protectionComment(answer: GateAnswer, decision: ProtectionDecision, note?: string): string {
  const head = `Guardrail ${decision} this deployment${answer.ds ? ` (${metricsOfWords(answer)})` : ""}.`;
  const tail = answer.details_url ? `\nDetails: ${answer.details_url}` : "";
  const lines = [head, ...answer.reasons.map((r) => `- ${r}`)];
  if (note) lines.push(note);
  const room = COMMENT_LIMIT - [...tail].length;
  let body = "";
  for (const line of lines) {
    const next = body ? `${body}\n${line}` : line;
    if ([...next].length > room) {
      body = truncate(next, room);
      break;
    }
    body = next;
  }
  return body + tail;
}
