import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findSuspects } from "../../src/suspects/index.js";
import { recordDeployment } from "../../src/store/deployments.js";
import { refreshPullRequestChecks } from "../../src/app/pr-check.js";
import { publishRegressionChecks } from "../../src/app/regression.js";
import { buildRepoView, failingGuardrails } from "../../src/gate/index.js";
import { parseRepoConfig } from "../../src/config/repo-schema.js";
import { recordRepo, reposForDataset } from "../../src/store/repos.js";
import type { Evaluation } from "../../src/shared/types.js";
import {
  API,
  INSTALLATION,
  REPO,
  captureLog,
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

const BAD = "badbadbadbadbadbadbadbadbadbadbadbadbad0";
const OLD = "0000000000000000000000000000000000000001";
const REVERT_HEAD = "5555555555555555555555555555555555555555";

describe("suspects, regression checks and the revert exemption", () => {
  let h: Harness;
  /** The repo's view of a published evaluation, as the fan-out builds it. */
  const viewOf = (evaluation: Evaluation) => buildRepoView(h.deps, REPO, { evaluation });
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(failingEvaluation());
  });
  afterEach(() => {
    nock.cleanAll();
    h.cleanup();
  });

  it("suspects are the production deployments between the last healthy day and the failing day's end", () => {
    const dep = (id: number, sha: string, at: string) =>
      recordDeployment(h.db, { repo: REPO, deploymentId: id, sha, ref: "main", environment: "production", deployedAt: at, source: "webhook" });
    dep(1, OLD, "2026-11-03T12:00:00.000Z"); // before the last healthy day (no history → 11-04)
    dep(2, BAD, "2026-11-04T18:00:00.000Z"); // late on the healthy day
    dep(3, "c".repeat(40), "2026-11-06T01:00:00.000Z"); // after the failing day
    const s = findSuspects(h.db, REPO, "default", failingEvaluation("2026-11-05"), failingGuardrails(failingEvaluation("2026-11-05")));
    expect(s.map((x) => x.sha)).toEqual([BAD]);
    expect(s[0].evidence).toContain("signup_conversion_rate −38 %");
    expect(findSuspects(h.db, REPO, "default", passingEvaluation(), failingGuardrails(passingEvaluation()))).toEqual([]);
  });

  it("version mode names the culprit app_version, matched to its deployment by SHA prefix", () => {
    recordDeployment(h.db, { repo: REPO, deploymentId: 7, sha: BAD, ref: "v2.4.0", environment: "production", deployedAt: "2026-10-01T00:00:00.000Z", source: "api" });
    const ev = failingEvaluation("2026-11-05", [
      { version: "badbadb", metric: "signup_conversion_rate", observed: 0.012, expected: 0.039, change: -0.69, z: -9.1, verdict: "fail" },
      { version: "v2.3.9", metric: "signup_conversion_rate", observed: 0.039, expected: 0.038, change: 0.02, z: 0.3, verdict: "pass" },
    ]);
    const s = findSuspects(h.db, REPO, "default", ev, failingGuardrails(ev));
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ sha: BAD, reason: "version", version: "badbadb", deploymentId: 7 });
    const tagged = failingEvaluation("2026-11-05", [{ ...ev.versions[0], version: "v3.0.0" }]);
    const tag = findSuspects(h.db, REPO, "default", tagged, failingGuardrails(tagged));
    expect(tag[0]).toMatchObject({ sha: null, ref: "v3.0.0", reason: "version" });
  });

  it("a deployment_status webhook makes a suspect; publishRegressionChecks fails its commit naming the PRs", async () => {
    mockRepoConfig(null);
    await deliver(h.probot, "deployment_status", deploymentStatusPayload(100, BAD, "production", "2026-11-05T08:00:00Z"));
    const octokit = await h.probot.auth(INSTALLATION);
    const bodies: any[] = [];
    const gh = nock(API)
      .get(`/repos/${REPO}/commits/${BAD}/pulls`)
      .query(true)
      .reply(200, [{ number: 12, title: "New signup form", html_url: "https://github.com/acme/shop/pull/12", user: { login: "dev" } }])
      .post(`/repos/${REPO}/check-runs`, (b) => (bodies.push(b), true))
      .reply(201, { id: 500 })
      .patch(`/repos/${REPO}/check-runs/500`, (b) => (bodies.push(b), true))
      .reply(200, { id: 500 });
    const published = await publishRegressionChecks(octokit as any, h.deps, viewOf(failingEvaluation()), { log: captureLog(h.logs) });
    expect(gh.isDone()).toBe(true);
    expect(published.map((s) => s.sha)).toEqual([BAD]);
    expect(bodies[0]).toMatchObject({ name: "guardrail/regression", head_sha: BAD, status: "in_progress" });
    expect(bodies[1].conclusion).toBe("failure");
    expect(bodies[1].output.title).toBe("Suspected of signup_conversion_rate −38 % on 2026-11-05 (from #12)");
    expect(bodies[1].output.summary).toContain("- #12 New signup form by @dev");
    expect(bodies[1].output.summary).toContain("Deployed to production at 2026-11-05T08:00:00.000Z");
    expect(bodies[1].output.summary).toContain("| signup_conversion_rate | 2.41 % | 3.89 % | −38 % | ❌ fail |");

    // During the freeze a PR reverting that commit passes, with a note.
    mockRepoConfig(null);
    const checks: any[] = [];
    const revert = nock(API)
      .get(`/repos/${REPO}/pulls/13/commits`)
      .query(true)
      .reply(200, [{ sha: REVERT_HEAD, commit: { message: `Revert "New signup form (#12)"\n\nThis reverts commit ${BAD.slice(0, 12)}.` } }])
      .post(`/repos/${REPO}/check-runs`, (b) => (checks.push(b), true))
      .reply(201, { id: 501 })
      .patch(`/repos/${REPO}/check-runs/501`, (b) => (checks.push(b), true))
      .reply(200, { id: 501 });
    await deliver(h.probot, "pull_request", prPayload("opened", 13, REVERT_HEAD, { title: 'Revert "New signup form"' }));
    expect(revert.isDone()).toBe(true);
    expect(checks[1].conclusion).toBe("success");
    expect(checks[1].output.title).toBe("Passing: this PR reverts suspect badbadb (signup_conversion_rate −38 % on 2026-11-05)");
    expect(checks[1].output.summary).toContain("**Revert of a suspect**");

    // A PR that reverts something else still fails.
    mockRepoConfig(null);
    const other: any[] = [];
    const unrelated = nock(API)
      .get(`/repos/${REPO}/pulls/14/commits`)
      .query(true)
      .reply(200, [{ sha: "6".repeat(40), commit: { message: `Revert "Old thing"\n\nThis reverts commit ${OLD}.` } }])
      .post(`/repos/${REPO}/check-runs`, (b) => (other.push(b), true))
      .reply(201, { id: 502 })
      .patch(`/repos/${REPO}/check-runs/502`, (b) => (other.push(b), true))
      .reply(200, { id: 502 });
    await deliver(h.probot, "pull_request", prPayload("opened", 14, "6".repeat(40), { title: 'Revert "Old thing"' }));
    expect(unrelated.isDone()).toBe(true);
    expect(other[1].conclusion).toBe("failure");
  });

  it("a guardrail the repo does not enforce (metrics.<name>.enforce: false) fails no guardrail/regression check", async () => {
    const optedOut = parseRepoConfig({ metrics: { signup_conversion_rate: { enforce: false } } });
    if (!optedOut.ok) throw new Error(optedOut.error);
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: optedOut.config });
    recordDeployment(h.db, { repo: REPO, deploymentId: 100, sha: BAD, ref: "main", environment: "production", deployedAt: "2026-11-05T08:00:00.000Z", source: "webhook" });
    const octokit = await h.probot.auth(INSTALLATION);
    // The evaluator still reports the server's `enforced: true`: the repo's setting must win, as in the PR check and the gate.
    const view = buildRepoView(h.deps, REPO, { evaluation: failingEvaluation(), evaluate: () => failingEvaluation() });
    expect(view.evaluation?.verdicts[0]).toMatchObject({ metric: "signup_conversion_rate", verdict: "fail", enforced: true });
    expect(await publishRegressionChecks(octokit as any, h.deps, view, { log: captureLog(h.logs) })).toEqual([]);
    expect(h.logs.filter((l) => l.level === "error")).toEqual([]);
    // The same day for a repo that enforces it names the suspect (no network is mocked: the GitHub calls fail and are logged).
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: null });
    await publishRegressionChecks(octokit as any, h.deps, viewOf(failingEvaluation()), { log: captureLog(h.logs) });
    expect(h.logs.find((l) => l.level === "error")?.obj).toMatchObject({ repo: REPO, sha: BAD, event: "regression" });
  });

  it("with no recorded deployments, history is listed from the API; a release-tag culprit is resolved to its commit", async () => {
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: null });
    const octokit = await h.probot.auth(INSTALLATION);
    const bodies: any[] = [];
    const gh = nock(API)
      .get(`/repos/${REPO}/deployments`)
      .query({ environment: "production", per_page: 30 })
      .reply(200, [{ id: 71, sha: OLD, ref: "v2.9.0" }, { id: 72, sha: "7".repeat(40), ref: "v3.0.0" }])
      .get(`/repos/${REPO}/deployments/71/statuses`)
      .query(true)
      .reply(200, [{ state: "success", created_at: "2026-10-20T10:00:00Z" }])
      .get(`/repos/${REPO}/deployments/72/statuses`)
      .query(true)
      .reply(200, [{ state: "failure", created_at: "2026-11-05T10:00:00Z" }])
      .get(`/repos/${REPO}/commits/v3.0.0`)
      .reply(200, { sha: "7".repeat(40), commit: { message: "release 3.0.0" } })
      .get(`/repos/${REPO}/commits/${"7".repeat(40)}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`/repos/${REPO}/check-runs`, (b) => (bodies.push(b), true))
      .reply(201, { id: 600 })
      .patch(`/repos/${REPO}/check-runs/600`, (b) => (bodies.push(b), true))
      .reply(200, { id: 600 });
    const ev = failingEvaluation("2026-11-05", [
      { version: "v3.0.0", metric: "signup_conversion_rate", observed: 0.012, expected: 0.039, change: -0.69, z: -9.1, verdict: "fail" },
    ]);
    await publishRegressionChecks(octokit as any, h.deps, viewOf(ev), { log: captureLog(h.logs) });
    expect(gh.isDone()).toBe(true);
    expect(h.db.prepare("SELECT deployment_id, source FROM deployments").all()).toEqual([{ deployment_id: 71, source: "api" }]);
    expect(bodies[0].head_sha).toBe("7".repeat(40));
    expect(bodies[1].output.summary).toContain("**app_version:** `v3.0.0`");
    expect(bodies[1].output.summary).toContain("no pull request is associated");
  });

  it("refreshPullRequestChecks updates every open PR across pages; one PR's API error does not stop the others", async () => {
    h.evaluation.current = passingEvaluation();
    const octokit = await h.probot.auth(INSTALLATION);
    const pr = (n: number) => ({ number: n, title: `PR ${n}`, body: null, head: { sha: String(n).repeat(40).slice(0, 40) } });
    mockRepoConfig(null);
    const conclusions: Record<number, string> = {};
    const gh = nock(API)
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "open", per_page: 100 })
      .reply(200, [pr(1), pr(2)], { link: `<${API}/repositories/1/pulls?state=open&per_page=100&page=2>; rel="next"` })
      .get(`/repositories/1/pulls`)
      .query({ state: "open", per_page: 100, page: 2 })
      .reply(200, [pr(3)])
      .post(`/repos/${REPO}/check-runs`, (b: any) => b.head_sha === pr(1).head.sha)
      .reply(201, { id: 701 })
      .patch(`/repos/${REPO}/check-runs/701`, (b: any) => ((conclusions[1] = b.conclusion), true))
      .reply(200, {})
      .post(`/repos/${REPO}/check-runs`, (b: any) => b.head_sha === pr(2).head.sha)
      .reply(422, { message: "No commit found for SHA" })
      .post(`/repos/${REPO}/check-runs`, (b: any) => b.head_sha === pr(3).head.sha)
      .reply(201, { id: 703 })
      .patch(`/repos/${REPO}/check-runs/703`, (b: any) => ((conclusions[3] = b.conclusion), true))
      .reply(200, {});
    const results = await refreshPullRequestChecks(octokit as any, h.deps, REPO, {
      log: captureLog(h.logs),
      evaluate: () => passingEvaluation(),
    });
    expect(gh.isDone()).toBe(true);
    expect(results.map((r) => [r.number, r.conclusion])).toEqual([
      [1, "success"],
      [2, null],
      [3, "success"],
    ]);
    expect(conclusions).toEqual({ 1: "success", 3: "success" });
    expect(h.logs.find((l) => l.level === "error")?.obj).toMatchObject({ repo: REPO, pr: 2, status: 422 });
    expect(reposForDataset(h.db, "default")).toEqual([]); // no installation id known through this path
  });

  it("installation events record which repos watch which dataset", async () => {
    const payload = {
      action: "added",
      installation: { id: INSTALLATION },
      repositories_added: [{ id: 1, full_name: REPO, name: "shop", private: true }],
      repositories_removed: [],
      repository_selection: "selected",
      sender: { login: "owner", type: "User" },
    };
    nock(API)
      .get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`)
      .reply(200, "dataset: web-eu\nproduction_environments: [prod]\n", { "content-type": "text/plain; charset=utf-8" });
    await deliver(h.probot, "installation_repositories", payload);
    const repos = reposForDataset(h.db, "web-eu");
    expect(repos.map((r) => [r.repo, r.installationId, r.config.production_environments])).toEqual([[REPO, INSTALLATION, ["prod"]]]);
    await deliver(h.probot, "installation_repositories", { ...payload, action: "removed", repositories_added: [], repositories_removed: payload.repositories_added });
    expect(reposForDataset(h.db, "web-eu")).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe("last healthy day from the evaluation history", () => {
  it("uses the newest evaluation of each earlier day", async () => {
    const { lastHealthyEvaluatedDay } = await import("../../src/store/suspects.js");
    const { makeDeps } = await import("./helpers.js");
    const { db } = makeDeps();
    const ins = db.prepare("INSERT INTO evaluations (dataset, ds, status, evaluated_at, json) VALUES ('default', ?, ?, '2026-11-06T00:00:00Z', '{}')");
    ins.run("2026-11-01", "pass");
    ins.run("2026-11-03", "pass");
    ins.run("2026-11-03", "fail"); // re-judged: no longer healthy
    ins.run("2026-11-04", "no_data");
    expect(lastHealthyEvaluatedDay(db, "default", "2026-11-05")).toBe("2026-11-01");
    expect(lastHealthyEvaluatedDay(db, "other", "2026-11-05")).toBe(null);
    db.close();
  });
});
