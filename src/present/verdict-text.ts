/**
 * Verdicts in words. The judge (src/evaluate) returns codes and numbers; every
 * sentence about a verdict is written here, with the numbers formatted by
 * format.ts, for every surface: CLI, checks, issues, chat and the dashboard.
 * See docs/verdicts.md for what each reason means.
 */
import type { HourlyRun, SequentialFigures, VerdictKind, VerdictReason } from "../shared/types.js";
import { WEEKDAY_NAMES, weekday } from "../shared/dates.js";
import { dimensionWord, fmtChange, fmtCount, fmtHour, fmtPct, fmtSigned, fmtValue, fmtWeekdays } from "./format.js";

/** What a sentence needs to know about the metric and its thresholds. */
export interface MetricWords {
  name: string;
  kind: "count" | "ratio";
  numerator?: string;
  denominator?: string;
  bad_direction: "decrease" | "increase";
  guardrail: boolean;
  enforce: boolean;
  sensitivity: number;
  min_relative_change: number;
  min_denominator: number;
  /** The harmless decline a fail must be significantly beyond (fail_margin × min_relative_change); 0 or absent: none. */
  fail_margin?: number;
}

export interface MoveFigures {
  observed: number;
  expected: number;
  change: number | null;
  z: number;
  /** z measured from the harmless decline instead of the expectation (docs/verdicts.md), when a margin applies. */
  marginZ?: number;
}

/** The big segment that failed on its own. */
export interface SegmentFigures {
  dimension: string;
  value: string;
  share: number;
  observed: number;
  expected: number;
  change: number | null;
  z: number;
  sensitivity: number;
}

/** The breakdown that best explains the move, and its top segment. */
export interface WhereFigures {
  dimension: string;
  rate: number;
  mix: number;
  /** z units: below LOCALISED_Z the move is spread across segments. */
  score: number;
  top: {
    value: string;
    contribution: number;
    change: number | null;
    rateEffect: number;
    mixEffect: number;
    baseShare: number | null;
    todayShare: number | null;
  } | null;
}

export interface MixShiftFigures {
  dimension: string;
  value: string;
  base_share: number;
  today_share: number;
  rate_change: number;
}

/** Everything the judge decided about one metric on one day, as numbers and a reason code. */
export type VerdictFigures =
  | { reason: "no_value"; ds: string; parts: boolean }
  | { reason: "short_history"; ds: string; have: number; publishedBefore: number; lookbackDays: number; need: number }
  | { reason: "zero_denominator"; ds: string; expectedDenominator: number | null; verdict: VerdictKind }
  | {
      reason: VerdictReason;
      ds: string;
      verdict: VerdictKind;
      move: MoveFigures;
      lower: number;
      upper: number;
      used: string[];
      volume: number;
      lowVolume: boolean;
      /** The un-adjusted judgement of the whole day (before segment, hourly, sequential, mix and marked rules). */
      dayJudgement: "fail" | "warn" | "pass" | "low_volume";
      segment?: SegmentFigures | null;
      where?: WhereFigures | null;
      hourly?: HourlyRun | null;
      sequential?: SequentialFigures | null;
      mixShift?: MixShiftFigures | null;
      marked?: string | null;
    };

/** Below this deviation (z units) no segment departs from the total's trend: the change is "spread across segments". */
export const LOCALISED_Z = 3;

/** The sentence of one verdict (its `message`). */
export function verdictSentence(m: MetricWords, f: VerdictFigures): string {
  const text = body(m, f);
  return m.guardrail && !m.enforce ? `${text} (report-only: enforce is false)` : text;
}

function body(m: MetricWords, f: VerdictFigures): string {
  if (f.reason === "no_value" && "parts" in f)
    return f.parts && m.kind === "ratio"
      ? `${m.name} has no value on ${f.ds}: ${m.numerator} / ${m.denominator} could not be computed from that day's aggregate.`
      : `${m.name} has no value on ${f.ds}.`;
  if (f.reason === "short_history" && "have" in f) {
    const n = f.have;
    const days = `${f.lookbackDays} ${WEEKDAY_NAMES[weekday(f.ds)]}s`;
    const have =
      n === f.publishedBefore ? `only ${n} of the previous ${days} ${n === 1 ? "is" : "are"} published` : `only ${n} of the previous ${days} have a value for it`;
    return `${m.name} has too little history to judge: ${have} (need ${f.need}).`;
  }
  if (f.reason === "zero_denominator" && "expectedDenominator" in f) {
    const exp = f.expectedDenominator === null ? "" : ` (the baseline expects ${fmtCount(f.expectedDenominator)})`;
    return f.verdict === "pass"
      ? `${m.name} is not judged on ${f.ds} (low volume): its denominator ${m.denominator} is 0${exp}, too few for even a total collapse to be significant.`
      : `${m.name} is undefined on ${f.ds}: its denominator ${m.denominator} is 0${exp}.`;
  }
  if (!("move" in f)) return `${m.name}: not judged.`;
  let s = `${m.name} ${describeMove(f.move, m.kind)} vs ${fmtWeekdays(f.used, f.ds)}`;
  const bad = m.bad_direction === "decrease" ? -1 : 1;
  switch (f.reason) {
    case "segment":
      if (f.segment) s += `; ${segmentSentence(m, f.segment)}`;
      break;
    case "hourly":
      if (f.hourly) s += `; ${hourlySentence(m, f.hourly)}`;
      break;
    case "sequential":
      if (f.sequential) s += `; ${sequentialSentence(f.sequential)}`;
      break;
    case "not_recovered":
      s += `; still failing since ${f.sequential?.failing_since ?? "an earlier day"}: it has not yet come back within one standard deviation of its expectation`;
      break;
    case "mix_shift":
      if (f.mixShift) s += `; ${mixShiftSentence(f.mixShift)}, so it warns instead of failing`;
      break;
    case "marked":
      s += `; ${f.ds} is marked special (${f.marked ?? "no reason given"}), so it warns instead of failing`;
      break;
    default:
      s += tail(m, f.dayJudgement, f.move, f.volume, f.lower, f.upper, bad);
  }
  if (f.marked && f.reason !== "marked") s += ` (${f.ds} is marked special: ${f.marked})`;
  if ((f.verdict === "fail" || f.verdict === "warn") && f.where) {
    const top = f.where.top;
    // The segment rule already named the segment; repeat it only if the localisation points elsewhere.
    const named = f.reason === "segment" && f.segment && top && top.value === f.segment.value && f.where.dimension === f.segment.dimension;
    const mixNamed = f.reason === "mix_shift";
    if (!named && !mixNamed) s += `; ${whereSentence(f.where, m.kind)}`;
  }
  return s + ".";
}

function describeMove(f: MoveFigures, kind: "count" | "ratio"): string {
  const obs = fmtValue(f.observed, kind);
  const exp = fmtValue(f.expected, kind);
  const z = `z = ${fmtSigned(f.z)}`;
  if (f.change === null || Math.abs(f.change) < 0.0005) return `is ${obs} (expected ${exp}, ${z})`;
  return `${f.change < 0 ? "fell" : "rose"} ${fmtPct(f.change)} to ${obs} (expected ${exp}, ${z})`;
}

function tail(m: MetricWords, j: "fail" | "warn" | "pass" | "low_volume", f: MoveFigures, volume: number, lower: number, upper: number, bad: number): string {
  const range = `${fmtValue(lower, m.kind)} – ${fmtValue(upper, m.kind)}`;
  switch (j) {
    case "low_volume": {
      if (m.min_denominator > 0 && volume < m.min_denominator) {
        const volumeWord = m.kind === "ratio" ? `the volume, ${fmtCount(volume)} ${m.denominator},` : `the expected volume, ${fmtCount(volume)},`;
        return `; not judged: ${volumeWord} is below the minimum of ${fmtCount(m.min_denominator)}`;
      }
      const what = m.kind === "ratio" ? `${fmtCount(volume)} ${m.denominator}` : `an expected ${fmtCount(volume)}`;
      return `; not judged (low volume): at ${what}, even a total collapse would not be significant`;
    }
    case "fail":
      return `; ${f.observed < lower ? "below" : "above"} its normal range of ${range} and beyond the ${fmtPct(m.min_relative_change)} change that fails`;
    case "warn": {
      const material = f.change !== null && Math.abs(f.change) >= m.min_relative_change;
      if (material && m.fail_margin && f.marginZ !== undefined && Math.abs(f.z) >= m.sensitivity)
        return `; a material change, but not significantly beyond a harmless ${fmtPct(m.fail_margin)} ${bad < 0 ? "decline" : "rise"} (z = ${fmtSigned(f.marginZ)} measured from there, a fail needs ${fmtSigned(bad * m.sensitivity)})`;
      return material ? `; a material change, but not yet significant (|z| < ${m.sensitivity})` : `; significant, but smaller than the ${fmtPct(m.min_relative_change)} that fails`;
    }
    case "pass":
      if (f.observed >= lower && f.observed <= upper) return `; within its normal range of ${range}`;
      // Outside the range only in the harmless direction (or by a change too small to matter).
      return `; ${f.observed < lower ? "below" : "above"} its normal range of ${range}, ${
        (bad < 0) === f.observed > upper ? "a harmless direction for this metric" : "but by less than the change that matters"
      }`;
  }
}

function segmentSentence(m: MetricWords, s: SegmentFigures): string {
  return `${dimensionWord(s.dimension)} ${s.value} (${fmtPct(s.share)} of ${m.kind === "ratio" ? m.denominator : "it"}) ${(s.change ?? 0) < 0 ? "fell" : "rose"} ${fmtPct(
    s.change ?? 0,
  )} to ${fmtValue(s.observed, "ratio")} (expected ${fmtValue(s.expected, "ratio")}, z = ${fmtSigned(s.z)}, past ${fmtSigned(
    m.bad_direction === "decrease" ? -s.sensitivity : s.sensitivity,
  )}, the bar for one big segment)`;
}

/** "purchases fell 100 % between 10:00 and 16:00 (0 where the rest of the day predicts 41, z = −7.9, past −4.3 for 299 runs of hours)". */
export function hourlySentence(m: MetricWords, h: HourlyRun): string {
  const what = m.kind === "ratio" ? m.numerator : m.name;
  return `${what} fell ${fmtPct(h.change)} between ${fmtHour(h.from)} and ${fmtHour(h.to)} (${fmtCount(h.observed)} where the rest of the day predicts ${fmtCount(
    h.expected,
  )}, z = ${fmtSigned(h.z)}, past ${fmtSigned(-h.threshold)}, the bar for one of the day's runs of hours)`;
}

export function sequentialSentence(s: SequentialFigures): string {
  const avg = s.change === null ? "" : `, ${fmtPct(s.change)} below expectation on average`;
  return `the decline has lasted ${s.days} day${s.days === 1 ? "" : "s"}${avg}, and the evidence accumulated over them (CUSUM ${s.cusum.toFixed(1)}) is past the ${s.threshold} that fails`;
}

export function mixShiftSentence(x: MixShiftFigures): string {
  const word = dimensionWord(x.dimension);
  const held = Math.abs(x.rate_change) < 0.005 ? "held" : `changed only ${fmtChange(x.rate_change)}`;
  return `a mix shift, not a rate decline: ${word} ${x.value} went from ${fmtPct(x.base_share)} to ${fmtPct(x.today_share)} of the traffic while the rates inside each ${word} ${held}`;
}

export function whereSentence(l: WhereFigures, kind: "count" | "ratio"): string {
  const top = l.top;
  const word = dimensionWord(l.dimension);
  const total = l.rate + l.mix;
  const moved = total < 0 ? "drop" : "rise";
  if (!top) return `no breakdown explains the ${moved}`;
  if (l.score < LOCALISED_Z) return `the ${moved} is spread across segments (largest: ${word} ${top.value}, ${fmtPct(top.contribution)} of it)`;
  // Above 100 %: the other segments moved the other way a little.
  const share = top.contribution >= 1 ? `all of the ${moved} is on ${word} ${top.value}` : `${fmtPct(top.contribution)} of the ${moved} is on ${word} ${top.value}`;
  let sentence: string;
  if (kind === "ratio" && Math.abs(top.mixEffect) > Math.abs(top.rateEffect) && top.baseShare !== null && top.todayShare !== null) {
    sentence = `${share}, a mix shift: its share of ${word === "version" ? "traffic" : "the traffic"} went from ${fmtPct(top.baseShare)} to ${fmtPct(top.todayShare)} while its rate ${
      top.change !== null && Math.abs(top.change) >= 0.05 ? `${top.change < 0 ? "fell" : "rose"} only ${fmtPct(top.change)}` : "held"
    }`;
  } else if (top.change !== null && top.change !== 0) {
    sentence = `${share}, where it ${top.change < 0 ? "fell" : "rose"} ${fmtPct(top.change)}`;
  } else {
    sentence = share;
  }
  if (kind === "ratio" && total !== 0 && Math.abs(l.mix / total) >= 0.5) sentence += ` (${fmtPct(l.mix / total)} of the change overall is mix shift, not rate)`;
  return sentence;
}

/** "at this volume a one-day drop of 24 % or a 7-day drop of 9 % fails" (null figures: not at this volume). */
export function powerSentence(p: { one_day: number | null; seven_day: number | null } | null | undefined): string {
  if (!p || (p.one_day === null && p.seven_day === null)) return "at this volume no drop, not even a total collapse, would fail";
  const parts: string[] = [];
  if (p.one_day !== null) parts.push(`a one-day drop of ${fmtPct(p.one_day)}`);
  if (p.seven_day !== null && p.seven_day !== p.one_day) parts.push(`a 7-day drop of ${fmtPct(p.seven_day)}`);
  return `at this volume ${parts.join(" or ")} fails`;
}

export interface SummaryVerdict {
  metric: string;
  verdict: VerdictKind;
  message: string;
}

export interface SummaryCulprit {
  version: string;
  metric: string;
  change: number | null;
  z: number | null;
}

/** The state of the day's data, as src/evaluate/evaluate.ts found it (codes and numbers). */
export type DataFigures =
  | { state: "rejected"; ds: string; failedChecks: string[] }
  | { state: "staged"; ds: string }
  | { state: "missing"; ds: string; latest: string | null }
  | { state: "partial"; ds: string; partial: string }
  | { state: "stale"; ds: string; ageHours: number; freshnessHours: number }
  | { state: "published"; ds: string };

/** Why a day can or cannot be judged, in one sentence (the evaluation's `data.message`). */
export function dataSentence(f: DataFigures): string {
  switch (f.state) {
    case "rejected":
      return `The export for ${f.ds} failed its audit${f.failedChecks.length ? ` (${f.failedChecks.join(", ")})` : ""} and was not published, so nothing can be judged.`;
    case "staged":
      return `The export for ${f.ds} is still being loaded; nothing is published for that day yet.`;
    case "missing":
      return `No export for ${f.ds} has been published${f.latest ? ` (newest published day: ${f.latest})` : " (nothing is published for this dataset yet)"}.`;
    case "partial":
      return `The export for ${f.ds} was published partial (${f.partial}), so its verdicts are inconclusive until a complete export replaces it.`;
    case "stale":
      return `The data is stale: the newest published day, ${f.ds}, ended ${Math.round(f.ageHours)} h ago (freshness window ${f.freshnessHours} h).`;
    case "published":
      return `The export for ${f.ds} is published.`;
  }
}

/** The sentence for the whole day (title of checks and alerts). */
export function daySummary(ds: string, status: VerdictKind, enforced: SummaryVerdict[], culprits: SummaryCulprit[], dataMessage: string | null): string {
  const culpritText = culprits.length
    ? ` Version ${[...new Set(culprits.map((c) => c.version))].join(", ")} declines against the rest of the traffic: ${culprits
        .map((c) => `${c.metric} ${fmtPct(c.change ?? 0)} lower (z = ${fmtSigned(c.z ?? 0)})`)
        .join("; ")}.`
    : "";
  if (dataMessage !== null) return dataMessage + culpritText;
  const pick = (k: VerdictKind) => enforced.filter((v) => v.verdict === k);
  switch (status) {
    case "fail":
      return pick("fail").map((v) => v.message).join(" ") + culpritText;
    case "inconclusive":
    case "no_data":
      return pick(status).map((v) => v.message).join(" ") + culpritText;
    case "warn":
      return `No guardrail fails on ${ds}; warnings: ${pick("warn").map((v) => v.message).join(" ")}${culpritText}`;
    default:
      return (
        (enforced.length
          ? enforced.length === 1
            ? `The enforced guardrail ${enforced[0].metric} is within its normal range on ${ds}.`
            : `All ${enforced.length} enforced guardrails are within their normal range on ${ds}.`
          : `No enforced guardrail is configured; ${ds} is reported only.`) + culpritText
      );
  }
}

/** One line per guardrail: "signup_conversion_rate: at this volume a one-day drop of 24 % or a 7-day drop of 9 % fails". */
export function powerLines(verdicts: ReadonlyArray<{ metric: string; guardrail: boolean; power?: { one_day: number | null; seven_day: number | null } | null }>): string[] {
  return verdicts.filter((v) => v.guardrail && v.power !== undefined && v.power !== null).map((v) => `${v.metric}: ${powerSentence(v.power)}`);
}
