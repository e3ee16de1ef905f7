/**
 * Alerts (docs/alerts.md, issue 9): the incident issue of each repo and the
 * dataset's chat notifications, driven by one lifecycle (plan.ts).
 *
 * Callers:
 * - after a publish: `syncIncident(…, eventFromEvaluation(evaluation))` and
 *   `syncIncident(…, {kind: 'data_ok', dataset, ds})` for each repo;
 * - after an audit rejected an export: `{kind: 'audit_failed', dataset, ds, checks}`;
 * - on the service timer and in `guardrail evaluate`: `freshnessEvent(db, cfg, now)`.
 * Datasets without a repo get their chat messages through `syncChat(deps, event)`.
 */
import type { ViewDeps } from "../gate/view.js";
import { resolveDataset } from "../config/load.js";
import { dashboardLink } from "../shared/links.js";
import { keyedLock } from "../shared/lock.js";
import type { Octokit } from "../github/octokit.js";
import { httpStatus } from "../github/octokit.js";
import { closeIssue, commentOnIssue, createIncidentIssue, ensureIncidentLabel, findIncidentIssue, issueHasComment } from "../github/incidents.js";
import { findSuspects } from "../suspects/index.js";
import type { CheckResult, Evaluation, MetricKind, RepoName } from "../shared/types.js";
import { enforcedGuardrails, eventDataset, evaluationOutcome, failingGuardrails, planIncident, type Enforcement } from "./plan.js";
import { dayMarker, incidentMarker, renderComment, renderIssue, type RenderContext } from "../present/incidents.js";
import { buildChatMessage } from "../present/chat.js";
import { defaultNotifier, stderrLog, type DeliveryResult, type Notifier } from "./notifier.js";
import { applyDecision, CHAT_TARGET, loadIncidents } from "../store/incidents.js";
import type { AlertEvent, AlertLog, IncidentDecision, IncidentState, RepoAlertConfig } from "./types.js";

export type { AlertEvent, IncidentDecision, IncidentState, RepoAlertConfig } from "./types.js";
export { planIncident, evaluationOutcome, failingGuardrails } from "./plan.js";
export { checkFreshness, freshnessEvent, type Freshness } from "./freshness.js";
export { Notifier, flushNotifications, type DeliveryResult } from "./notifier.js";
export { buildChatMessage, type ChatMessage } from "../present/chat.js";
export { openIncidents } from "../store/incidents.js";
export { INCIDENT_LABEL } from "../github/incidents.js";

export type AlertDeps = ViewDeps & {
  /** Chat delivery (default: one notifier per process). */
  notifier?: Notifier;
  log?: AlertLog;
  /** Where GUARDRAIL_NOTIFY_URL is read (default process.env). */
  env?: Record<string, string | undefined>;
};


/** breach when an enforced guardrail fails, else recovery (which only closes an open incident when the data was judged). */
export function eventFromEvaluation(evaluation: Evaluation): AlertEvent {
  return { kind: evaluationOutcome(evaluation) === "breach" ? "breach" : "recovery", evaluation };
}

/** What the incident lifecycle hears about a day. A published day closes the data problems it fixes and opens or closes a breach; a rejected export opens the audit incident. */
export function dayAlerts(
  day: { kind: "published"; dataset: string; ds: string; evaluation: Evaluation } | { kind: "rejected"; dataset: string; ds: string; checks: CheckResult[] },
): AlertEvent[] {
  if (day.kind === "rejected") return [{ kind: "audit_failed", dataset: day.dataset, ds: day.ds, checks: day.checks }];
  return [{ kind: "data_ok", dataset: day.dataset, ds: day.ds }, eventFromEvaluation(day.evaluation)];
}

/** The dataset's webhook: its own `notify_url` (or the config's top-level one), else GUARDRAIL_NOTIFY_URL. */
export function notifyUrl(deps: Pick<AlertDeps, "config" | "env">, dataset: string): string | null {
  // Every dataset name resolves (unknown ones take the defaults); only a malformed name throws, and none reaches here from the store.
  return resolveDataset(deps.config, dataset).notify_url || (deps.env ?? process.env).GUARDRAIL_NOTIFY_URL || null;
}

/** Fire-and-forget: returns at once; null when no webhook is configured. */
export function notify(deps: AlertDeps, dataset: string, message: unknown, label = `notification for dataset ${dataset}`): Promise<DeliveryResult> | null {
  const url = notifyUrl(deps, dataset);
  if (!url) return null;
  return (deps.notifier ?? defaultNotifier()).send(url, message, label);
}

/** Each metric's kind from the dataset's definitions (the issue and chat show ratios as percentages). */
function kindsOf(deps: Pick<AlertDeps, "config">, dataset: string): Record<string, MetricKind> {
  return Object.fromEntries(resolveDataset(deps.config, dataset).metrics.map((m) => [m.name, m.kind]));
}

/**
 * What a message shows besides the event: the link, each metric's kind, and
 * what the alerts decided about the evaluation — the failing enforced
 * guardrails (steepest first) and the enforced ones, after the repo's
 * `enforce` overrides. src/present/ words it.
 */
function renderContext(deps: AlertDeps, dataset: string, event: AlertEvent, d: IncidentDecision, enforcement?: Enforcement | null): RenderContext {
  const ev = "evaluation" in event ? event.evaluation : null;
  return {
    dashboardUrl: dashboardLink(deps, dataset, eventDs(event, d)) ?? undefined,
    kinds: kindsOf(deps, dataset),
    failing: ev ? failingGuardrails(ev, enforcement) : [],
    enforced: ev ? enforcedGuardrails(ev, enforcement) : [],
  };
}

function eventDs(event: AlertEvent, d: IncidentDecision): string | undefined {
  if ("evaluation" in event) return event.evaluation.ds;
  if (event.kind === "audit_failed") return event.ds;
  if (event.kind === "stale") return event.latestDs ?? undefined;
  return event.ds ?? d.dataDs ?? undefined;
}

/** One lifecycle at a time per target + dataset, so two concurrent callers never open two issues. */
const withLock = keyedLock();

/**
 * Chat side of an event: the dataset-wide lifecycle (repo '' in `incidents`),
 * one message when an incident opens and one when it closes. Decides and
 * records synchronously, delivers in the background: never blocks the caller.
 */
export function syncChat(deps: AlertDeps, event: AlertEvent): { decisions: IncidentDecision[]; deliveries: Promise<DeliveryResult>[] } {
  const dataset = eventDataset(event);
  const url = notifyUrl(deps, dataset);
  if (!url) return { decisions: [], deliveries: [] };
  const decisions = planIncident(loadIncidents(deps.db, CHAT_TARGET, dataset), event);
  const deliveries: Promise<DeliveryResult>[] = [];
  for (const d of decisions) {
    applyDecision(deps.db, CHAT_TARGET, dataset, d, null);
    const msg = buildChatMessage(d, event, renderContext(deps, dataset, event, d));
    if (msg) deliveries.push((deps.notifier ?? defaultNotifier()).send(url, msg, `${d.kind} ${d.type === "open" ? "alert" : "resolution"} for dataset ${dataset}`));
  }
  return { decisions, deliveries };
}

/**
 * Brings one repo's incident issue(s) in line with an event, and sends the
 * dataset's chat message (deduplicated across repos). Idempotent: the same
 * event twice, or after a restart, changes nothing the second time.
 * Respects `alerts.issue: false` in the repo's `.github/guardrail.yml`.
 */
export async function syncIncident(
  octokit: Octokit,
  deps: AlertDeps,
  repo: RepoName,
  repoConfig: RepoAlertConfig | null | undefined,
  event: AlertEvent,
): Promise<IncidentDecision[]> {
  const log = deps.log ?? stderrLog;
  syncChat(deps, event);
  if (repoConfig?.alerts?.issue === false) return [];
  const full = repo;
  const dataset = eventDataset(event);
  const enforcement = repoConfig?.metrics;
  return withLock(`${full}\0${dataset}`, async () => {
    const states = loadIncidents(deps.db, full, dataset);
    const decisions = planIncident(states, event, enforcement);
    for (const d of decisions) {
      const ctx = renderContext(deps, dataset, event, d, enforcement);
      // The suspects of the failing guardrails the repo enforces, shown in the issue.
      if ("evaluation" in event && d.type !== "close") ctx.suspects = findSuspects(deps.db, full, dataset, event.evaluation, ctx.failing);
      const number = await carryOut(octokit, deps, full, dataset, d, event, states[d.kind] ?? null, ctx);
      applyDecision(deps.db, full, dataset, d, number);
      log.info(`guardrail alerts: ${d.kind} incident of dataset ${dataset} in ${full}: ${d.type} (${d.day})${number ? ` issue #${number}` : ""}`);
    }
    return decisions;
  });
}

/** Performs one decision on GitHub; returns the issue number (for an open). */
async function carryOut(
  octokit: Octokit,
  deps: AlertDeps,
  repo: string,
  dataset: string,
  d: IncidentDecision,
  event: AlertEvent,
  state: IncidentState | null,
  ctx: RenderContext,
): Promise<number | null> {
  const gone = (err: unknown) => httpStatus(err) === 404 || httpStatus(err) === 410;
  if (d.type === "open") {
    // After a restart or a lost database the issue may exist already: adopt it, never open a second one.
    const existing = await findIncidentIssue(octokit, repo, incidentMarker(dataset, d.kind));
    if (existing) {
      const marker = dayMarker(d.kind, d.day);
      if (!existing.body.includes(marker) && !(await issueHasComment(octokit, repo, existing.number, marker)))
        await commentOnIssue(octokit, repo, existing.number, renderComment({ ...d, type: "comment" }, event, state, ctx));
      return existing.number;
    }
    const { title, body } = renderIssue(d, event, ctx);
    await ensureIncidentLabel(octokit, repo);
    return createIncidentIssue(octokit, repo, title, body);
  }
  const number = state?.issue_number ?? null;
  if (d.type === "comment") {
    try {
      if (number === null) throw Object.assign(new Error("no issue recorded"), { status: 404 });
      await commentOnIssue(octokit, repo, number, renderComment(d, event, state, ctx));
      return null;
    } catch (err) {
      if (!gone(err)) throw err;
      // The issue was deleted or transferred: open a fresh one for the ongoing problem.
      return carryOut(octokit, deps, repo, dataset, { ...d, type: "open" }, event, state, ctx);
    }
  }
  if (number === null) return null;
  try {
    await commentOnIssue(octokit, repo, number, renderComment(d, event, state, ctx));
    await closeIssue(octokit, repo, number);
  } catch (err) {
    if (!gone(err)) throw err;
  }
  return null;
}
