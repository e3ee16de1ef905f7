/**
 * What the `guardrail` and `guardrail/regression` check runs say. Pure: given
 * an evaluation, the repo config and any exemption, it returns the conclusion,
 * a one-line title and a Markdown summary that fits GitHub's 65,535-character
 * limit. No GitHub, no store.
 */
import type { Evaluation, Verdict, VerdictKind } from "../shared/types.js";
import type { RepoConfig } from "../config/repo-schema.js";
import type { Override } from "../store/repos.js";
import type { Suspect, SuspectPr } from "../suspects/index.js";
import { failingGuardrails } from "../suspects/index.js";
import type { Conclusion } from "../github/checks.js";
import { verdictLabel } from "../present/format.js";
import { mdCode, mdText } from "../present/neutralise.js";
import type { CanaryForHead } from "../canary/index.js";
import { canaryFell, canaryNoTraffic, canarySection, canaryTitle } from "../present/canary.js";

export const CHECK_NAME = "guardrail";
export const REGRESSION_CHECK_NAME = "guardrail/regression";
/** GitHub rejects output.summary over 65,535 characters; leave room for the truncation note. */
export const SUMMARY_LIMIT = 65_535;
const TITLE_LIMIT = 200;

export const RECHECK_ACTION = { label: "Recheck", description: "Evaluate the guardrails again", identifier: "recheck" };

export type MetricKinds = Record<string, "count" | "ratio">;

export type Exemption = { kind: "override"; override: Override } | { kind: "revert"; suspect: Suspect } | null;

export interface GuardrailCheckInput {
  evaluation: Evaluation | null;
  /** Why there is no evaluation (the evaluator threw), shown instead of the table. */
  evaluationError?: string | null;
  /** An invalid `.github/guardrail.yml`: the check fails and says which field is wrong. */
  configError?: string | null;
  repoConfig: RepoConfig;
  metricKinds: MetricKinds;
  exemption?: Exemption;
  detailsUrl?: string | null;
  /** The PR head's own traffic, judged (docs/canary.md); null when the site has no build-tagged traffic. */
  canary?: CanaryForHead | null;
}

export interface CheckOutput {
  conclusion: Conclusion;
  title: string;
  summary: string;
}

const ICON: Record<VerdictKind, string> = { pass: "✅", warn: "⚠️", fail: "❌", no_data: "⬜", inconclusive: "❔" };

export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "–";
  const v = Math.round(change * 1000) / 10;
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(1)} %`;
}

export function formatValue(value: number | null | undefined, kind: "count" | "ratio" | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (kind === "ratio") return `${(value * 100).toFixed(2)} %`;
  return Math.round(value).toLocaleString("en-US");
}

/** Table cells and titles must stay on one line and not break the table. */
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
    const kind = kinds[v.metric];
    const label = v.guardrail ? `**${v.metric}** (guardrail${v.enforced === false ? ", not enforced" : ""})` : v.metric;
    const marks = v as { low_volume?: boolean; no_baseline?: boolean };
    const word = marks.low_volume || marks.no_baseline ? verdictLabel(marks as typeof marks & { verdict: string }) : v.verdict;
    lines.push(
      `| ${cell(label)} | ${formatValue(v.observed, kind)} | ${formatValue(v.expected, kind)} | ${formatChange(v.change)} | ${ICON[v.verdict]} ${word} |`,
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
    const kind = kinds[v.metric];
    const top = v.segments.slice(0, 3);
    for (const s of top)
      out.push(
        `  - ${s.dimension} = ${cell(s.value)}: ${formatValue(s.observed, kind)} vs ${formatValue(s.expected, kind)} expected (${formatChange(s.change)}), ${Math.round(s.contribution * 100)} % of the change`,
      );
    if (v.decomposition)
      out.push(`  - by ${v.decomposition.dimension}: ${Math.round(v.decomposition.rate * 100)} % from the rate inside segments, ${Math.round(v.decomposition.mix * 100)} % from the traffic mix`);
    if (hostnames?.length) {
      const mine = v.segments.filter((s) => s.dimension === "dim_hostname" && hostnames.includes(s.value));
      for (const s of mine)
        out.push(`  - your host ${cell(s.value)}: ${formatValue(s.observed, kind)} vs ${formatValue(s.expected, kind)} expected (${formatChange(s.change)})`);
    }
  }
  return out.join("\n");
}

function describeFall(failing: Verdict[]): string {
  return failing.map((v) => `${v.metric} ${formatChange(v.change)}`).join(", ");
}

function missingConclusion(cfg: RepoConfig): Conclusion {
  return cfg.on_missing_data;
}

/**
 * The `guardrail` check: the site-wide verdicts, and the PR's canary. A failing
 * canary fails the check even when the site-wide guardrails pass (only an
 * override passes it; a revert is exempt from the freeze, not from its own
 * canary); a passing canary never lifts a merge freeze.
 */
export function buildGuardrailCheck(input: GuardrailCheckInput): CheckOutput {
  const c = input.canary ?? null;
  const j = c?.judgement ?? null;
  const ex = input.exemption;
  let md = j ? canarySection(j) : c?.expected ? canaryNoTraffic() : "";
  if (j?.status === "fail" && ex?.kind === "override")
    md += `\n\n> **Overridden** by @${ex.override.actor} at ${ex.override.createdAt}: ${cell(ex.override.reason)}\n>\n> The canary fails; this PR may merge.`;
  const site = buildSiteCheck(input, md);
  if (input.configError || !j) return site;
  if (j.status !== "fail") return { ...site, title: oneLine(`${site.title}; ${canaryTitle(j)}`) };
  if (ex?.kind === "override") return { ...site, title: oneLine(`Passing by override of @${ex.override.actor}: canary ${canaryFell(j)}`) };
  return { ...site, conclusion: "failure", title: oneLine(canaryTitle(j)) };
}

function buildSiteCheck(input: GuardrailCheckInput, canaryMd: string): CheckOutput {
  const { evaluation, repoConfig: cfg, detailsUrl } = input;
  const link = detailsUrl ? `\n\n[Open the Guardrail dashboard](${detailsUrl})` : "";

  if (input.configError) {
    return {
      conclusion: "failure",
      title: "Invalid .github/guardrail.yml",
      summary: capSummary(
        `${input.configError}\n\nFix the file on the default branch, then push or comment \`/guardrail recheck\`. Every field is optional; a missing file means \`dataset: default\`.`,
      ),
    };
  }

  if (!evaluation) {
    const conclusion = overrideOr(input.exemption, missingConclusion(cfg));
    return {
      conclusion,
      title: `No guardrail verdict for dataset ${cfg.dataset}`,
      summary: capSummary(
        `Guardrail could not evaluate dataset \`${cfg.dataset}\`: ${input.evaluationError ?? "no evaluation is available yet"}.\n\nThe conclusion follows \`on_missing_data: ${cfg.on_missing_data}\`.${exemptionNote(input.exemption)}${canaryMd ? `\n\n${canaryMd}` : ""}${link}`,
        SUMMARY_LIMIT,
        detailsUrl,
      ),
    };
  }

  const failing = failingGuardrails(evaluation);
  const header = `**Dataset** \`${evaluation.dataset}\` · **day** ${evaluation.ds} · **status** ${ICON[evaluation.status]} ${evaluation.status}`;
  const table = verdictTable(evaluation, input.metricKinds);
  const where = localisation(evaluation, input.metricKinds, cfg.hostnames);
  const body = (extra: string) =>
    capSummary([header, extra, canaryMd, table, where ? `### Where the change is\n${where}` : ""].filter(Boolean).join("\n\n") + link, SUMMARY_LIMIT, detailsUrl);

  if (failing.length > 0) {
    const fell = describeFall(failing);
    const ex = input.exemption;
    if (ex?.kind === "override") {
      const o = ex.override;
      return {
        conclusion: "success",
        title: oneLine(`Passing by override of @${o.actor}: ${fell} on ${evaluation.ds}`),
        summary: body(`> **Overridden** by @${o.actor} at ${o.createdAt}: ${cell(o.reason)}\n>\n> The guardrails still fail (merge freeze for other PRs); this PR may merge.`),
      };
    }
    if (ex?.kind === "revert") {
      const s = ex.suspect;
      const what = s.sha ? s.sha.slice(0, 7) : (s.ref ?? s.version ?? "a suspect");
      return {
        conclusion: "success",
        title: oneLine(`Passing: this PR reverts suspect ${what} (${fell} on ${evaluation.ds})`),
        summary: body(`> **Revert of a suspect**: this PR reverts ${what}, suspected of the decline (${cell(s.evidence)}). Reverts may merge during the freeze.`),
      };
    }
    return {
      conclusion: "failure",
      title: oneLine(`Merge freeze: ${fell} on ${evaluation.ds}`),
      summary: body(
        `A guardrail fails, so every PR is blocked until it recovers. To merge anyway: revert the suspect commit (a revert PR passes), or a maintainer comments \`/guardrail override <reason>\`.`,
      ),
    };
  }

  if (evaluation.status === "no_data" || evaluation.status === "inconclusive") {
    return {
      conclusion: overrideOr(input.exemption, missingConclusion(cfg)),
      title: oneLine(`No guardrail verdict for ${evaluation.ds}: ${evaluation.status.replace("_", " ")}`),
      summary: body(`${cell(evaluation.summary ?? "The data needed for a verdict is missing, stale or failed its audit.")} The conclusion follows \`on_missing_data: ${cfg.on_missing_data}\`.${exemptionNote(input.exemption)}`),
    };
  }

  const guardrails = evaluation.verdicts.filter((v) => v.guardrail);
  const warns = guardrails.filter((v) => v.verdict === "warn").length;
  return {
    conclusion: "success",
    title: oneLine(`Guardrails pass for ${evaluation.ds}${warns ? ` (${warns} warning${warns > 1 ? "s" : ""})` : ""}`),
    summary: body(evaluation.summary ? cell(evaluation.summary) : ""),
  };
}

function overrideOr(ex: Exemption | undefined, conclusion: Conclusion): Conclusion {
  return conclusion === "failure" && ex?.kind === "override" ? "success" : conclusion;
}

function exemptionNote(ex: Exemption | undefined): string {
  if (ex?.kind !== "override") return "";
  return `\n\n> **Overridden** by @${ex.override.actor} at ${ex.override.createdAt}: ${cell(ex.override.reason)}`;
}

export interface RegressionCheckInput {
  suspect: Suspect;
  evaluation: Evaluation;
  prs: SuspectPr[];
  metricKinds: MetricKinds;
  detailsUrl?: string | null;
}

/** The failing `guardrail/regression` check on a suspect commit: the evidence and the PRs behind it. */
export function buildRegressionCheck(input: RegressionCheckInput): CheckOutput {
  const { suspect: s, evaluation, prs } = input;
  const failing = failingGuardrails(evaluation);
  const lines: string[] = [];
  lines.push(`This commit is a suspect for the guardrail decline of dataset \`${evaluation.dataset}\` on ${evaluation.ds}.`);
  lines.push(`**Evidence:** ${cell(s.evidence)}`);
  if (s.version) lines.push(`**app_version:** ${mdCode(s.version)}`);
  if (s.deployedAt) lines.push(`**Deployed:** ${s.deployedAt} to ${s.environment ?? "production"}${s.ref ? ` (ref \`${cell(s.ref)}\`)` : ""}`);
  if (s.window) lines.push(`**Window:** deployments from ${s.window.from} to ${s.window.to}`);
  const table = ["| metric | today | expected | change | verdict |", "|---|---:|---:|---:|---|"];
  for (const v of failing) {
    const k = input.metricKinds[v.metric];
    table.push(`| ${v.metric} | ${formatValue(v.observed, k)} | ${formatValue(v.expected, k)} | ${formatChange(v.change)} | ${ICON[v.verdict]} ${v.verdict} |`);
  }
  for (const v of evaluation.versions.filter((x) => x.version === s.version)) {
    const k = input.metricKinds[v.metric];
    table.push(`| ${v.metric} on ${cell(v.version)} vs the rest | ${formatValue(v.observed, k)} | ${formatValue(v.expected, k)} | ${formatChange(v.change)} | ${ICON[v.verdict]} ${v.verdict} |`);
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
