import { describe, expect, it } from "vitest";
import { buildGuardrailCheck, capSummary, SUMMARY_LIMIT } from "../../src/present/checks.js";
import { decide } from "../../src/gate/decide.js";
import type { RepoConfig } from "../../src/config/repo-schema.js";
import type { Evaluation } from "../../src/shared/types.js";
import { parseCommand } from "../../src/app/commands.js";
import { applyRepoOverrides, DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../src/config/repo-schema.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { parseRevertTargets, revertedSuspect, shaMatches, type Suspect } from "../../src/suspects/index.js";
import { failingEvaluation, noDataEvaluation, passingEvaluation, verdict } from "./helpers.js";
import { openDb } from "../../src/store/db.js";
import { prHeadAt, recordPrHead } from "../../src/store/repos.js";

const kinds = { signup_conversion_rate: "ratio", purchase_conversion_rate: "ratio", daily_visitors: "count" } as const;

/** The check of a head for an evaluation seen through a repo config, decided as the app decides it. */
function check(evaluation: Evaluation, repoConfig: RepoConfig = DEFAULT_REPO_CONFIG, detailsUrl: string | null = null) {
  const view = {
    repo: "acme/shop",
    known: true,
    configError: null,
    dataset: "default",
    onMissingData: repoConfig.on_missing_data,
    enforcement: repoConfig.metrics,
    evaluation,
    evaluationError: null,
    repoConfig,
    kinds,
    detailsUrl,
  };
  return buildGuardrailCheck(view, decide(view, "a".repeat(40)));
}

describe("repo config", () => {
  it("a missing file means the defaults", () => {
    const r = parseRepoConfig(null);
    expect(r).toEqual({
      ok: true,
      config: { dataset: "default", production_environments: ["production"], canary_environments: [], preview_environments: [], on_missing_data: "neutral", metrics: {}, alerts: { issue: true } },
    });
  });
  it("an invalid field is one sentence naming the file, the field and what was expected", () => {
    const r = parseRepoConfig({ on_missing_data: "maybe" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^\.github\/guardrail\.yml: field on_missing_data: /);
      expect(r.error).toMatch(/neutral/);
    }
    const nested = parseRepoConfig({ metrics: { signup_conversion_rate: { sensitivity: -1 } } });
    expect(!nested.ok && nested.error).toMatch(/field metrics\.signup_conversion_rate\.sensitivity/);
    const unknown = parseRepoConfig({ datset: "x" });
    expect(!unknown.ok && unknown.error).toMatch(/unknown field\(s\) "datset"/);
    const scalar = parseRepoConfig("just text");
    expect(!scalar.ok && scalar.error).toMatch(/expected a mapping/);
  });
  it("metric overrides apply to a copy; an unknown metric is named", () => {
    const base = defaultDatasetConfig();
    const cfg = parseRepoConfig({ metrics: { signup_conversion_rate: { enforce: false, min_denominator: 5000 } } });
    if (!cfg.ok) throw new Error(cfg.error);
    const applied = applyRepoOverrides(base, cfg.config);
    if (!applied.ok) throw new Error(applied.error);
    const m = applied.config.metrics.find((x) => x.name === "signup_conversion_rate")!;
    expect(m.enforce).toBe(false);
    expect(m.min_denominator).toBe(5000);
    expect(base.metrics.find((x) => x.name === "signup_conversion_rate")!.enforce).toBe(true);
    const bad = applyRepoOverrides(base, { ...DEFAULT_REPO_CONFIG, metrics: { nope: { enforce: false } } });
    expect(!bad.ok && bad.error).toMatch(/field metrics\.nope: expected the name of a metric/);
  });
});

describe("check content", () => {
  it("success when guardrails pass, with a metric table", () => {
    const out = check(passingEvaluation(), DEFAULT_REPO_CONFIG, "https://x/guardrail");
    expect(out.conclusion).toBe("success");
    expect(out.title).not.toMatch(/\n/);
    expect(out.summary).toContain("| metric | today | expected | change | verdict |");
    expect(out.summary).toContain("| 3.91 % | 3.89 % | +0.5 % | ✅ pass |");
    expect(out.summary).toContain("| daily_visitors | 5,120 | 5,000 | +2 % | ✅ pass |");
  });
  it("failure on an enforced failing guardrail, with the localisation sentence", () => {
    const out = check(failingEvaluation());
    expect(out.conclusion).toBe("failure");
    expect(out.title).toBe("Merge freeze: signup_conversion_rate −38 % on 2026-11-05");
    expect(out.summary).toContain("91 % of the drop is on device iPhone");
    expect(out.summary).toContain("dim_device_brand = iPhone: 1.00 % vs 3.90 % expected (−74 %), 91 % of the change");
  });
  it("a failing guardrail that is not enforced does not freeze", () => {
    const ev = failingEvaluation();
    ev.verdicts[0].enforced = false;
    ev.status = "pass";
    expect(check(ev).conclusion).toBe("success");
  });
  it("no_data follows on_missing_data", () => {
    for (const mode of ["neutral", "success", "failure"] as const) {
      const out = check(noDataEvaluation(), { ...DEFAULT_REPO_CONFIG, on_missing_data: mode });
      expect(out.conclusion).toBe(mode);
    }
  });
  it("keeps the summary under GitHub's 65,535-character limit", () => {
    const ev = failingEvaluation();
    ev.verdicts.push(
      ...Array.from({ length: 3000 }, (_, i) => verdict({ metric: `metric_${i}_${"x".repeat(20)}`, message: "🙂".repeat(5) })),
    );
    const out = check(ev, DEFAULT_REPO_CONFIG, "https://x/d");
    expect(out.summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(out.summary).toContain("did not fit in a check run");
    // Cut at a line boundary: the last table row before the note is whole.
    const beforeNote = out.summary.split("\n\n_… the rest")[0];
    expect(beforeNote.endsWith("|")).toBe(true);
    const noNewline = capSummary("🙂".repeat(40_000), 1000);
    expect(noNewline.length).toBeLessThanOrEqual(1000);
    expect(/[\uD800-\uDBFF]$/.test(noNewline.split("\n\n_…")[0])).toBe(false);
  });
});

describe("commands", () => {
  it("parses recheck, override with reason, help and unknown", () => {
    expect(parseCommand("/guardrail recheck")).toEqual({ kind: "recheck" });
    expect(parseCommand("Thanks!\n/guardrail override  holiday dip, agreed with growth \n")).toEqual({ kind: "override", reason: "holiday dip, agreed with growth" });
    expect(parseCommand("/guardrail override")).toEqual({ kind: "override", reason: "" });
    expect(parseCommand("/guardrail")).toEqual({ kind: "help" });
    expect(parseCommand("/guardrail frobnicate")).toEqual({ kind: "unknown", word: "frobnicate" });
    expect(parseCommand("please run /guardrail recheck")).toBeNull();
    expect(parseCommand("/guardrails recheck")).toBeNull();
  });
});

describe("pull request heads", () => {
  it("answer which head a PR had at a time, same-second pushes not counted, force-pushes back included", () => {
    const db = openDb(":memory:");
    recordPrHead(db, "acme/shop", 1, "a", "2026-11-25T10:00:00Z");
    recordPrHead(db, "acme/shop", 1, "a", "2026-11-25T10:01:00Z"); // ready_for_review: same head, no new row
    recordPrHead(db, "acme/shop", 1, "b", "2026-11-25T10:05:00Z");
    recordPrHead(db, "acme/shop", 1, "a", "2026-11-25T10:10:00Z"); // force-pushed back
    recordPrHead(db, "acme/shop", 2, "z", "2026-11-25T09:00:00Z");
    const at = (t: string) => prHeadAt(db, "acme/shop", 1, t)?.sha ?? null;
    expect(at("2026-11-25T09:59:59Z")).toBeNull();
    expect(at("2026-11-25T10:04:59Z")).toBe("a");
    expect(at("2026-11-25T10:05:00.900Z")).toBe("a");
    expect(at("2026-11-25T10:05:01Z")).toBe("b");
    expect(at("2026-11-25T10:10:30Z")).toBe("a");
    expect(db.prepare(`SELECT COUNT(*) AS n FROM pr_heads WHERE pr_number = 1`).get()).toEqual({ n: 3 });
  });
});

describe("revert detection", () => {
  const suspect: Suspect = {
    sha: "0123456789abcdef0123456789abcdef01234567",
    ref: "main",
    reason: "deployment",
    version: null,
    deploymentId: 1,
    environment: "production",
    deployedAt: "2026-11-05T10:00:00.000Z",
    evidence: "deployed",
    window: null,
    prs: [{ number: 12, title: "New signup form", url: "u" }],
  };
  it("finds reverted SHAs (short or full), PR numbers and titles", () => {
    const t = parseRevertTargets({
      messages: ['Revert "New signup form (#12)"\n\nThis reverts commit 0123456789abcdef.'],
      title: 'Revert "New signup form"',
      body: "Reverts acme/shop#12",
    });
    expect(t.shas).toEqual(["0123456789abcdef"]);
    expect(t.prNumbers).toEqual([12]);
    expect(t.titles).toEqual(["New signup form"]);
    expect(revertedSuspect(t, [suspect])).toBe(suspect);
    expect(revertedSuspect({ shas: [], prNumbers: [], titles: ["New signup form"] }, [suspect])).toBe(suspect);
    expect(revertedSuspect({ shas: ["fedcba9"], prNumbers: [13], titles: ["Other"] }, [suspect])).toBeNull();
  });
  it("prefix-matches SHAs of at least 7 hex digits only", () => {
    expect(shaMatches("0123456", suspect.sha!)).toBe(true);
    expect(shaMatches("012345", suspect.sha!)).toBe(false);
    expect(shaMatches("v1.2.3", "v1.2.3")).toBe(false);
  });
});
