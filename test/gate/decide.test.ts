import { describe, it, expect, afterEach } from "vitest";
import { gateFor, decide, type Exemption } from "../../src/gate/index.js";
import { gateAnswer } from "../../src/present/decision.js";
import type { DecisionInput } from "../../src/gate/decide.js";
import type { Evaluation } from "../../src/shared/types.js";
import { verifySignedLink } from "../../src/shared/links.js";
import { evaluateDay } from "../../src/evaluate/index.js";
import { resolveDataset } from "../../src/config/load.js";
import { CONFIG } from "./helpers.js";

const CONFIG_DEFAULT = () => resolveDataset(CONFIG, "default");
import { makeEnv, seedHistory, addRepo, addOverride, addSuspect, expectedChange, REPO, SHA, DAY, NOW, SUSPECT_SHA, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => env?.cleanup());

describe("gateFor (store + real evaluateDay)", () => {
  it("opens when the guardrail passes, with a signed details link to the day", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    const a = await gateFor(env.deps, REPO, SHA, { now: NOW });
    expect(a.state).toBe("open");
    expect(a.ds).toBe(DAY);
    expect(a.details_url).toMatch(/^https:\/\/guardrail\.example\.com\/guardrail\?/);
    expect(verifySignedLink(a.details_url!, "link-secret", NOW)).toBe(true);
    expect(new URL(a.details_url!).searchParams.get("ds")).toBe(DAY);
  });

  it("blocks while the guardrail fails and says how far it fell", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    const a = await gateFor(env.deps, REPO, SHA, { now: NOW });
    expect(a.state).toBe("blocked");
    expect(a.failing).toEqual(["signup_conversion_rate"]);
    const pct = Math.round(Math.abs(expectedChange(200)) * 100);
    expect(a.reasons[0]).toContain("signup_conversion_rate");
    expect(a.reasons[0]).toContain(`fell ${pct} %`);
  });

  it("exempts a commit a maintainer overrode, saying who and why", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    addOverride(env.db, SHA, "octocat", "hotfix for checkout");
    const a = await gateFor(env.deps, REPO, SHA, { now: NOW });
    expect(a.state).toBe("open");
    expect(a.exemption).toBe("override");
    expect(a.reasons.join(" ")).toMatch(/@octocat.*hotfix for checkout/);
  });

  it("exempts a commit that reverts a suspect (short SHA in the message), not one that reverts something else", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    addSuspect(env.db, SUSPECT_SHA);
    const reverting = await gateFor(env.deps, REPO, SHA, { now: NOW, revertsOf: async () => [SUSPECT_SHA.slice(0, 7)] });
    expect(reverting.state).toBe("open");
    expect(reverting.exemption).toBe("revert");
    expect(reverting.reasons.join(" ")).toContain(SUSPECT_SHA.slice(0, 7));
    const unrelated = await gateFor(env.deps, REPO, SHA, { now: NOW, revertsOf: async () => ["d".repeat(40)] });
    expect(unrelated.state).toBe("blocked");
  });

  it("when judging fails, falls back to the stored evaluation only while it is fresh (an old pass never opens)", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    evaluateDay(env.db, CONFIG_DEFAULT(), { now: NOW }); // stored: a pass for DAY
    // Judging now throws (the partitions table is unreadable); only the stored evaluation is left.
    env.db.exec(`ALTER TABLE partitions RENAME TO partitions_gone`);
    const fresh = await gateFor(env.deps, REPO, SHA, { now: NOW });
    expect([fresh.state, fresh.ds]).toEqual(["open", DAY]);
    const weekLater = await gateFor(env.deps, REPO, SHA, { now: new Date("2024-05-15T06:00:00Z") });
    expect(weekLater.state).toBe("unknown");
    expect(weekLater.reasons.join(" ")).toMatch(/no such table: partitions/);
  });

  it("does not block on a guardrail the repo set to enforce: false", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db, { metrics: { signup_conversion_rate: { enforce: false } } });
    const a = await gateFor(env.deps, REPO, SHA, { now: NOW });
    expect(a.state).not.toBe("blocked");
  });

  it("answers unknown for a repo it does not know, and for missing data follows on_missing_data", async () => {
    env = makeEnv();
    expect((await gateFor(env.deps, "someone/else", SHA, { now: NOW })).state).toBe("unknown");
    // Stale: the newest day is a week old at `now`.
    seedHistory(env.db, DAY, 402);
    const later = new Date("2024-05-15T06:00:00Z");
    addRepo(env.db);
    expect((await gateFor(env.deps, REPO, SHA, { now: later })).state).toBe("unknown");
    addRepo(env.db, { on_missing_data: "failure" });
    expect((await gateFor(env.deps, REPO, SHA, { now: later })).state).toBe("blocked");
    addRepo(env.db, { on_missing_data: "success" });
    expect((await gateFor(env.deps, REPO, SHA, { now: later })).state).toBe("open");
  });
});

describe("decide (pure)", () => {
  const verdict = (v: "pass" | "warn" | "fail", guardrail = true) => ({
    metric: "signup_conversion_rate",
    guardrail,
    enforced: true,
    kind: "ratio" as const,
    verdict: v,
    observed: 0.03,
    expected: 0.04,
    lower: 0.035,
    upper: 0.045,
    change: -0.25,
    z: -4,
    baseline_days: [],
    message: "",
    segments: [],
    denominator: 10000,
  });
  const evaluation = (v: "pass" | "warn" | "fail", guardrail = true) => ({ ds: DAY, dataset: "default", status: v, verdicts: [verdict(v, guardrail)], versions: [] });
  const view = (ev: ReturnType<typeof evaluation> | null, over: Partial<DecisionInput> = {}): DecisionInput & { evaluation: Evaluation | null; detailsUrl: null; repo: string } => ({
    repo: REPO,
    known: true,
    configError: null,
    dataset: "default",
    onMissingData: "neutral",
    enforcement: {},
    evaluation: ev,
    evaluationError: null,
    detailsUrl: null,
    ...over,
  });
  const answer = (v: ReturnType<typeof view>, exemption: Exemption = null) => gateAnswer(decide(v, SHA, exemption), v);

  it("treats warn as open with a note, and ignores failing non-guardrail metrics", () => {
    const warn = answer(view(evaluation("warn")));
    expect(warn.state).toBe("open");
    expect(warn.reasons.join(" ")).toContain("Warning (not blocking)");
    const report = answer(view(evaluation("fail", false)));
    expect(report.state).not.toBe("blocked");
  });

  it("formats ratios as percentages in the reason", () => {
    const a = answer(view(evaluation("fail")));
    expect(a.reasons[0]).toBe(`Guardrail signup_conversion_rate fell 25 % to 3.00 % (expected 4.00 %, z = −4.0) on ${DAY}.`);
  });

  it("the repo's enforce setting wins either way", () => {
    const fail = evaluation("fail");
    expect(decide(view(fail, { enforcement: { signup_conversion_rate: { enforce: false } } }), SHA)).toMatchObject({ state: "open", failing: [], outcome: "missing" });
    const reportOnly = { ...fail, verdicts: [{ ...fail.verdicts[0], enforced: false }] };
    expect(decide(view(reportOnly), SHA).state).toBe("open");
    expect(decide(view(reportOnly, { enforcement: { signup_conversion_rate: { enforce: true } } }), SHA).state).toBe("blocked");
  });

  it("an exemption opens a blocked commit and says why; it never opens missing data on neutral", () => {
    const override: Exemption = { kind: "override", actor: "maria", reason: "holiday", createdAt: "2024-05-08T07:00:00Z" };
    const opened = decide(view(evaluation("fail")), SHA, override);
    expect(opened).toMatchObject({ state: "open", exemption: override, failing: [{ metric: "signup_conversion_rate" }] });
    expect(gateAnswer(opened, view(evaluation("fail"))).reasons.at(-1)).toBe("Exempt: a maintainer overrode the guardrail for this commit by @maria on 2024-05-08: “holiday”.");
    const revert = decide(view(evaluation("fail")), SHA, { kind: "revert", reverted: ["ccccccc"] });
    expect(revert.state).toBe("open");
    expect(decide(view(null), SHA, override)).toMatchObject({ state: "unknown", exemption: null });
    expect(decide(view(null, { onMissingData: "failure" }), SHA, override)).toMatchObject({ state: "open", exemption: override });
    expect(decide(view(null, { onMissingData: "failure" }), SHA, { kind: "revert", reverted: ["ccccccc"] }).state).toBe("blocked");
  });

  it("no verdict: why, then on_missing_data; a repo not installed or misconfigured is unknown", () => {
    expect(answer(view(null, { evaluationError: "the database is locked" })).reasons).toEqual(['No verdict for dataset "default": the database is locked']);
    expect(answer(view(null, { onMissingData: "success" })).state).toBe("open");
    expect(answer(view(null, { known: false })).reasons[0]).toMatch(/is not configured for Guardrail/);
    expect(answer(view(evaluation("fail"), { configError: ".github/guardrail.yml: field dataset: bad" }))).toMatchObject({ state: "unknown", reasons: [".github/guardrail.yml: field dataset: bad"] });
  });
});
