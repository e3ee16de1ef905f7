/**
 * Canary and preview builds judged on their own PR (docs/canary.md), against a
 * stand-in GitHub: a real Probot, nock for api.github.com, and a real store
 * holding one published day generated with canaries and ingested.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { generateFixtures, parseCanary, parseIncident } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { resolveDataset } from "../../src/config/load.js";
import { parseRepoConfig } from "../../src/config/repo-schema.js";
import { recordRepo, storedCheckRunId } from "../../src/store/repos.js";
import { canariesJudged } from "../../src/canary/index.js";
import { gateFor } from "../../src/gate/index.js";
import {
  API,
  INSTALLATION,
  checkRunPayload,
  REPO,
  commentPayload,
  deliver,
  deploymentStatusPayload,
  failingEvaluation,
  harness,
  mockRepoConfig,
  nock,
  passingEvaluation,
  prPayload,
  type Harness,
} from "./helpers.js";

const DAY = "2026-11-18";
/** Served 10 % of the day's events (14.5 % of the visitors of 08–20 h) at −40 % signup conversion; events carry its 8-character prefix. */
const BAD = "a1b2c3d4" + "e5f6".repeat(8);
/** Served 45 % of the visitors all day, healthy; events carry the full SHA. */
const GOOD = "6006d00d" + "1234".repeat(8);
/** About 30 visitors in 10–12 h; events carry 7 characters. */
const TINY = "7777777" + "0".repeat(33);
/** Deployed to the `canary` environment as version "canary-42". */
const MAPPED = "c4a4e5" + "9".repeat(34);
const NEW_HEAD = "f".repeat(40);

let h: Harness;

let nextId = 10;

/** The `guardrail` check of one SHA: created (POST, then PATCH with the result), or only updated when it exists. */
function expectCheck(sha: string) {
  const bodies: any[] = [];
  const known = storedCheckRunId(h.db, REPO, sha, "guardrail");
  const id = known ?? ++nextId;
  const scope = nock(API);
  if (known === null) scope.post(`/repos/${REPO}/check-runs`, (b) => b.head_sha === sha && (bodies.push(b), true)).reply(201, { id });
  scope.patch(`/repos/${REPO}/check-runs/${id}`, (b) => (bodies.push(b), true)).reply(200, { id });
  return { scope, bodies, result: () => bodies[bodies.length - 1] };
}

beforeAll(async () => {
  nock.disableNetConnect();
  h = await harness(passingEvaluation(DAY));
  const [file] = await generateFixtures({
    outDir: join(h.deps.db.name, "..", "exports"),
    days: 1,
    eventsPerDay: 60_000,
    end: DAY,
    seed: 7,
    canaries: [parseCanary(`${DAY}:${BAD.slice(0, 8)}:0.145:8-20`), parseCanary(`${DAY}:${GOOD}:0.45`), parseCanary(`${DAY}:${TINY.slice(0, 7)}:0.021:10-12`)],
    incidents: [parseIncident(`${DAY}:signup_conversion_rate:-0.4:dim_app_version=${BAD.slice(0, 8)}`)],
    versions: ["canary-42", "v41"],
  });
  const r = await ingestFiles(h.db, resolveDataset(h.deps.config, "default"), [file.path], { ds: DAY });
  expect(r.published).toBe(true);
}, 180_000);

afterEach(() => {
  nock.cleanAll();
  h.evaluation.current = passingEvaluation(DAY);
});
afterAll(() => h.cleanup());

describe("the guardrail check judges the PR's own traffic", () => {
  it("fails a head SHA that served 10 % of the day at −40 % signup conversion, though the site-wide guardrails pass, naming the hours and the numbers", async () => {
    mockRepoConfig(null);
    const check = expectCheck(BAD);
    await deliver(h.probot, "pull_request", prPayload("opened", 1, BAD));
    expect(check.scope.isDone()).toBe(true);
    const out = check.result();
    expect(out.conclusion).toBe("failure");
    expect(out.output.title).toMatch(/^Canary fails: signup_conversion_rate −[2-5]\d % \(z = −\d+\.\d\) on this PR's traffic, 08:00–\d\d:00 UTC on 2026-11-18$/);
    const summary: string = out.output.summary;
    expect(summary).toContain("### Canary");
    expect(summary).toMatch(/This PR's build \(`a1b2c3d4`\) served (9|10|11) % of the events of 2026-11-18/);
    // Visits start in 08–20 h; return visits later that day run on past 20:00.
    expect(summary).toMatch(/\*\*Hours compared\*\*: 08:00–(2\d):00 UTC/);
    expect(summary).toMatch(/\| signup_conversion_rate \| \d\.\d\d % \([\d,]+ \/ [\d,]+\) \| \d\.\d\d % \([\d,]+ \/ [\d,]+\) \| −[2-5]\d % \| −\d+\.\d \| ❌ fail \|/);
    // The site-wide table is still there, and passes.
    expect(summary).toContain("| **signup_conversion_rate** (guardrail) | 3.91 % | 3.89 % | +0.5 % | ✅ pass |");
    expect(canariesJudged(h.db, "default", DAY).map((c) => [c.sha, c.judgement.status])).toContainEqual([BAD, "fail"]);
  });

  it("passes a healthy canary with enough traffic: canary judged, no decline", async () => {
    // The repo's own thresholds apply: a 20 % decline is the smallest that matters, and purchases are not enforced.
    mockRepoConfig("metrics:\n  signup_conversion_rate:\n    min_relative_change: 0.2\n  purchase_conversion_rate:\n    enforce: false\n");
    const check = expectCheck(GOOD);
    await deliver(h.probot, "pull_request", prPayload("opened", 2, GOOD));
    expect(check.scope.isDone()).toBe(true);
    const out = check.result();
    expect(out.conclusion).toBe("success");
    expect(out.output.title).toBe("Guardrails pass for 2026-11-18; canary judged: no decline");
    expect(out.output.summary).toMatch(/\| signup_conversion_rate \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| ✅ no decline \|/);
    expect(out.output.summary).not.toContain("purchase_conversion_rate |");
  });

  it("says how much more traffic a canary of 30 visitors needs, without blocking", async () => {
    mockRepoConfig(null);
    const check = expectCheck(TINY);
    await deliver(h.probot, "pull_request", prPayload("opened", 3, TINY));
    expect(check.scope.isDone()).toBe(true);
    const out = check.result();
    expect(out.conclusion).toBe("success");
    expect(out.output.title).toBe("Guardrails pass for 2026-11-18; canary needs more traffic");
    const m = /signup_conversion_rate needs about ([\d,]+) more website_hits \(≈ ([\d,]+) more visitors\) on this build, at its share of the traffic, to show a 10 % decline of signup_conversion_rate \(it has ([\d,]+)\)/.exec(out.output.summary);
    expect(m).not.toBeNull();
    const [more, visitors, has] = m!.slice(1).map((x) => Number(x.replace(/,/g, "")));
    expect(has).toBeLessThan(150);
    // About 21,600 page visits show a 10 % fall of a 4 % rate at z = 3, so nearly all of it is still missing.
    expect(more).toBeGreaterThan(18_000);
    expect(more).toBeLessThan(30_000);
    expect(visitors).toBeGreaterThan(5_000);
    expect(out.output.summary).toMatch(/\(≈ (2\d|3\d) visitors\)/);
  });

  it("a passing canary does not exempt the PR from a merge freeze", async () => {
    h.evaluation.current = failingEvaluation(DAY);
    mockRepoConfig("metrics:\n  signup_conversion_rate:\n    min_relative_change: 0.2\n  purchase_conversion_rate:\n    enforce: false\n");
    const check = expectCheck(GOOD);
    await deliver(h.probot, "check_run", checkRunPayload("rerequested", GOOD, 2));
    expect(check.scope.isDone()).toBe(true);
    expect(check.result().conclusion).toBe("failure");
    expect(check.result().output.title).toMatch(/^Merge freeze: signup_conversion_rate −38 % on 2026-11-18/);
    expect(check.result().output.summary).toContain("✅ no decline");
  });

  it("a push moves the judgement to the new head; the old head keeps its failing verdict", async () => {
    mockRepoConfig(null);
    const first = expectCheck(BAD);
    await deliver(h.probot, "pull_request", prPayload("opened", 5, BAD));
    expect(first.result().conclusion).toBe("failure");
    mockRepoConfig(null);
    const moved = expectCheck(NEW_HEAD);
    await deliver(h.probot, "pull_request", prPayload("synchronize", 5, NEW_HEAD));
    // Only the new head's check was written (nock refuses anything else).
    expect(moved.scope.isDone()).toBe(true);
    expect(moved.result().conclusion).toBe("success");
    expect(moved.result().output.summary).toContain("No published day holds traffic of this commit yet");
    const stored = h.db.prepare(`SELECT sha, conclusion FROM check_runs WHERE repo = ? AND sha IN (?, ?) ORDER BY sha`).all(REPO, BAD, NEW_HEAD);
    expect(stored).toEqual([
      { sha: BAD, conclusion: "failure" },
      { sha: NEW_HEAD, conclusion: "success" },
    ]);
  });

  it("/guardrail override passes a failing canary for that head", async () => {
    nock(API).get(`/repos/${REPO}/collaborators/maria/permission`).reply(200, { permission: "write", role_name: "maintain", user: { login: "maria" } });
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`)
      .reply(201, {})
      .get(`/repos/${REPO}/pulls/6`)
      .reply(200, { number: 6, title: "New signup form", body: null, head: { sha: BAD } });
    mockRepoConfig(null);
    const check = expectCheck(BAD);
    await deliver(h.probot, "issue_comment", commentPayload(6, "/guardrail override experiment owner accepts the dip"));
    expect(gh.isDone() && check.scope.isDone()).toBe(true);
    const out = check.result();
    expect(out.conclusion).toBe("success");
    expect(out.output.title).toMatch(/^Passing by override of @maria: canary signup_conversion_rate −/);
    expect(out.output.summary).toContain("**Overridden** by @maria");
    expect(out.output.summary).toContain("❌ fail");
    // The override is for BAD only; the gate test below wants BAD without it.
    h.db.prepare(`DELETE FROM overrides WHERE sha = ?`).run(BAD);
  });

  it("finds a canary environment's version through its recorded deployment", async () => {
    const cfg = parseRepoConfig({ canary_environments: ["canary"] });
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: cfg.ok ? cfg.config : null });
    const p = deploymentStatusPayload(501, MAPPED, "canary", "2026-11-17T20:00:00Z");
    p.deployment.payload = { app_version: "canary-42" };
    await deliver(h.probot, "deployment_status", p);
    mockRepoConfig("canary_environments: [canary]\n");
    const check = expectCheck(MAPPED);
    await deliver(h.probot, "pull_request", prPayload("opened", 7, MAPPED));
    expect(check.scope.isDone()).toBe(true);
    const out = check.result();
    expect(out.output.summary).toContain("This PR's build (`canary-42`) served");
    expect(out.output.summary).toContain("**Hours compared**: 00:00–24:00 UTC");
    // A deployment to an environment that is neither canary nor preview maps nothing.
    const q = deploymentStatusPayload(502, NEW_HEAD, "staging", "2026-11-17T20:00:00Z");
    q.deployment.payload = { app_version: "v41" };
    await deliver(h.probot, "deployment_status", q);
    expect(h.db.prepare(`SELECT count(*) AS n FROM canary_deployments WHERE sha = ?`).get(NEW_HEAD)).toEqual({ n: 0 });
  });

  it("the deploy gate rejects a deployment of a SHA whose canary failed, with the reason", async () => {
    const answer = await gateFor(h.deps, REPO, BAD, { now: new Date("2026-11-19T06:00:00Z") });
    expect(answer.state).toBe("blocked");
    expect(answer.reasons.join(" ")).toMatch(/The canary of this commit failed on 2026-11-18: signup_conversion_rate −[2-5]\d % \(\d\.\d\d % vs \d\.\d\d %, z = −\d+\.\d\) against the rest of the traffic of the same hours \(08:00–\d\d:00 UTC\)\./);
    // The healthy canary's commit is not held by its canary.
    const good = await gateFor(h.deps, REPO, GOOD, { now: new Date("2026-11-19T06:00:00Z") });
    expect(good.reasons.join(" ")).not.toMatch(/canary of this commit failed/);
  });
});
