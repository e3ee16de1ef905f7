/**
 * Incident issue titles, bodies and comments (GitHub Markdown, docs/alerts.md).
 * Pure: src/alerts/ decides what happens (open, comment, close) and which
 * guardrails fail and are enforced; this module only words it. The dashboard
 * link and suspects come in through the context.
 */
import type { CheckResult, Evaluation, MetricKind, Suspect, Verdict } from "../shared/types.js";
import type { AlertEvent, IncidentDecision, IncidentKind, IncidentState } from "../alerts/types.js";
import { fmtAge, fmtChange, fmtCheckValue, fmtShare, fmtValue, fmtZ, kindOf, segmentLabel } from "./format.js";
import { mdText } from "./neutralise.js";

/** What the wording needs besides the event; src/alerts/ fills it in. */
export interface RenderContext {
  /** Signed dashboard link, if the service knows its public URL. */
  dashboardUrl?: string;
  /** The suspect changes of the failing guardrails (src/suspects/), shown in the issue. */
  suspects?: Suspect[];
  /** Each metric's kind, from the metric definitions (a verdict's own `kind` wins). */
  kinds?: Readonly<Record<string, MetricKind>>;
  /** The failing enforced guardrails, the steepest decline first, as src/alerts/plan.ts decided them (empty for data events). */
  failing: Verdict[];
  /** The guardrails enforced after the repo's `enforce` overrides; another guardrail is shown "(not enforced)". */
  enforced: Verdict[];
}

/** Text from data in an issue or comment: see ./neutralise.ts. */
const mdCell = mdText;

/** The hidden id an incident issue is found by after a restart (together with the label). */
export function incidentMarker(dataset: string, kind: IncidentKind): string {
  return `<!-- guardrail-incident: dataset=${dataset} kind=${kind} -->`;
}

/** The hidden day key of the opening body and of each comment (no duplicate comment after a lost state). */
export function dayMarker(kind: IncidentKind, day: string): string {
  return `<!-- guardrail-day: kind=${kind} ds=${day} -->`;
}

export function breachTitle(ev: Evaluation, failing: Verdict[]): string {
  const first = failing[0];
  const more = failing.length > 1 ? ` (+${failing.length - 1} more)` : "";
  return `Guardrail breach: ${first ? `${first.metric} ${fmtChange(first.change)}` : "guardrails failing"}${more} on ${ev.ds}`;
}

export function failedCheckNames(checks: CheckResult[]): string[] {
  const failed = checks.filter((c) => c.status === "fail");
  return [...new Set((failed.length ? failed : checks).map((c) => c.name))];
}

export function auditTitle(ds: string, checks: CheckResult[]): string {
  const names = failedCheckNames(checks);
  return `Guardrail data problem: export for ${ds} failed its audit${names.length ? ` (${names.join(", ")})` : ""}`;
}

export function staleTitle(dataset: string, latestDs: string | null, ageHours: number | null): string {
  if (!latestDs) return `Guardrail data problem: dataset ${dataset} is stale (nothing published)`;
  return `Guardrail data problem: dataset ${dataset} is stale (latest ${latestDs}, ${fmtAge(ageHours)})`;
}

/** Metric / today / expected / change / z / verdict; enforced guardrails first. */
export function verdictTable(ev: Evaluation, ctx: RenderContext): string {
  const rows = [...ev.verdicts].sort((a, b) => Number(b.guardrail) - Number(a.guardrail));
  const lines = ["| metric | today | expected | change | z | verdict |", "|---|---:|---:|---:|---:|---|"];
  for (const v of rows) {
    const kind = kindOf(v, ctx.kinds);
    const enforced = ctx.enforced.some((e) => e.metric === v.metric);
    const name = v.guardrail ? `**${mdCell(v.metric)}**${enforced ? "" : " (not enforced)"}` : mdCell(v.metric);
    const verdict = v.verdict === "fail" ? "**fail**" : v.verdict;
    lines.push(
      `| ${name} | ${fmtValue(v.observed, kind)} | ${fmtValue(v.expected, kind)} | ${fmtChange(v.change)} | ${fmtZ(v.z)} | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

/** The verdict sentence of each failing guardrail plus its top segments. */
export function localisation(failing: Verdict[], ctx: RenderContext): string {
  const out: string[] = [];
  for (const v of failing) {
    out.push(`- ${mdCell(v.message)}`);
    const kind = kindOf(v, ctx.kinds);
    for (const s of v.segments.slice(0, 3)) {
      out.push(
        `  - ${mdCell(segmentLabel(s))}: ${fmtValue(s.observed, kind)} vs ${fmtValue(s.expected, kind)} expected (${fmtChange(s.change)}), ${fmtShare(s.contribution)} of the decline`,
      );
    }
    if (v.decomposition) {
      const { rate, mix, dimension } = v.decomposition;
      out.push(`  - by ${mdCell(dimension)}: ${fmtShare(rate)} rate change inside segments, ${fmtShare(mix)} traffic mix shift`);
    }
  }
  return out.join("\n");
}

/** "commit abc1234 (app_version 2.4.0): evidence", "release v2.4.0: evidence". */
export function suspectText(s: Suspect): string {
  return `${s.sha ? `commit ${s.sha}` : `release ${s.ref ?? s.version}`}${s.version ? ` (app_version ${s.version})` : ""}: ${s.evidence}`;
}

function suspectsSection(ctx: RenderContext): string {
  if (!ctx.suspects || ctx.suspects.length === 0) return "";
  // A long deploy window can list many commits; the dashboard has the rest, the issue stays readable.
  const shown = ctx.suspects.slice(0, 20);
  const lines = shown.map((s) => {
    const head = mdCell(suspectText(s));
    const pulls = s.prs.map((p) => (p.url ? `[#${p.number}](${p.url})` : `#${p.number}`) + (p.title ? ` ${mdCell(p.title)}` : ""));
    return `- ${head}${pulls.length ? ` — ${pulls.join(", ")}` : ""}`;
  });
  if (ctx.suspects.length > shown.length) lines.push(`- … and ${ctx.suspects.length - shown.length} more`);
  return `### Suspects\n\nChanges shipped between the last healthy day and the failing day:\n\n${lines.join("\n")}\n`;
}

function linkLine(ctx: RenderContext): string {
  return ctx.dashboardUrl ? `[Open the Guardrail dashboard](${ctx.dashboardUrl}) (a signed link that expires).` : "";
}

const WHAT_TO_DO = `### What to do

1. **Revert** the change that caused it: a pull request that reverts a suspect commit passes the guardrail check during the freeze.
2. **Override** if the decline is expected (a campaign ended, a tracking change): a maintainer comments \`/guardrail override <reason>\` on the blocked pull request.
3. **Recheck** after a fix and new data: comment \`/guardrail recheck\` on a pull request. This issue closes itself when the guardrails pass again.`;

function breachBody(ev: Evaluation, ctx: RenderContext): string {
  const failing = ctx.failing;
  const names = failing.map((v) => `\`${v.metric}\` ${fmtChange(v.change)}`).join(", ");
  return [
    incidentMarker(ev.dataset, "breach"),
    `**Guardrail breach on ${ev.ds}** in dataset \`${ev.dataset}\`: ${names || "an enforced guardrail failed"}.`,
    ev.summary ? `\n${mdCell(ev.summary)}` : "",
    "",
    verdictTable(ev, ctx),
    "",
    "### Where the decline is",
    "",
    localisation(failing, ctx) || "_Not localised: no breakdown explains the decline._",
    "",
    suspectsSection(ctx),
    linkLine(ctx),
    "",
    WHAT_TO_DO,
    "",
    `<sub>Opened by Guardrail. One issue per dataset: while the breach lasts each new day adds a comment here.</sub>`,
    dayMarker("breach", ev.ds),
  ]
    .filter((l, i, all) => !(l === "" && all[i - 1] === ""))
    .join("\n");
}

function checksTable(checks: CheckResult[]): string {
  const failed = checks.filter((c) => c.status === "fail");
  const lines = ["| check | table | observed | threshold | message |", "|---|---|---:|---:|---|"];
  for (const c of failed.length ? failed : checks)
    lines.push(`| ${mdCell(c.name)} | ${c.table} | ${mdCell(fmtCheckValue(c.observed))} | ${mdCell(fmtCheckValue(c.threshold))} | ${mdCell(c.message)} |`);
  return lines.join("\n");
}

/** The body of a data problem: what happened, the details, the link, what to do. */
function dataProblemBody(opening: string, lead: string, detail: string, todo: string, closing: string, ctx: RenderContext): string {
  return [opening, lead, "", detail, "", linkLine(ctx), "", "### What to do", "", todo, "", closing].join("\n");
}

function auditBody(dataset: string, ds: string, checks: CheckResult[], ctx: RenderContext): string {
  return dataProblemBody(
    incidentMarker(dataset, "audit_failed"),
    `**The export of dataset \`${dataset}\` for ${ds} failed its audit** and was not published: the data already published stays in place, and ${ds} is judged \`inconclusive\` until a corrected export is published.`,
    checksTable(checks),
    `Fix the export in the warehouse and send it again (\`guardrail ingest FILE --ds ${ds} --dataset ${dataset}\`, or the upload endpoint). This issue closes itself when ${ds} or a later day is published.`,
    dayMarker("audit_failed", ds),
    ctx,
  );
}

function staleBody(event: Extract<AlertEvent, { kind: "stale" }>, day: string, ctx: RenderContext): string {
  const window = event.freshnessHours ? ` (freshness window ${event.freshnessHours} h)` : "";
  const latest = event.latestDs ? `The newest published day is ${event.latestDs}, ${fmtAge(event.ageHours)}${window}.` : `Nothing has been published yet${window}.`;
  return dataProblemBody(
    incidentMarker(event.dataset, "stale"),
    `**Dataset \`${event.dataset}\` is stale**: no new partition arrived in time. ${latest}`,
    "Until fresh data arrives, verdicts are `no_data`: pull-request checks and the deploy gate follow `on_missing_data` in `.github/guardrail.yml`.",
    "Check the warehouse job that exports the daily partition and its upload to Guardrail. This issue closes itself when a newer day is published.",
    dayMarker("stale", day),
    ctx,
  );
}

/** Title and body of a new incident issue. */
export function renderIssue(decision: IncidentDecision, event: AlertEvent, ctx: RenderContext): { title: string; body: string } {
  if (event.kind === "breach" || event.kind === "recovery")
    return { title: breachTitle(event.evaluation, ctx.failing), body: breachBody(event.evaluation, ctx) };
  if (event.kind === "audit_failed") return { title: auditTitle(event.ds, event.checks), body: auditBody(event.dataset, event.ds, event.checks, ctx) };
  if (event.kind === "stale") return { title: staleTitle(event.dataset, event.latestDs, event.ageHours), body: staleBody(event, decision.day, ctx) };
  throw new Error(`no issue is opened for a ${event.kind} event`);
}

/** A daily comment (the problem continues) or a closing comment (it is fixed). */
export function renderComment(decision: IncidentDecision, event: AlertEvent, state: IncidentState | null, ctx: RenderContext): string {
  const marker = dayMarker(decision.kind, decision.day);
  const link = linkLine(ctx);
  const tail = [link, marker].filter(Boolean).join("\n\n");
  if (event.kind === "breach" || event.kind === "recovery") {
    const ev = event.evaluation;
    if (decision.type === "comment") {
      const failing = ctx.failing;
      const names = failing.map((v) => `\`${v.metric}\` ${fmtChange(v.change)}`).join(", ");
      return `**Still failing on ${ev.ds}**: ${names}.\n\n${verdictTable(ev, ctx)}\n\n${localisation(failing, ctx)}\n\n${tail}`;
    }
    const since = state ? ` The breach lasted from ${state.opened_ds} to ${state.last_ds}.` : "";
    return `**Recovered on ${ev.ds}**: every enforced guardrail passes again.${since} Closing this issue.\n\n${verdictTable(ev, ctx)}\n\n${tail}`;
  }
  if (event.kind === "audit_failed")
    return `**The export for ${event.ds} failed its audit too** (${failedCheckNames(event.checks).join(", ")}); it was not published.\n\n${checksTable(event.checks)}\n\n${tail}`;
  if (event.kind === "stale")
    return `**Still stale on ${decision.day}**: ${event.latestDs ? `the newest published day is ${event.latestDs}, ${fmtAge(event.ageHours)}` : "nothing has been published yet"}.\n\n${marker}`;
  // data_ok closes audit or stale incidents.
  if (decision.kind === "audit_failed")
    return `**Fixed**: ${event.ds ? `${event.ds} was published` : "the data was published"} after passing its audit. Closing this issue.\n\n${marker}`;
  return `**Fresh data arrived**${event.ds ? `: ${event.ds} was published` : ""}. The dataset is no longer stale; closing this issue.\n\n${marker}`;
}
