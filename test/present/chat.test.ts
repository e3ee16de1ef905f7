/** Chat messages (src/present/chat.ts): the first failing guardrail the alerts decided on, its numbers, its segment. */
import { describe, expect, it } from "vitest";
import { buildChatMessage } from "../../src/present/chat.js";
import { failingEvaluation, passingEvaluation } from "../alerts/helpers.js";

const DS = "2026-03-10";
const kinds = { signup_conversion_rate: "ratio", purchase_conversion_rate: "ratio" } as const;

describe("buildChatMessage", () => {
  it("an opening breach: title, change with today and expected, the top segment, the dashboard button", () => {
    const ev = failingEvaluation(DS);
    const msg = buildChatMessage({ type: "open", kind: "breach", day: DS }, { kind: "breach", evaluation: ev }, { failing: [ev.verdicts[0]!], enforced: ev.verdicts.slice(0, 2), kinds, dashboardUrl: "https://guardrail.example/d" })!;
    expect(msg.text).toBe(
      `Guardrail breach: signup_conversion_rate −35 % on ${DS} — Metric: signup_conversion_rate, Change: −35 % (2.54 % vs 3.90 % expected), Segment: device iPhone (91 % of the decline), Dataset: default, ${DS} <https://guardrail.example/d|Dashboard>`,
    );
    expect(msg.blocks.at(-1)).toMatchObject({ type: "actions" });
  });

  it("nothing for a breach with no failing guardrail, nor for a daily comment; a recovery lists the enforced guardrails", () => {
    const ev = failingEvaluation(DS);
    expect(buildChatMessage({ type: "open", kind: "breach", day: DS }, { kind: "breach", evaluation: ev }, { failing: [], enforced: [] })).toBeNull();
    expect(buildChatMessage({ type: "comment", kind: "breach", day: DS }, { kind: "breach", evaluation: ev }, { failing: [ev.verdicts[0]!], enforced: [] })).toBeNull();
    const ok = passingEvaluation(DS);
    const msg = buildChatMessage({ type: "close", kind: "breach", day: DS }, { kind: "recovery", evaluation: ok }, { failing: [], enforced: ok.verdicts.slice(0, 2), kinds })!;
    expect(msg.text).toContain(`Guardrail recovered: guardrails pass again on ${DS} — Metric: signup_conversion_rate, purchase_conversion_rate`);
  });
});
