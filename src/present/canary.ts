/**
 * The words of a canary judgement (docs/canary.md): the check's "Canary"
 * section and title, the deploy gate's reason, the dashboard's line. The
 * judge (src/canary/) returns codes and numbers; this is where they are worded.
 */
import type { CanaryJudgement, CanaryMetricResult, CanaryStatus, CanaryMetricVerdict } from "../canary/index.js";
import { fmtChange, fmtCount, fmtFraction, fmtHours, fmtHoursIn, fmtP, fmtPct, fmtRate, fmtZ } from "./format.js";

export { fmtHours } from "./format.js";

const ICON: Record<CanaryMetricVerdict, string> = { fail: "❌", warn: "⚠️", no_decline: "✅", low_traffic: "⬜", not_judged: "➖" };
const WORD: Record<CanaryMetricVerdict, string> = {
  fail: "fail",
  warn: "warn",
  no_decline: "no decline",
  low_traffic: "too little traffic",
  not_judged: "not judged",
};

/** "3f2a9c1" or "3f2a9c1, preview-pr-7" */
function buildName(j: CanaryJudgement): string {
  return j.versions.map((v) => `\`${v}\``).join(", ");
}

function failing(j: CanaryJudgement, verdict: CanaryMetricVerdict): CanaryMetricResult[] {
  return j.metrics.filter((m) => m.verdict === verdict);
}

/** "signup_conversion_rate −40.0 % (z = −8.1)" for each guardrail with `verdict`. */
function fell(ms: CanaryMetricResult[]): string {
  return ms.map((m) => `${m.metric} ${m.change === null ? "" : fmtChange(m.change)} (z = ${fmtZ(m.z)})`).join(", ");
}

/** How much more of the denominator (and about how many visitors) a low-traffic guardrail needs. */
export function moreTrafficText(m: CanaryMetricResult, j: Pick<CanaryJudgement, "visitors">): string {
  const decline = `a ${fmtFraction(m.min_relative_change)} decline of ${m.metric}`;
  if (m.more_denominator === null) return `${m.metric} is 0 for the rest of the traffic: there is no decline to show`;
  const perVisitor = m.canary.den > 0 && j.visitors > 0 ? j.visitors / m.canary.den : null;
  const visitors = perVisitor ? ` (≈ ${fmtCount(Math.ceil(m.more_denominator * perVisitor))} more visitors)` : "";
  return `${m.metric} needs about ${fmtCount(m.more_denominator)} more ${m.denominator_metric}${visitors} on this build, at its share of the traffic, to show ${decline} (it has ${fmtCount(m.canary.den)})`;
}

/** The hours compared, in the dataset's time zone (event_hour is its wall-clock hour): "08:00–21:00 Europe/Berlin". */
export function hoursOf(j: Pick<CanaryJudgement, "hours" | "timezone">): string {
  // A judgement stored before it carried its zone was of a UTC dataset or read as one.
  return fmtHoursIn(j.hours ?? [], j.timezone ?? "UTC");
}

/** The one-line verdict of the whole canary. */
export function canarySentence(j: CanaryJudgement): string {
  const status: CanaryStatus = j.status;
  if (status === "fail") return `Canary fails: ${fell(failing(j, "fail"))} on this PR's traffic against the rest of the same hours (${hoursOf(j)} on ${j.ds}).`;
  if (status === "warn") return `Canary warns: ${fell(failing(j, "warn"))} on this PR's traffic against the rest of the same hours; not blocking.`;
  if (status === "low_traffic") return `Canary not judged yet, too little traffic: ${failing(j, "low_traffic").map((m) => moreTrafficText(m, j)).join("; ")}.`;
  if (status === "no_decline") return "Canary judged: no decline.";
  return "Canary not judged: no enforced guardrail ratio can be compared on this build's traffic.";
}

/** "signup_conversion_rate −40 % (z = −6.1)": the failing guardrails of a canary. */
export function canaryFell(j: CanaryJudgement): string {
  return fell(failing(j, "fail"));
}

/** The section of a head whose build served no published traffic yet. */
export function canaryNoTraffic(): string {
  return "### Canary\nNo published day holds traffic of this commit yet (events whose `app_version` is its SHA or a 7-character prefix, or a version a canary / preview deployment maps to it): nothing to judge on its own traffic.";
}

/** Title suffix / title of the check. */
export function canaryTitle(j: CanaryJudgement): string {
  if (j.status === "fail") return `Canary fails: ${fell(failing(j, "fail"))} on this PR's traffic, ${hoursOf(j)} on ${j.ds}`;
  if (j.status === "no_decline") return "canary judged: no decline";
  if (j.status === "warn") return "canary warns";
  if (j.status === "low_traffic") return "canary needs more traffic";
  return "canary not judged";
}

function notJudgedWhy(m: CanaryMetricResult): string {
  if (m.reason === "count_metric") return "a count depends on the build's share of traffic";
  if (m.reason === "distinct_measure") return "distinct counts do not add across hours";
  return "the build served all traffic of these hours";
}

function valueCell(m: CanaryMetricResult, f: { num: number; den: number }, rate: number | null): string {
  if (rate === null) return `– (${fmtCount(f.num)} / ${fmtCount(f.den)})`;
  return `${fmtRate(rate)} (${fmtCount(f.num)} / ${fmtCount(f.den)})`;
}

/** The "Canary" section of the PR check (Markdown). */
export function canarySection(j: CanaryJudgement): string {
  const lines = [
    "### Canary",
    `This PR's build (${buildName(j)}) served ${fmtPct(j.canary_events / Math.max(1, j.day_events))} of the events of ${j.ds} (≈ ${fmtCount(j.visitors)} visitors), ` +
      `${fmtPct(j.canary_events / Math.max(1, j.canary_events + j.rest_events))} of the events in the hours compared.`,
    `**Hours compared**: ${hoursOf(j)}. Each guardrail on this build is tested against the rest of the traffic of the same hours (exact one-sided test).`,
    "",
    "| guardrail | this build | rest, same hours | change | z | verdict |",
    "|---|---:|---:|---:|---:|---|",
  ];
  for (const m of j.metrics) {
    if (m.verdict === "not_judged") {
      lines.push(`| ${m.metric} | – | – | – | – | ${ICON[m.verdict]} not judged: ${notJudgedWhy(m)} |`);
      continue;
    }
    lines.push(
      `| ${m.metric} | ${valueCell(m, m.canary, m.observed)} | ${valueCell(m, m.rest, m.expected)} | ${m.change === null ? "–" : fmtChange(m.change)} | ${fmtZ(m.z)} | ${ICON[m.verdict]} ${WORD[m.verdict]} |`,
    );
  }
  lines.push("", `**${canarySentence(j)}**`);
  const low = failing(j, "low_traffic");
  if (j.status !== "low_traffic" && low.length) lines.push(...low.map((m) => `- ${moreTrafficText(m, j)}.`));
  const fails = failing(j, "fail");
  if (fails.length)
    lines.push(
      ...fails.map(
        (m) =>
          `- ${m.metric}: ${fmtRate(m.observed ?? 0)} on this build against ${fmtRate(m.expected ?? 0)} for the rest (${fmtChange(m.change ?? 0)}, z = ${fmtZ(m.z)}, exact p = ${fmtP(m.p)}); fails at z ≤ −${m.sensitivity} and a decline of at least ${fmtFraction(m.min_relative_change)}.`,
      ),
    );
  return lines.join("\n");
}

/** The deploy gate's reason for holding a commit whose canary failed. */
export function canaryGateReason(j: CanaryJudgement): string {
  const what = failing(j, "fail")
    .map((m) => `${m.metric} ${fmtChange(m.change ?? 0)} (${fmtRate(m.observed ?? 0)} vs ${fmtRate(m.expected ?? 0)}, z = ${fmtZ(m.z)})`)
    .join(", ");
  return `The canary of this commit failed on ${j.ds}: ${what} against the rest of the traffic of the same hours (${hoursOf(j)}).`;
}

/** One line per judged canary, for the dashboard. */
export function canaryListLine(repo: string, j: CanaryJudgement): string {
  return `${repo}@${j.sha.slice(0, 7)}: ${WORD[j.status as CanaryMetricVerdict] ?? j.status} — ${fmtPct(j.canary_events / Math.max(1, j.day_events))} of the events, ${hoursOf(j)}${
    j.status === "fail" ? `; ${fell(failing(j, "fail"))}` : ""
  }`;
}
