/**
 * A day published marked partial (docs/ingest.md, "Partial days") on every
 * deploy surface: the HTTP gate, the `guardrail gate` CLI against it, and the
 * deployment protection rule with its `guardrail/deploy` status. Each says the
 * day is partial and why, with no verdict (unknown); a later complete export of
 * the same day replaces it and the mark goes away; a partial day is never a
 * baseline day. Real SQLite and a real HTTP server on 127.0.0.1; only GitHub
 * is stood in for (nock).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { handleGateRoute } from "../../src/http/gate-route.js";
import { sendText } from "../../src/http/respond.js";
import { handleProtectionRuleRequest } from "../../src/app/deploy-gate.js";
import { partialReason } from "../../src/store/partitions.js";
import { judgeDay } from "../../src/evaluate/evaluate.js";
import { resolveDataset } from "../../src/config/load.js";
import { addDays } from "../../src/shared/dates.js";
import { runCli } from "../support/run-cli.js";
import { addRepo, CONFIG, publishDay, DAY, INSTALLATION, makeEnv, NOW, octokit, READ_TOKEN, REPO, seedHistory, SHA, type Env } from "./helpers.js";

const API = "https://api.github.com";
const RUN_ID = 424242;
const WHY = "it failed completeness (day_volume, hour_coverage)";

async function serve(env: Env, now: Date): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void handleGateRoute(req, res, env.deps, { now }).then((handled) => {
      if (!handled) sendText(res, 404, "not found");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function gate(base: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/api/guardrail/gate?repo=${encodeURIComponent(REPO)}&sha=${SHA}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const protectionPayload = () => ({
  action: "requested",
  environment: "production",
  event: "workflow_dispatch",
  deployment_callback_url: `${API}/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`,
  deployment: { sha: SHA },
  repository: { full_name: REPO },
  installation: { id: INSTALLATION },
});

describe("a partial day at the deploy gate", () => {
  let env: Env;
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    env = makeEnv();
    // Four healthy weeks, then DAY's export cut off at 08:00: a fifth of the page visits, published with --allow-partial.
    seedHistory(env.db, DAY, 402);
    publishDay(env.db, DAY, 2_100, 61, WHY);
    addRepo(env.db);
    srv = await serve(env, NOW);
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    await srv.close();
    env.cleanup();
  });

  it("HTTP: unknown, the first reason says the day is partial and why, and the answer carries partial_reason", async () => {
    expect(partialReason(env.db, "default", DAY)).toBe(WHY);
    const a = await gate(srv.url);
    expect(a).toMatchObject({ state: "unknown", ds: DAY, failing: [], partial_reason: WHY });
    expect((a.reasons as string[])[0]).toBe(
      `The export for ${DAY} was published partial (${WHY}), so the guardrails are inconclusive until a complete export of that day replaces it.`,
    );
  });

  it("CLI: exit 2 (unknown) naming the partial day, and 1 with --fail-on-unknown", async () => {
    const args = ["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA];
    const human = await runCli(args);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(new RegExp(`^UNKNOWN \\(metrics of ${DAY}, published PARTIAL\\)\\n`));
    expect(human.stdout).toContain(`was published partial (${WHY})`);
    const json = await runCli([...args, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: "unknown", partial_reason: WHY });
    expect((await runCli([...args, "--fail-on-unknown"])).code).toBe(1);
  });

  it("protection rule: approved (on_missing_data neutral) with the partial day in the comment; the pending status says partial", async () => {
    let body: { state: string; comment: string } | undefined;
    let status: { state: string; description: string } | undefined;
    const scope = nock(API)
      .post(`/repos/${REPO}/actions/runs/${RUN_ID}/deployment_protection_rule`, (b) => ((body = b), true))
      .reply(204)
      .post(`/repos/${REPO}/statuses/${SHA}`, (b) => ((status = b), true))
      .reply(201, {});
    await handleProtectionRuleRequest(octokit(), env.deps, protectionPayload(), { now: NOW });
    expect(scope.isDone()).toBe(true);
    expect(body!.state).toBe("approved");
    expect(body!.comment).toContain(`(metrics of ${DAY}, published PARTIAL)`);
    expect(body!.comment).toContain(`was published partial (${WHY})`);
    expect(status!.state).toBe("pending");
    expect(status!.description.length).toBeLessThanOrEqual(140);
    expect(status!.description).toMatch(new RegExp(`^No verdict: The export for ${DAY} was published partial`));
  });
});

describe("a repo that holds deploys without data", () => {
  it("blocks on a partial day, saying why", async () => {
    const env = makeEnv();
    seedHistory(env.db, DAY, 402);
    publishDay(env.db, DAY, 2_100, 61, WHY);
    addRepo(env.db, { on_missing_data: "failure" });
    const srv = await serve(env, NOW);
    try {
      const a = await gate(srv.url);
      expect(a).toMatchObject({ state: "blocked", partial_reason: WHY, failing: [] });
      expect((a.reasons as string[])[0]).toContain(`was published partial (${WHY})`);
    } finally {
      await srv.close();
      env.cleanup();
    }
  });
});

describe("a complete export of the same day", () => {
  it("replaces the partial one: the gate judges it and the mark is gone", async () => {
    const env = makeEnv();
    seedHistory(env.db, DAY, 402);
    publishDay(env.db, DAY, 2_100, 61, WHY);
    addRepo(env.db);
    const srv = await serve(env, NOW);
    try {
      expect((await gate(srv.url)).state).toBe("unknown");
      publishDay(env.db, DAY, 10_000, 200, null); // the whole day, and it shows a real decline
      expect(partialReason(env.db, "default", DAY)).toBeNull();
      const a = await gate(srv.url);
      expect(a).toMatchObject({ state: "blocked", ds: DAY, failing: ["signup_conversion_rate"] });
      expect(a).not.toHaveProperty("partial_reason");
      expect(JSON.stringify(a.reasons)).not.toMatch(/partial/i);
      const cli = await runCli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA]);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(new RegExp(`^BLOCKED \\(metrics of ${DAY}\\)\\n`));
    } finally {
      await srv.close();
      env.cleanup();
    }
  });
});

describe("a partial day is never a baseline day", () => {
  it("the same weekday a week later is judged on the complete weeks only, and the gate follows", async () => {
    const env = makeEnv();
    seedHistory(env.db, DAY, 402);
    // DAY partial at a conversion far below the rest: as a baseline day it would drag the expectation down.
    publishDay(env.db, DAY, 2_100, 21, WHY);
    const next = addDays(DAY, 7);
    for (let d = 1; d <= 7; d++) publishDay(env.db, addDays(DAY, d), 10_000, d === 7 ? 300 : 402, null); // −25 %: a decline well beyond the one-day power
    const cfg = resolveDataset(CONFIG, "default");
    const later = new Date(`${addDays(next, 1)}T06:00:00Z`);
    const v = judgeDay(env.db, cfg, { ds: next, now: later, persist: false }).verdicts.find((x) => x.metric === "signup_conversion_rate")!;
    expect(v.baseline_days).not.toContain(DAY);
    // …and the verdict says which day it passed over, and why.
    expect(v.excluded_days).toContainEqual({ ds: DAY, reason: "partial" });
    // The look-back reaches one week further to keep four complete weeks.
    expect(v.baseline_days).toEqual([addDays(DAY, -7), addDays(DAY, -14), addDays(DAY, -21), addDays(DAY, -28)]);
    // Expected: the pooled rate of those complete weeks (400 + 410 + 395 + 405) / 40,000, untouched by the partial day's 1 %.
    expect(v.expected).toBeCloseTo(1610 / 40_000, 6);
    expect(v.verdict).toBe("fail");
    addRepo(env.db);
    const srv = await serve(env, later);
    try {
      expect(await gate(srv.url)).toMatchObject({ state: "blocked", ds: next, failing: ["signup_conversion_rate"] });
    } finally {
      await srv.close();
      env.cleanup();
    }
  });
});
