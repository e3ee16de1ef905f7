import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifySignedLink } from "../../src/shared/links.js";
import { prHeadAt } from "../../src/store/repos.js";
import {
  API,
  REPO,
  checkRunPayload,
  checkSuitePayload,
  deliver,
  deploymentStatusPayload,
  failingEvaluation,
  harness,
  mockRepoConfig,
  nock,
  noDataEvaluation,
  passingEvaluation,
  prPayload,
  expectNewCheck,
  type Harness,
} from "./helpers.js";

const SHA = "1111111111111111111111111111111111111111";

describe("guardrail check on pull requests", () => {
  let h: Harness;
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(passingEvaluation());
  });
  afterEach(() => {
    nock.cleanAll();
    h.cleanup();
  });

  it("passes on the fork-safe head SHA, in_progress then success, with a signed dashboard link", async () => {
    const cfg = mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(11, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 5, SHA, { fork: true }));
    expect(cfg.isDone()).toBe(true);
    expect(gh.isDone()).toBe(true);
    expect(bodies[0]).toMatchObject({ name: "guardrail", head_sha: SHA, status: "in_progress" });
    expect(bodies[1]).toMatchObject({ status: "completed", conclusion: "success", output: { title: "Guardrails pass for 2026-11-05" } });
    expect(bodies[1].output.summary).toContain("| **signup_conversion_rate** (guardrail) | 3.91 % | 3.89 % | +0.5 % | ✅ pass |");
    expect(bodies[1].actions).toEqual([{ label: "Recheck", description: "Evaluate the guardrails again", identifier: "recheck" }]);
    const link: string = bodies[1].details_url;
    expect(link.startsWith("https://guardrail.example.com/guardrail?dataset=default&ds=2026-11-05")).toBe(true);
    expect(verifySignedLink(link, h.deps.linkSecret)).toBe(true);
    // The repo is now known for background fan-out.
    const row = h.db.prepare("SELECT repo, installation_id, dataset FROM repos").get();
    expect(row).toEqual({ repo: REPO, installation_id: 4242, dataset: "default" });
  });

  it("fails while an enforced guardrail fails (merge freeze), naming the decline and where it is", async () => {
    h.evaluation.current = failingEvaluation();
    mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(12, bodies);
    const payload = prPayload("synchronize", 6, SHA);
    payload.pull_request.updated_at = "2026-11-25T10:00:00Z";
    await deliver(h.probot, "pull_request", payload);
    expect(gh.isDone()).toBe(true);
    // The push is remembered, so a later /guardrail override knows which head it was written against.
    expect(prHeadAt(h.db, REPO, 6, "2026-11-25T10:00:01Z")).toEqual({ sha: SHA, since: "2026-11-25T10:00:00Z" });
    expect(bodies[1].conclusion).toBe("failure");
    expect(bodies[1].output.title).toBe("Merge freeze: signup_conversion_rate −38 % on 2026-11-05");
    expect(bodies[1].output.summary).toContain("| **signup_conversion_rate** (guardrail) | 2.41 % | 3.89 % | −38 % | ❌ fail |");
    expect(bodies[1].output.summary).toContain("91 % of the drop is on device iPhone");
  });

  it("is neutral on no_data by default and follows on_missing_data from the repo config", async () => {
    h.evaluation.current = noDataEvaluation();
    mockRepoConfig(null);
    const bodies: any[] = [];
    expectNewCheck(13, bodies);
    await deliver(h.probot, "pull_request", prPayload("reopened", 7, SHA));
    expect(bodies[1].conclusion).toBe("neutral");

    mockRepoConfig("dataset: default\non_missing_data: failure\n");
    const second: any[] = [];
    const gh = nock(API).patch(`/repos/${REPO}/check-runs/13`, (b) => (second.push(b), true)).reply(200, { id: 13 });
    await deliver(h.probot, "pull_request", prPayload("ready_for_review", 7, SHA));
    expect(gh.isDone()).toBe(true);
    expect(second[0].conclusion).toBe("failure");
    expect(second[0].output.summary).toContain("on_missing_data: failure");
  });

  it("an invalid .github/guardrail.yml gives a failing check naming the field", async () => {
    mockRepoConfig("dataset: default\non_missing_data: sometimes\n");
    const bodies: any[] = [];
    const gh = expectNewCheck(14, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 8, SHA));
    expect(gh.isDone()).toBe(true);
    expect(bodies[1].conclusion).toBe("failure");
    expect(bodies[1].output.title).toBe("Invalid .github/guardrail.yml");
    expect(bodies[1].output.summary).toMatch(/^\.github\/guardrail\.yml: field on_missing_data: .*"neutral"/);
  });

  it("invalid YAML and an unknown metric override are named too", async () => {
    mockRepoConfig("dataset: [unclosed\n");
    const bodies: any[] = [];
    expectNewCheck(15, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 9, SHA));
    expect(bodies[1].conclusion).toBe("failure");
    expect(bodies[1].output.summary).toMatch(/^\.github\/guardrail\.yml: is not valid YAML/);

    mockRepoConfig("metrics:\n  signup_rate:\n    enforce: false\n");
    const more: any[] = [];
    nock(API).patch(`/repos/${REPO}/check-runs/15`, (b) => (more.push(b), true)).reply(200, { id: 15 });
    await deliver(h.probot, "pull_request", prPayload("synchronize", 9, SHA));
    expect(more[0].conclusion).toBe("failure");
    expect(more[0].output.summary).toContain("field metrics.signup_rate: expected the name of a metric");
  });

  it("a redelivered webhook updates the same check run instead of creating a second one", async () => {
    const payload = prPayload("opened", 10, SHA);
    mockRepoConfig(null);
    const bodies: any[] = [];
    const first = expectNewCheck(21, bodies);
    await deliver(h.probot, "pull_request", payload, "same-delivery");
    expect(first.isDone()).toBe(true);

    mockRepoConfig(null);
    const again = nock(API).patch(`/repos/${REPO}/check-runs/21`, (b) => (bodies.push(b), true)).reply(200, { id: 21 });
    await deliver(h.probot, "pull_request", payload, "same-delivery");
    expect(again.isDone()).toBe(true);
    expect(bodies).toHaveLength(3);
    expect(bodies[2]).toMatchObject({ status: "completed", conclusion: "success" });
    // nock would have thrown on an unexpected POST; make sure none is pending either.
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("two concurrent deliveries for one SHA still make a single check run", async () => {
    mockRepoConfig(null);
    mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(22, bodies).patch(`/repos/${REPO}/check-runs/22`, (b) => (bodies.push(b), true)).reply(200, { id: 22 });
    await Promise.all([
      deliver(h.probot, "pull_request", prPayload("opened", 11, SHA)),
      deliver(h.probot, "check_suite", checkSuitePayload(SHA, 11)),
    ]);
    expect(gh.isDone()).toBe(true);
    expect(bodies.filter((b) => b.head_sha)).toHaveLength(1);
  });

  it("reruns on check_run.rerequested, the Recheck button and check_suite.rerequested", async () => {
    mockRepoConfig(null);
    const bodies: any[] = [];
    expectNewCheck(31, bodies);
    await deliver(h.probot, "check_run", checkRunPayload("rerequested", SHA, 12));
    expect(bodies[0]).toMatchObject({ head_sha: SHA, status: "in_progress" });

    h.evaluation.current = failingEvaluation();
    mockRepoConfig(null);
    const action = nock(API).patch(`/repos/${REPO}/check-runs/31`, (b) => (bodies.push(b), true)).reply(200, { id: 31 });
    await deliver(h.probot, "check_run", checkRunPayload("requested_action", SHA, 12));
    expect(action.isDone()).toBe(true);
    expect(bodies[2].conclusion).toBe("failure");

    h.evaluation.current = passingEvaluation();
    mockRepoConfig(null);
    const suite = nock(API).patch(`/repos/${REPO}/check-runs/31`, (b) => (bodies.push(b), true)).reply(200, { id: 31 });
    await deliver(h.probot, "check_suite", checkSuitePayload(SHA, 12));
    expect(suite.isDone()).toBe(true);
    expect(bodies[3].conclusion).toBe("success");
  });

  it("ignores rerequests of other apps' check names", async () => {
    await deliver(h.probot, "check_run", checkRunPayload("rerequested", SHA, 12, "ci/build"));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("a GitHub API error is logged with context and the next PR still works", async () => {
    mockRepoConfig(null);
    const denied = nock(API).post(`/repos/${REPO}/check-runs`).reply(403, { message: "Resource not accessible by integration" });
    await expect(deliver(h.probot, "pull_request", prPayload("opened", 40, SHA))).resolves.toBeUndefined();
    expect(denied.isDone()).toBe(true);
    const err = h.logs.find((l) => l.level === "error");
    expect(err?.obj).toMatchObject({ repo: REPO, sha: SHA, pr: 40, event: "pull_request", status: 403 });

    for (const status of [404, 422, 502]) {
      mockRepoConfig(null);
      const s = nock(API).post(`/repos/${REPO}/check-runs`).reply(status, { message: "nope" });
      await deliver(h.probot, "pull_request", prPayload("opened", 41, SHA));
      expect(s.isDone()).toBe(true);
      expect(h.logs.some((l) => l.obj.status === status)).toBe(true);
    }

    const other = "2222222222222222222222222222222222222222";
    mockRepoConfig(null);
    const bodies: any[] = [];
    const ok = expectNewCheck(41, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 42, other));
    expect(ok.isDone()).toBe(true);
    expect(bodies[1].conclusion).toBe("success");
  });

  it("an evaluator crash becomes a no-verdict check, not a crash", async () => {
    h.evaluation.current = new Error("database is locked");
    mockRepoConfig(null);
    const bodies: any[] = [];
    const gh = expectNewCheck(51, bodies);
    await deliver(h.probot, "pull_request", prPayload("opened", 50, SHA));
    expect(gh.isDone()).toBe(true);
    expect(bodies[1].conclusion).toBe("neutral");
    expect(bodies[1].output.summary).toContain("database is locked");
  });

  it("records successful production deployments only", async () => {
    mockRepoConfig("production_environments: [prod, production]\n");
    await deliver(h.probot, "deployment_status", deploymentStatusPayload(1, SHA, "prod", "2026-11-05T09:00:00Z"));
    await deliver(h.probot, "deployment_status", deploymentStatusPayload(2, SHA, "staging", "2026-11-05T09:00:00Z"));
    await deliver(h.probot, "deployment_status", deploymentStatusPayload(3, SHA, "prod", "2026-11-05T09:00:00Z", "failure"));
    const rows = h.db.prepare("SELECT deployment_id, environment, source FROM deployments ORDER BY deployment_id").all();
    expect(rows).toEqual([{ deployment_id: 1, environment: "prod", source: "webhook" }]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
