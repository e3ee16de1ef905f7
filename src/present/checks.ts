/**
 * What the `guardrail` and `guardrail/regression` check runs say. Pure: given
 * a repo's view and the decision (src/gate/decide.ts), it returns the
 * conclusion, a one-line title and a Markdown summary that fits GitHub's
 * 65,535-character limit. No GitHub, no store.
 */
import type { Conclusion, Evaluation, MetricKind, Suspect, SuspectPr, Verdict, VerdictKind } from "../shared/types.js";
import { isEnforcedGuardrail, type Exemption, type GateState, type OnMissingData } from "../shared/decision.js";
import type { Decision } from "../gate/decide.js";
import type { CanaryForHead } from "../canary/index.js";
import { canaryFell, canaryNoTraffic, canarySection, canaryTitle } from "./canary.js";
import { fmtChange, fmtShare, fmtValue, kindOf, verdictLabel } from "./format.js";
import { mdCode, mdText } from "./neutralise.js";

export const CHECK_NAME = "guardrail";
export const REGRESSION_CHECK_NAME = "guardrail/regression";
/** GitHub rejects output.summary over 65,535 characters; leave room for the truncation note. */
export const SUMMARY_LIMIT = 65_535;
const TITLE_LIMIT = 200;

export const RECHECK_ACTION = { label: "Recheck", description: "Evaluate the guardrails again", identifier: "recheck" };

export type MetricKinds = Readonly<Record<string, MetricKind>>;

/** The part of a repo's view (src/gate/view.ts) a check shows. */
export interface CheckView {
  dataset: string;
  repoConfig: { on_missing_data: OnMissingData; hostnames?: string[] };
  /** An invalid `.github/guardrail.yml`: the check fails and says which field is wrong. */
  configError: string | null;
  evaluation: Evaluation | null;
  /** Why there is no evaluation (the evaluator threw), shown instead of the table. */
  evaluationError: string | null;
  kinds: MetricKinds;
  detailsUrl: string | null;
}

export interface CheckOutput {
  conclusion: Conclusion;
  title: string;
  summary: string;
}

const ICON: Record<VerdictKind, string> = { pass: "✅", warn: "⚠️", fail: "❌", no_data: "⬜", inconclusive: "❔" };

/** Text from data or commenters in the check's Markdown (src/present/neutralise.ts). */
const cell = mdText;

export function oneLine(text: string, limit = TITLE_LIMIT): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit - 1)}…`;
}

/** Cuts at a line boundary (never inside a table row or a surrogate pair) and says so. */
export function capSummary(text: string, limit = SUMMARY_LIMIT, link?: string | null): string {
  if (text.length <= limit) return text;
  const note = `\n\n_… the rest (${text.length} characters in all) did not fit in a check run${link ? `; see the [dashboard](${link})` : ""}._`;
  const budget = limit - note.length;
  let cut = text.lastIndexOf("\n", budget);
  if (cut <= 0) cut = budget;
  // Never split a UTF-16 surrogate pair (an emoji) when there was no newline to cut at.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut -= 1;
  return text.slice(0, cut) + note;
}

function sortVerdicts(verdicts: Verdict[]): Verdict[] {
  return [...verdicts].sort((a, b) => Number(b.guardrail) - Number(a.guardrail));
}

function verdictTable(evaluation: Evaluation, kinds: MetricKinds): string {
  const lines = ["| metric | today | expected | change | verdict |", "|---|---:|---:|---:|---|"];
  for (const v of sortVerdicts(evaluation.verdicts)) {
    const kind = kindOf(v, kinds);
    const label = v.guardrail ? `**${v.metric}** (guardrail${isEnforcedGuardrail(v) ? "" : ", not enforced"})` : v.metric;
    const marks = v as { low_volume?: boolean; no_baseline?: boolean };
    const word = marks.low_volume || marks.no_baseline ? verdictLabel(marks as typeof marks & { verdict: string }) : v.verdict;
    lines.push(
      `| ${cell(label)} | ${fmtValue(v.observed, kind)} | ${fmtValue(v.expected, kind)} | ${fmtChange(v.change)} | ${ICON[v.verdict]} ${word} |`,
    );
  }
  return lines.join("\n");
}

/** The localisation sentences: each troubled guardrail's message and its biggest segments. */
function localisation(evaluation: Evaluation, kinds: MetricKinds, hostnames: string[] | undefined): string {
  const out: string[] = [];
  for (const v of evaluation.verdicts) {
    if (!v.guardrail || (v.verdict !== "fail" && v.verdict !== "warn")) continue;
    out.push(`- ${cell(v.message)}`);
    const kind = kindOf(v, kinds);
    const top = v.segments.slice(0, 3);
    for (const s of top)
      out.push(
        `  - ${s.dimension} = ${cell(s.value)}: ${fmtValue(s.observed, kind)} vs ${fmtValue(s.expected, kind)} expected (${fmtChange(s.change)}), ${fmtShare(s.contribution)} of the change`,
      );
    if (v.decomposition)
      out.push(`  - by ${v.decomposition.dimension}: ${fmtShare(v.decomposition.rate)} from the rate inside segments, ${fmtShare(v.decomposition.mix)} from the traffic mix`);
    if (hostnames?.length) {
      const mine = v.segments.filter((s) => s.dimension === "dim_hostname" && hostnames.includes(s.value));
      for (const s of mine)
        out.push(`  - your host ${cell(s.value)}: ${fmtValue(s.observed, kind)} vs ${fmtValue(s.expected, kind)} expected (${fmtChange(s.change)})`);
    }
  }
  return out.join("\n");
}

function describeFall(failing: Verdict[]): string {
  return failing.map((v) => `${v.metric} ${fmtChange(v.change)}`).join(", ");
}

/** How a check concludes a decision: open passes, blocked fails, unknown is neutral. */
export function conclusionOf(state: GateState): Conclusion {
  return state === "open" ? "success" : state === "blocked" ? "failure" : "neutral";
}

/**
 * The `guardrail` check of a PR head: the decision, its verdict table, where
 * the change is, and the PR's canary. A failing canary fails the check even
 * when the site-wide guardrails pass (only an override passes it; a revert is
 * exempt from the freeze, not from its own canary); a passing canary never
 * lifts a merge freeze.
 */
export function buildGuardrailCheck(view: CheckView, decision: Decision, canary: CanaryForHead | null = null): CheckOutput {
  const j = canary?.judgement ?? null;
  const ex = decision.exemption;
  let md = j ? canarySection(j) : canary?.expected ? canaryNoTraffic() : "";
  if (j?.status === "fail" && ex?.kind === "override") md += `\n\n> **Overridden** by @${ex.actor} at ${ex.createdAt}: ${cell(ex.reason)}\n>\n> The canary fails; this PR may merge.`;
  const site = buildSiteCheck(view, decision, md);
  if (view.configError || !j) return site;
  if (j.status !== "fail") return { ...site, title: oneLine(`${site.title}; ${canaryTitle(j)}`) };
  if (ex?.kind === "override") return { ...site, title: oneLine(`Passing by override of @${ex.actor}: canary ${canaryFell(j)}`) };
  return { ...site, conclusion: "failure", title: oneLine(canaryTitle(j)) };
}

function buildSiteCheck(view: CheckView, decision: Decision, canaryMd: string): CheckOutput {
  const { evaluation, repoConfig: cfg, detailsUrl } = view;
  const link = detailsUrl ? `\n\n[Open the Guardrail dashboard](${detailsUrl})` : "";
  const conclusion = conclusionOf(decision.state);
  const ex = decision.exemption;

  if (view.configError) {
    return {
      conclusion: "failure",
      title: "Invalid .github/guardrail.yml",
      summary: capSummary(
        `${view.configError}\n\nFix the file on the default branch, then push or comment \`/guardrail recheck\`. Every field is optional; a missing file means \`dataset: default\`.`,
      ),
    };
  }

  if (!evaluation) {
    return {
      conclusion,
      title: `No guardrail verdict for dataset ${view.dataset}`,
      summary: capSummary(
        `Guardrail could not evaluate dataset \`${view.dataset}\`: ${view.evaluationError ?? "no evaluation is available yet"}.\n\nThe conclusion follows \`on_missing_data: ${cfg.on_missing_data}\`.${exemptionNote(ex)}${canaryMd ? `\n\n${canaryMd}` : ""}${link}`,
        SUMMARY_LIMIT,
        detailsUrl,
      ),
    };
  }

  const failing = decision.failing;
  // A day published partial (docs/ingest.md, "Partial days") is marked wherever the day is named.
  const partial = evaluation.data?.state === "partial";
  const header = `**Dataset** \`${evaluation.dataset}\` · **day** ${evaluation.ds}${partial ? " (published PARTIAL)" : ""} · **status** ${ICON[evaluation.status]} ${evaluation.status}`;
  const table = verdictTable(evaluation, view.kinds);
  const where = localisation(evaluation, view.kinds, cfg.hostnames);
  const body = (extra: string) =>
    capSummary([header, extra, canaryMd, table, where ? `### Where the change is\n${where}` : ""].filter(Boolean).join("\n\n") + link, SUMMARY_LIMIT, detailsUrl);

  if (failing.length > 0) {
    const fell = describeFall(failing);
    if (ex?.kind === "override") {
      return {
        conclusion,
        title: oneLine(`Passing by override of @${ex.actor}: ${fell} on ${evaluation.ds}`),
        summary: body(`> **Overridden** by @${ex.actor} at ${ex.createdAt}: ${cell(ex.reason)}\n>\n> The guardrails still fail (merge freeze for other PRs); this PR may merge.`),
      };
    }
    if (ex?.kind === "revert") {
      const what = ex.reverted.join(", ");
      return {
        conclusion,
        title: oneLine(`Passing: this PR reverts suspect ${what} (${fell} on ${evaluation.ds})`),
        summary: body(`> **Revert of a suspect**: this PR reverts ${what}, suspected of the decline${ex.evidence ? ` (${cell(ex.evidence)})` : ""}. Reverts may merge during the freeze.`),
      };
    }
    return {
      conclusion,
      title: oneLine(`Merge freeze: ${fell} on ${evaluation.ds}`),
      summary: body(
        `A guardrail fails, so every PR is blocked until it recovers. To merge anyway: revert the suspect commit (a revert PR passes), or a maintainer comments \`/guardrail override <reason>\`.`,
      ),
    };
  }

  if (decision.reasons.some((r) => r.code === "missing")) {
    return {
      conclusion,
      title: oneLine(`No guardrail verdict for ${evaluation.ds}: ${partial ? "published partial" : evaluation.status.replace("_", " ")}`),
      summary: body(`${cell(evaluation.summary ?? "The data needed for a verdict is missing, stale or failed its audit.")} The conclusion follows \`on_missing_data: ${cfg.on_missing_data}\`.${exemptionNote(ex)}`),
    };
  }

  const warns = decision.reasons.filter((r) => r.code === "warns").length;
  return {
    conclusion,
    title: oneLine(`Guardrails pass for ${evaluation.ds}${warns ? ` (${warns} warning${warns > 1 ? "s" : ""})` : ""}`),
    summary: body(evaluation.summary ? cell(evaluation.summary) : ""),
  };
}

function exemptionNote(ex: Exemption): string {
  if (ex?.kind !== "override") return "";
  return `\n\n> **Overridden** by @${ex.actor} at ${ex.createdAt}: ${cell(ex.reason)}`;
}

export interface RegressionCheckInput {
  suspect: Suspect;
  evaluation: Evaluation;
  /** The enforced guardrails that fail (the decision's `failing`). */
  failing: Verdict[];
  prs: SuspectPr[];
  kinds: MetricKinds;
  detailsUrl?: string | null;
}

/** The failing `guardrail/regression` check on a suspect commit: the evidence and the PRs behind it. */
export function buildRegressionCheck(input: RegressionCheckInput): CheckOutput {
  const { suspect: s, evaluation, prs, failing } = input;
  const lines: string[] = [];
  lines.push(`This commit is a suspect for the guardrail decline of dataset \`${evaluation.dataset}\` on ${evaluation.ds}.`);
  lines.push(`**Evidence:** ${cell(s.evidence)}`);
  if (s.version) lines.push(`**app_version:** ${mdCode(s.version)}`);
  if (s.deployedAt) lines.push(`**Deployed:** ${s.deployedAt} to ${s.environment ?? "production"}${s.ref ? ` (ref \`${cell(s.ref)}\`)` : ""}`);
  if (s.window) lines.push(`**Window:** deployments from ${s.window.from} to ${s.window.to}`);
  const table = ["| metric | today | expected | change | verdict |", "|---|---:|---:|---:|---|"];
  for (const v of failing) {
    const k = kindOf(v, input.kinds);
    table.push(`| ${v.metric} | ${fmtValue(v.observed, k)} | ${fmtValue(v.expected, k)} | ${fmtChange(v.change)} | ${ICON[v.verdict]} ${v.verdict} |`);
  }
  for (const v of evaluation.versions.filter((x) => x.version === s.version)) {
    const k = input.kinds[v.metric];
    table.push(`| ${v.metric} on ${cell(v.version)} vs the rest | ${fmtValue(v.observed, k)} | ${fmtValue(v.expected, k)} | ${fmtChange(v.change)} | ${ICON[v.verdict]} ${v.verdict} |`);
  }
  lines.push(table.join("\n"));
  lines.push(
    prs.length
      ? `**Brought in by:**\n${prs.map((p) => `- #${p.number} ${cell(p.title)}${p.author ? ` by @${p.author}` : ""}`).join("\n")}`
      : "**Brought in by:** no pull request is associated with this commit.",
  );
  lines.push("A PR that reverts this commit passes the `guardrail` check during the freeze.");
  if (input.detailsUrl) lines.push(`[Open the Guardrail dashboard](${input.detailsUrl})`);
  const what = prs.length ? ` (from #${prs[0].number})` : "";
  return {
    conclusion: "failure",
    title: oneLine(`Suspected of ${describeFall(failing)} on ${evaluation.ds}${what}`),
    summary: capSummary(lines.join("\n\n"), SUMMARY_LIMIT, input.detailsUrl),
  };
}
