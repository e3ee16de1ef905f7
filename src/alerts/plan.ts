/**
 * The incident lifecycle as a pure decision: given the stored state of each
 * incident kind and an event, what to do. The GitHub and chat executors only
 * carry the decisions out, so the rules live (and are tested) here.
 */
import type { Evaluation, Verdict } from "../shared/types.js";
import type { AlertEvent, IncidentDecision, IncidentState } from "./types.js";
import { failingGuardrails as failingEnforced, outcomeOf, type Enforcement } from "../gate/decide.js";

export type { IncidentStates } from "../store/incidents.js";
import type { IncidentStates } from "../store/incidents.js";

/** Enforced guardrail verdicts, after the repo's `enforce` overrides (either way): the one definition is src/gate/decide.ts. */
export { enforcedGuardrails, isEnforcedGuardrail as isEnforced, type Enforcement } from "../gate/decide.js";

/** The failing enforced guardrails, the steepest decline first. */
export function failingGuardrails(evaluation: Evaluation, enforcement?: Enforcement | null): Verdict[] {
  return failingEnforced(evaluation, enforcement).sort((a, b) => (a.change ?? 0) - (b.change ?? 0));
}

/**
 * breach: some enforced guardrail fails. recovery: every enforced guardrail was
 * judged (pass or warn). none: missing or inconclusive data is never a recovery.
 */
export function evaluationOutcome(evaluation: Evaluation, enforcement?: Enforcement | null): "breach" | "recovery" | "none" {
  const outcome = outcomeOf(evaluation, enforcement);
  return outcome === "fails" ? "breach" : outcome === "passes" ? "recovery" : "none";
}

/** The dataset an event is about. */
export function eventDataset(event: AlertEvent): string {
  return "evaluation" in event ? event.evaluation.dataset : event.dataset;
}

function isOpen(s: IncidentState | null | undefined): s is IncidentState {
  return !!s && s.state === "open";
}

/**
 * Rules, per kind:
 * - breach: a failing day opens the incident, or adds one comment when it is a
 *   day after the last one reported; a day that passes, not older than the last
 *   reported failing day, closes it. Re-evaluating a reported day does nothing.
 * - audit_failed: same, keyed by the rejected export's ds; a publish of that day
 *   or a later one closes it.
 * - stale: keyed by the calendar day of the check (one comment a day);
 *   data newer than what was there when it opened closes it.
 */
export function planIncident(states: IncidentStates, event: AlertEvent, enforcement?: Enforcement | null): IncidentDecision[] {
  switch (event.kind) {
    case "breach":
    case "recovery": {
      const ev = event.evaluation;
      const state = states.breach;
      const outcome = evaluationOutcome(ev, enforcement);
      if (outcome === "breach") {
        if (!isOpen(state)) return [{ type: "open", kind: "breach", day: ev.ds }];
        return ev.ds > state.last_ds ? [{ type: "comment", kind: "breach", day: ev.ds }] : [];
      }
      if (outcome === "recovery" && isOpen(state) && ev.ds >= state.last_ds) return [{ type: "close", kind: "breach", day: ev.ds }];
      return [];
    }
    case "audit_failed": {
      const state = states.audit_failed;
      if (!isOpen(state)) return [{ type: "open", kind: "audit_failed", day: event.ds }];
      return event.ds > state.last_ds ? [{ type: "comment", kind: "audit_failed", day: event.ds }] : [];
    }
    case "stale": {
      const state = states.stale;
      const today = event.today ?? new Date().toISOString().slice(0, 10);
      if (!isOpen(state)) return [{ type: "open", kind: "stale", day: today, dataDs: event.latestDs }];
      return today > state.last_ds ? [{ type: "comment", kind: "stale", day: today, dataDs: event.latestDs }] : [];
    }
    case "data_ok": {
      const out: IncidentDecision[] = [];
      const audit = states.audit_failed;
      if (isOpen(audit) && (event.ds === undefined || event.ds >= audit.last_ds))
        out.push({ type: "close", kind: "audit_failed", day: event.ds ?? audit.last_ds });
      const stale = states.stale;
      if (isOpen(stale) && (event.ds === undefined || stale.data_ds === null || event.ds > stale.data_ds))
        out.push({ type: "close", kind: "stale", day: event.ds ?? stale.last_ds, dataDs: event.ds ?? null });
      return out;
    }
  }
}
