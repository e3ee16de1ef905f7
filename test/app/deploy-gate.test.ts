import { describe, it, expect, afterEach, beforeAll, afterAll } from "vitest";
import nock from "nock";
import { handleProtectionRuleRequest, answerPendingProtectionRules, updateDeployStatuses } from "../../src/app/deploy-gate.js";
import { verifySignedLink } from "../../src/shared/links.js";
import { addDays } from "../../src/shared/dates.js";
import { makeEnv, seedHistory, seedDay, addRepo, addSuspect, expectedChange, octokit, REPO, SHA, OTHER_SHA, SUSPECT_SHA, DAY, NOW, INSTALLATION, BASELINE_HITS, type Env } from "../gate/helpers.js";

const API = "https://api.github.com";
const RUN_ID = 987654;
const CALLBACK = `${API}/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`;

const payload = (environment = "production", sha = SHA) => ({
  action: "requested",
  environment,
  event: "workflow_dispatch",
  deployment_callback_url: CALLBACK,
  deployment: { sha },
  repository: { full_name: REPO },
  installation: { id: INSTALLATION },
});

type Body = { environment_name: string; state: string; comment: string };

let env: Env | undefined;
beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  env?.cleanup();
  nock.cleanAll();
});

function requestState(env: Env): { state: string; gate_state: string | null } {
  return env.db.prepare(`SELECT state, gate_state FROM protection_rule_requests WHERE run_id = ?`).get(RUN_ID) as never;
}

describe("deployment protection rule", () => {
  it("approves when the guardrails pass and sets a success status", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    let body: Body | undefined;
    let status: Record<string, string> | undefined;
    const scope = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => ((status = b), true))
      .reply(201, {});
    await handleProtectionRuleRequest(octokit(), env.deps, payload(), { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(body!.environment_name).toBe("production");
    expect(body!.state).toBe("approved");
    expect(body!.comment.length).toBeLessThanOrEqual(1024);
    expect(body!.comment).toContain("All enforced guardrails pass");
    const link = /Details: (\S+)/.exec(body!.comment)![1]!;
    expect(verifySignedLink(link, "link-secret", NOW)).toBe(true);
    expect(status).toMatchObject({ state: "success", context: "guardrail/deploy" });
    expect(requestState(env).state).toBe("approved");
  });

  it("rejects while a guardrail fails, naming it and how far it fell; re-runs once the metrics recover", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    let body: Body | undefined;
    const scope = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => b.state === "failure")
      .reply(201, {})
      // GitHub asks for the commit message to look for a revert of a suspect.
      .get(`/repos/${REPO}/commits/${SHA}`)
      .optionally()
      .reply(200, { sha: SHA, commit: { message: "Add checkout banner" } });
    await handleProtectionRuleRequest(octokit(), env.deps, payload(), { now: NOW });
    expect(body!.state).toBe("rejected");
    expect(body!.comment).toContain("signup_conversion_rate");
    expect(body!.comment).toContain(`fell ${Math.round(Math.abs(expectedChange(200)) * 100)} %`);
    expect(body!.comment).toMatch(/Details: https:\/\/guardrail\.example\.com\/guardrail\?/);
    expect(body!.comment.length).toBeLessThanOrEqual(1024);
    expect(scope.isDone()).toBe(true);
    expect(requestState(env)).toEqual({ state: "rejected", gate_state: "blocked" });

    // Still failing after another evaluation: nothing is re-run.
    const still = nock(API).get(`/repos/${REPO}/commits/${SHA}`).optionally().reply(200, { commit: { message: "x" } });
    const first = await answerPendingProtectionRules(async () => octokit(), env.deps, "default", { now: NOW });
    expect(first.map((o) => o.state)).toEqual(["rejected"]);
    expect(still.isDone()).toBe(true);

    // The next day recovers (its own four healthy weeks are seeded by seedHistory's 28 days).
    const next = addDays(DAY, 1);
    seedDay(env.db, next, BASELINE_HITS, 403);
    const later = new Date(`${addDays(next, 1)}T06:00:00Z`);
    const rerun = nock(API)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => b.state === "success")
      .reply(201, {})
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/rerun-failed-jobs`)
      .reply(201, {});
    const outcomes = await answerPendingProtectionRules(async (id) => (expect(id).toBe(INSTALLATION), octokit()), env.deps, "default", { now: later });
    expect(outcomes.map((o) => o.state)).toEqual(["rerun"]);
    expect(rerun.isDone()).toBe(true);

    // GitHub asks again for the re-run (same run id): approved this time.
    let again: Body | undefined;
    const approve = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((again = b), true))
      .reply(204);
    await handleProtectionRuleRequest(octokit(), env.deps, payload(), { now: later });
    expect(again!.state).toBe("approved");
    expect(approve.isDone()).toBe(true);
    expect(requestState(env).state).toBe("approved");
    expect(env.db.prepare(`SELECT COUNT(*) AS n FROM protection_rule_requests`).get()).toEqual({ n: 1 });
  });

  it("approves the deploy that reverts a suspect commit during the freeze", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    addSuspect(env.db, SUSPECT_SHA);
    let body: Body | undefined;
    const scope = nock(API)
      .get(`/repos/${REPO}/commits/${SHA}`)
      .reply(200, { sha: SHA, commit: { message: `Revert "Add banner"\n\nThis reverts commit ${SUSPECT_SHA}.` } })
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => b.state === "success")
      .reply(201, {});
    await handleProtectionRuleRequest(octokit(), env.deps, payload(), { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(body!.state).toBe("approved");
    expect(body!.comment).toContain(`reverts suspect commit ${SUSPECT_SHA.slice(0, 7)}`);
  });

  it("rejects with a reason, instead of leaving GitHub waiting, when the deployed commit cannot be found", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    let body: Body | undefined;
    const scope = nock(API)
      .get(`/repos/${REPO}/actions/runs/${RUN_ID}`)
      .reply(404, { message: "Not Found" })
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204);
    await handleProtectionRuleRequest(octokit(), env.deps, { ...payload(), deployment: null }, { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(body).toEqual({
      environment_name: "production",
      state: "rejected",
      comment: "Guardrail could not find which commit this deployment carries, so it cannot judge it. Re-run the job to ask again.",
    });
  });

  it("approves a non-production environment without judging it", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    let body: Body | undefined;
    const scope = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204);
    await handleProtectionRuleRequest(octokit(), env.deps, payload("staging"), { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(body).toMatchObject({ environment_name: "staging", state: "approved" });
  });

  it("keeps an answer that failed to send pending and sends it after the next evaluation", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    const down = nock(API).post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`).reply(502, { message: "Bad gateway" });
    await handleProtectionRuleRequest(octokit(), env.deps, payload(), { now: NOW });
    expect(down.isDone()).toBe(true);
    expect(requestState(env).state).toBe("pending");
    let body: Body | undefined;
    const up = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204)
      .post(`/repos/${REPO}/statuses/${SHA}`)
      .reply(201, {});
    await answerPendingProtectionRules(async () => octokit(), env.deps, "default", { now: NOW });
    expect(up.isDone()).toBe(true);
    expect(body!.state).toBe("approved");
    expect(requestState(env).state).toBe("approved");
  });

  it("does not re-run a rejected run when the data went missing instead of recovering (unknown is not open)", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    env.db
      .prepare(
        `INSERT INTO protection_rule_requests (repo, installation_id, run_id, environment, callback_url, sha, dataset, requested_at, state, gate_state)
         VALUES (?, ?, ?, 'production', ?, ?, 'default', ?, 'rejected', 'blocked')`,
      )
      .run(REPO, INSTALLATION, RUN_ID, CALLBACK, SHA, "2024-05-08T01:00:00Z");
    // No newer export arrives: a week later the failing day is stale, so the gate has no verdict.
    let status: Record<string, string> | undefined;
    const scope = nock(API).post(`/repos/${REPO}/statuses/${SHA}`, (b) => ((status = b), true)).reply(201, {});
    const rerun = nock(API).post(`/repos/${REPO}/actions/runs/${RUN_ID}/rerun-failed-jobs`).reply(201, {});
    const outcomes = await answerPendingProtectionRules(async () => octokit(), env.deps, "default", { now: new Date("2024-05-14T06:00:00Z") });
    expect(outcomes.map((o) => [o.state, o.answer?.state])).toEqual([["rejected", "unknown"]]);
    expect(status).toMatchObject({ state: "pending", context: "guardrail/deploy" });
    expect(scope.isDone()).toBe(true);
    expect(rerun.isDone()).toBe(false);
    expect(requestState(env).state).toBe("rejected");
  });

  it("does not re-run a rejected run when a newer deploy to the environment was requested since", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    const put = env.db.prepare(
      `INSERT INTO protection_rule_requests (repo, installation_id, run_id, environment, callback_url, sha, dataset, requested_at, state)
       VALUES (?, ?, ?, 'production', ?, ?, 'default', ?, ?)`,
    );
    put.run(REPO, INSTALLATION, RUN_ID, CALLBACK, SHA, "2024-05-08T01:00:00Z", "rejected");
    put.run(REPO, INSTALLATION, RUN_ID + 1, CALLBACK.replace(String(RUN_ID), String(RUN_ID + 1)), OTHER_SHA, "2024-05-08T02:00:00Z", "approved");
    seedDay(env.db, addDays(DAY, 1), BASELINE_HITS, 403);
    const scope = nock(API).post(`/repos/${REPO}/statuses/${SHA}`).reply(201, {});
    const outcomes = await answerPendingProtectionRules(async () => octokit(), env.deps, "default", { now: new Date("2024-05-09T06:00:00Z") });
    expect(outcomes.map((o) => o.state)).toEqual(["superseded"]);
    expect(scope.isDone()).toBe(true);
  });
});

describe("commit status guardrail/deploy", () => {
  it("sets success on healthy metrics and failure on a failing guardrail, within 140 characters and with a signed link", async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    const posted: Record<string, string>[] = [];
    const ok = nock(API)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => (posted.push(b), true))
      .reply(201, {})
      .post(`/repos/${REPO}/statuses/${OTHER_SHA}`, (b) => (posted.push(b), true))
      .reply(201, {});
    await updateDeployStatuses(octokit(), env.deps, REPO, [SHA, OTHER_SHA], { now: NOW });
    expect(ok.isDone()).toBe(true);
    expect(posted.map((p) => p.state)).toEqual(["success", "success"]);
    for (const p of posted) {
      expect(p.context).toBe("guardrail/deploy");
      expect([...p.description!].length).toBeLessThanOrEqual(140);
      expect(verifySignedLink(p.target_url!, "link-secret", NOW)).toBe(true);
    }

    // A second identical update posts nothing (no nock scope: a request would fail the test).
    const again = await updateDeployStatuses(octokit(), env.deps, REPO, [SHA], { now: NOW });
    expect(again[0]!.posted).toBe(false);

    // The same repo on a failing day.
    env.cleanup();
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    let failed: Record<string, string> | undefined;
    const bad = nock(API)
      .get(`/repos/${REPO}/commits/${SHA}`)
      .optionally()
      .reply(200, { commit: { message: "feature" } })
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => ((failed = b), true))
      .reply(201, {});
    await updateDeployStatuses(octokit(), env.deps, REPO, [SHA], { now: NOW });
    expect(bad.isDone()).toBe(true);
    expect(failed!.state).toBe("failure");
    expect(failed!.description).toMatch(/^Deploy blocked: .*signup_conversion_rate/);
    expect([...failed!.description!].length).toBeLessThanOrEqual(140);
  });

  it("sets pending when there is no verdict", async () => {
    env = makeEnv();
    addRepo(env.db);
    let st: Record<string, string> | undefined;
    const scope = nock(API).post(`/repos/${REPO}/statuses/${SHA}`, (b) => ((st = b), true)).reply(201, {});
    await updateDeployStatuses(octokit(), env.deps, REPO, [SHA], { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(st!.state).toBe("pending");
  });
});
