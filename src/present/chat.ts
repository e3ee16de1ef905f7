/**
 * Slack-compatible incoming-webhook messages: `text` (the fallback shown in
 * notifications and by non-Slack receivers) plus Block Kit `blocks`
 * (docs/alerts.md). Pure: src/alerts/ decides when a message is sent.
 */
import type { Verdict } from "../shared/types.js";
import type { AlertEvent, IncidentDecision } from "../alerts/types.js";
import { fmtAge, fmtChange, fmtShare, fmtValue, kindOf, segmentLabel } from "./format.js";
import { auditTitle, failedCheckNames, staleTitle, type RenderContext } from "./incidents.js";
import { chatText } from "./neutralise.js";

export interface ChatMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Slack mrkdwn treats &, < and > as control characters; mentions and URLs from data are broken too (./neutralise.ts). */
const escapeMrkdwn = chatText;

/** The segment that explains most of the decline, if the evaluation localised it. */
function segmentText(v: Verdict): string {
  const s = v.segments?.[0];
  return s ? `${segmentLabel(s)} (${fmtShare(s.contribution)} of the decline)` : "site-wide";
}

function message(title: string, fields: [string, string][], detail: string, ctx: RenderContext): ChatMessage {
  const link = ctx.dashboardUrl;
  const plain = `${title}${fields.length ? " — " + fields.map(([k, v]) => `${k}: ${v}`).join(", ") : ""}`;
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: title.slice(0, 150), emoji: true } },
  ];
  if (fields.length) blocks.push({ type: "section", fields: fields.map(([k, v]) => ({ type: "mrkdwn", text: `*${escapeMrkdwn(k)}*\n${escapeMrkdwn(v)}` })) });
  if (detail) blocks.push({ type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(detail).slice(0, 3000) } });
  if (link)
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open dashboard" }, url: link }] });
  return { text: escapeMrkdwn(plain) + (link ? ` <${link}|Dashboard>` : ""), blocks };
}

/** The message for an opening or closing decision (daily comments are not sent to chat). */
export function buildChatMessage(decision: IncidentDecision, event: AlertEvent, ctx: RenderContext): ChatMessage | null {
  if (decision.type === "comment") return null;
  if (event.kind === "breach" || event.kind === "recovery") {
    const ev = event.evaluation;
    if (decision.type === "open") {
      const failing = ctx.failing;
      const v = failing[0];
      if (!v) return null;
      const kind = kindOf(v, ctx.kinds);
      const title = `Guardrail breach: ${v.metric} ${fmtChange(v.change)} on ${ev.ds}`;
      const fields: [string, string][] = [
        ["Metric", failing.map((f) => f.metric).join(", ")],
        ["Change", `${fmtChange(v.change)} (${fmtValue(v.observed, kind)} vs ${fmtValue(v.expected, kind)} expected)`],
        ["Segment", segmentText(v)],
        ["Dataset", `${ev.dataset}, ${ev.ds}`],
      ];
      return message(title, fields, v.message, ctx);
    }
    const enforced = ctx.enforced;
    const v = enforced[0];
    const kind = v ? kindOf(v, ctx.kinds) : "count";
    const fields: [string, string][] = v
      ? [
          ["Metric", enforced.map((f) => f.metric).join(", ")],
          ["Change", `${fmtChange(v.change)} (${fmtValue(v.observed, kind)} vs ${fmtValue(v.expected, kind)} expected)`],
          ["Segment", "site-wide"],
          ["Dataset", `${ev.dataset}, ${ev.ds}`],
        ]
      : [];
    return message(`Guardrail recovered: guardrails pass again on ${ev.ds}`, fields, "", ctx);
  }
  if (event.kind === "audit_failed") {
    const names = failedCheckNames(event.checks);
    return message(auditTitle(event.ds, event.checks), [["Dataset", `${event.dataset}, ${event.ds}`], ["Failed checks", names.join(", ")]], "The export was not published; the previous data stays in place.", ctx);
  }
  if (event.kind === "stale")
    return message(staleTitle(event.dataset, event.latestDs, event.ageHours), [["Dataset", event.dataset], ["Latest day", `${event.latestDs ?? "none"} (${fmtAge(event.ageHours)})`]], "Verdicts are no_data until a new partition is published.", ctx);
  const what = decision.kind === "audit_failed" ? "export audit problem fixed" : "fresh data arrived";
  return message(`Guardrail data problem resolved: ${what} for dataset ${event.dataset}`, event.ds ? [["Published", event.ds]] : [], "", ctx);
}
