/**
 * Across days (docs/verdicts.md, "Across days"): a decline too small to fail
 * on any one day, sustained for several, fails by accumulation; and a
 * guardrail that failed stays failing until a day shows recovery, so the
 * merge freeze and the deploy gate do not open in the middle of a regression.
 *
 * The accumulation is a one-sided CUSUM on each day's z (in the bad
 * direction): S_t = max(0, S_{t−1} − z_t − k), alarm when S_t ≥ h. With the
 * defaults k = 0.5, h = 5 its average run between false alarms on ordinary
 * days is about 930 days (Siegmund's approximation for N(0, 1) scores);
 * the alarm also needs the days it accumulated over to average a material
 * decline (`sequential_min_change` × min_relative_change), which removes most
 * of the rest. A shift of −1.5 z a day fails on day 5; −2 z on day 4.
 */

export interface DayScore {
  ds: string;
  /** z with the bad direction negative; null when the day was not judged (missing, no history, low volume). */
  badZ: number | null;
  /** Relative change with the bad direction negative. */
  badChange: number | null;
  /** The day failed on its own (whole day, a big segment or a run of hours). */
  fail: boolean;
  /** A marked special day: neither accumulates nor fails. */
  marked: boolean;
}

export interface SequentialParams {
  k: number;
  h: number;
  /** The days of an alarm must average at least this decline (fraction, positive). */
  minChange: number;
  /** A day with badZ above −recoverZ (and a change smaller than half the material one) shows recovery. */
  recoverZ: number;
  /** min_relative_change, for the recovery rule. */
  materialChange: number;
}

export interface SequentialState {
  cusum: number;
  /** Days the current accumulation spans (since S was last 0). */
  runDays: number;
  /** Mean bad-direction change over those days. */
  runChange: number | null;
  /** The CUSUM alarms on the last day (threshold and materiality). */
  alarm: boolean;
  /** The guardrail is failing on the last day: its own fail, the alarm, or an earlier failure not yet recovered. */
  failing: boolean;
  /** First day of the current failing stretch. */
  since: string | null;
  /** Why it is failing on the last day. */
  cause: "single_day" | "sequential" | "not_recovered" | null;
}

/**
 * Evidence of recovery a failing guardrail needs: the sum over its days of how far each day's z lies above the
 * midpoint between normal (0) and the failing episode's mean z. One normal day after a −6 z incident gives 3 and
 * recovers; at a small site failing at −2 z, a day at −0.2 gives 0.8, and it takes three such days.
 */
export const RECOVERY_EVIDENCE = 2;

export const INITIAL_STATE: SequentialState & { runSum: number; episodeSum: number; episodeDays: number; recovery: number } = {
  cusum: 0,
  runDays: 0,
  runSum: 0,
  episodeSum: 0,
  episodeDays: 0,
  recovery: 0,
  runChange: null,
  alarm: false,
  failing: false,
  since: null,
  cause: null,
};

export type SequentialCarry = typeof INITIAL_STATE;

/** One day more: the state after day `d`. */
export function stepSequential(prev: SequentialCarry, d: DayScore, p: SequentialParams): SequentialCarry {
  if (d.marked || d.badZ === null) {
    // Not judged: the evidence neither grows nor fades; a failure stays (recovery is not shown).
    return { ...prev, alarm: false, cause: prev.failing ? "not_recovered" : null };
  }
  const change = d.badChange ?? 0;
  const episodeMean = prev.episodeDays > 0 ? prev.episodeSum / prev.episodeDays : 0;
  const recovery = prev.failing ? Math.max(0, prev.recovery + d.badZ - episodeMean / 2) : 0;
  const recovered = d.badZ > -p.recoverZ && change > -p.materialChange / 2 && recovery >= RECOVERY_EVIDENCE;
  let s = Math.max(0, prev.cusum - d.badZ - p.k);
  let runDays = prev.runDays;
  let runSum = prev.runSum;
  if (s === 0 || (prev.failing && recovered && !d.fail)) {
    // No evidence left, or a failing episode ends on a day that shows recovery: start afresh.
    s = 0;
    runDays = 0;
    runSum = 0;
  } else {
    runDays++;
    runSum += change;
  }
  const runChange = runDays > 0 ? runSum / runDays : null;
  const alarm = s >= p.h && runChange !== null && runChange <= -p.minChange;
  const carried = prev.failing && !recovered;
  const failing = d.fail || alarm || carried;
  return {
    cusum: s,
    runDays,
    runSum,
    // The episode's level is that of the days that failed on their own or by the alarm, not of the days carried.
    episodeSum: failing ? (prev.failing ? prev.episodeSum : 0) + (d.fail || alarm ? d.badZ : 0) : 0,
    episodeDays: failing ? (prev.failing ? prev.episodeDays : 0) + (d.fail || alarm ? 1 : 0) : 0,
    recovery: failing ? recovery : 0,
    runChange,
    alarm,
    failing,
    since: failing ? (prev.failing ? prev.since : d.ds) : null,
    cause: d.fail ? "single_day" : alarm ? "sequential" : carried ? "not_recovered" : null,
  };
}

/** Runs the days oldest first; the state after the last one (today). */
export function sequentialState(days: DayScore[], p: SequentialParams): SequentialState {
  let state = INITIAL_STATE;
  for (const d of days) state = stepSequential(state, d, p);
  const { runSum: _sum, episodeSum: _e, episodeDays: _d, recovery: _r, ...out } = state;
  return out;
}

/** The per-day z a sustained decline needs to alarm within `days` days: k + h/days. */
export function sustainedZ(p: Pick<SequentialParams, "k" | "h">, days: number): number {
  return p.k + p.h / days;
}
