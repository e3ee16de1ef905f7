/**
 * The incident issue's words (src/present/incidents.ts): the alerts decide
 * which guardrails fail and are enforced; the issue shows exactly that.
 */
import { describe, expect, it } from "vitest";
import { renderComment, renderIssue, type RenderContext } from "../../src/present/incidents.js";
import type { Suspect } from "../../src/shared/types.js";
import { failingEvaluation } from "../alerts/helpers.js";

const DS = "2026-03-10";

describe("renderIssue", () => {
  it("a breach: the failing guardrails it is given in the title and body, a guardrail not enforced marked so, suspects worded", () => {
    const ev = failingEvaluation(DS);
    const [signup, purchase] = ev.verdicts;
    const suspect: Suspect = {
      sha: "abc1234", ref: null, reason: "version", version: "2.4.0", deploymentId: null, environment: null, deployedAt: null,
      evidence: "iPhone traffic on 2.4.0 fell 69 %", window: null, prs: [{ number: 7, title: "New signup form", url: "https://github.com/acme/shop/pull/7" }],
    };
    const ctx: RenderContext = { failing: [signup], enforced: [signup], kinds: { signup_conversion_rate: "ratio", purchase_conversion_rate: "ratio" }, suspects: [suspect] };
    const { title, body } = renderIssue({ type: "open", kind: "breach", day: DS }, { kind: "breach", evaluation: ev }, ctx);
    expect(title).toBe(`Guardrail breach: signup_conversion_rate −35 % on ${DS}`);
    expect(body).toContain("| **signup_conversion_rate** | 2.54 % | 3.90 % | −35 % | −7.2 | **fail** |");
    expect(body).toContain(`| **${purchase.metric}** (not enforced) |`);
    expect(body).toContain("  - device iPhone: 1.20 % vs 3.90 % expected (−69 %), 91 % of the decline");
    expect(body).toContain("- commit abc1234 (app_version 2.4.0): iPhone traffic on 2.4.0 fell 69 % — [#7](https://github.com/acme/shop/pull/7) New signup form");
    expect(body).toContain(`<!-- guardrail-day: kind=breach ds=${DS} -->`);
  });

  it("a stale dataset and a failed audit: the age, the checks with a dash for a missing value, what to do", () => {
    const stale = renderIssue({ type: "open", kind: "stale", day: DS }, { kind: "stale", dataset: "shop", latestDs: "2026-03-07", ageHours: 50.4, freshnessHours: 36 }, { failing: [], enforced: [] });
    expect(stale.title).toBe("Guardrail data problem: dataset shop is stale (latest 2026-03-07, 50 h old)");
    expect(stale.body).toContain("The newest published day is 2026-03-07, 50 h old (freshness window 36 h).");
    const checks = [{ name: "host_volume_wow", table: "fct_website_events" as const, severity: "error" as const, status: "fail" as const, observed: null, threshold: 0.5, message: "no history" }];
    const audit = renderIssue({ type: "open", kind: "audit_failed", day: DS }, { kind: "audit_failed", dataset: "shop", ds: DS, checks }, { failing: [], enforced: [], dashboardUrl: "https://guardrail.example/x" });
    expect(audit.body).toContain("| host_volume_wow | fct_website_events | – | 0.5 | no history |");
    expect(audit.body).toContain("[Open the Guardrail dashboard](https://guardrail.example/x)");
    expect(audit.body).toMatch(/### What to do\n\nFix the export/);
  });

  it("a recovery comment names the days the breach lasted", () => {
    const ev = failingEvaluation(DS);
    const state = { repo: "acme/shop", dataset: "default", kind: "breach" as const, state: "open" as const, issue_number: 3, opened_ds: "2026-03-03", last_ds: "2026-03-09", data_ds: null, opened_at: "", updated_at: "", closed_at: null };
    const text = renderComment({ type: "close", kind: "breach", day: DS }, { kind: "recovery", evaluation: ev }, state, { failing: [], enforced: ev.verdicts.slice(0, 2) });
    expect(text).toContain(`**Recovered on ${DS}**: every enforced guardrail passes again. The breach lasted from 2026-03-03 to 2026-03-09.`);
  });
});
