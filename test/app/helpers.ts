import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { openDb, type DB } from "../../src/store/db.js";
import { parseConfig } from "../../src/config/load.js";
import type { AppDeps } from "../../src/app/deps.js";
import { createApp } from "../../src/index.js";
import type { Evaluation, Verdict } from "../../src/shared/types.js";
import type { Log } from "../../src/shared/log.js";

export const API = "https://api.github.com";
export const REPO = "acme/shop";
export const INSTALLATION = 4242;
export const PUBLIC_URL = "https://guardrail.example.com";

export interface Harness {
  db: DB;
  deps: AppDeps;
  probot: Probot;
  logs: { level: string; obj: Record<string, unknown>; msg: string }[];
  /** What the injected evaluator returns next (tests set it). */
  evaluation: { current: Evaluation | Error };
  cleanup(): void;
}

export function captureLog(logs: Harness["logs"]): Log {
  const push = (level: string) => (msg: string, context?: Record<string, unknown>) => logs.push({ level, obj: context ?? {}, msg });
  return { info: push("info"), warn: push("warn"), error: push("error") };
}

export function makeDeps(): { db: DB; deps: AppDeps; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-app-"));
  const db = openDb(join(dir, "guardrail.db"));
  const deps: AppDeps = { db, config: parseConfig({}), publicUrl: PUBLIC_URL, linkSecret: "test-link-secret" };
  return { db, deps, dir };
}

/**
 * Retry and throttling off. A function (not an object) because Probot layers its own
 * throttle options on top of object defaults, and the write limiter would space requests 1 s apart.
 */
export function testOctokit(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: any) => ({
    ...options,
    retry: { enabled: false },
    throttle: { ...(options.throttle ?? {}), enabled: false },
  })) as typeof ProbotOctokit;
}

/** `initial` null: the app uses the real `evaluateDay` on the seeded store. */
export async function harness(initial: Evaluation | null, rawConfig: unknown = {}): Promise<Harness> {
  const { db, deps, dir } = makeDeps();
  deps.config = parseConfig(rawConfig);
  const logs: Harness["logs"] = [];
  const evaluation: Harness["evaluation"] = { current: initial ?? new Error("no fake evaluation") };
  const probot = new Probot({
    githubToken: "test-token",
    logLevel: "fatal",
    Octokit: testOctokit(),
  });
  await probot.load(
    createApp(deps, {
      background: false,
      log: captureLog(logs),
      evaluate:
        initial === null
          ? undefined
          : () => {
              if (evaluation.current instanceof Error) throw evaluation.current;
              return evaluation.current;
            },
    }),
    // No HTTP server in tests: the routes have their own suite.
    { cwd: process.cwd(), addHandler: () => {} },
  );
  return {
    db,
    deps,
    probot,
    logs,
    evaluation,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function verdict(p: Partial<Verdict> & { metric: string }): Verdict {
  return {
    guardrail: false,
    enforced: true,
    verdict: "pass",
    observed: 100,
    expected: 100,
    lower: 90,
    upper: 110,
    change: 0,
    z: 0,
    baseline_days: ["2026-10-08", "2026-10-15", "2026-10-22", "2026-10-29"],
    message: `${p.metric} is as expected.`,
    segments: [],
    ...p,
  };
}

export function passingEvaluation(ds = "2026-11-05"): Evaluation {
  return {
    ds,
    dataset: "default",
    status: "pass",
    verdicts: [
      verdict({ metric: "signup_conversion_rate", guardrail: true, observed: 0.0391, expected: 0.0389, change: 0.0051, z: 0.2 }),
      verdict({ metric: "purchase_conversion_rate", guardrail: true, observed: 0.12, expected: 0.121, change: -0.0083, z: -0.3 }),
      verdict({ metric: "daily_visitors", observed: 5120, expected: 5000, change: 0.024, z: 0.5 }),
    ],
    versions: [],
  };
}

export function failingEvaluation(ds = "2026-11-05", versions: Evaluation["versions"] = []): Evaluation {
  return {
    ds,
    dataset: "default",
    status: "fail",
    verdicts: [
      verdict({
        metric: "signup_conversion_rate",
        guardrail: true,
        verdict: "fail",
        observed: 0.0241,
        expected: 0.0389,
        change: -0.38,
        z: -7.2,
        message: "signup_conversion_rate fell 38 % to 2.41 % (expected 3.89 %, z = −7.2) vs 4 Thursdays; 91 % of the drop is on device iPhone.",
        segments: [{ dimension: "dim_device_brand", value: "iPhone", observed: 0.01, expected: 0.039, change: -0.74, contribution: 0.91 }],
      }),
      verdict({ metric: "purchase_conversion_rate", guardrail: true, observed: 0.12, expected: 0.121, change: -0.0083, z: -0.3 }),
      verdict({ metric: "daily_visitors", observed: 5120, expected: 5000, change: 0.024, z: 0.5 }),
    ],
    versions,
  };
}

export function noDataEvaluation(ds = "2026-11-05"): Evaluation {
  return {
    ds,
    dataset: "default",
    status: "no_data",
    summary: "No published export for 2026-11-05.",
    verdicts: [verdict({ metric: "signup_conversion_rate", guardrail: true, verdict: "no_data", observed: null, expected: null, change: null, z: null })],
    versions: [],
  };
}

// ---- webhook payloads, shaped from @octokit/webhooks-examples ----

const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples") as { name: string; examples: Record<string, any>[] }[];

function example(name: string, action: string): Record<string, any> {
  const found = EXAMPLES.find((e) => e.name === name)?.examples.find((x) => x.action === action);
  if (!found) throw new Error(`no example ${name}.${action}`);
  return structuredClone(found);
}

function onRepo(p: Record<string, any>): Record<string, any> {
  p.repository = { ...p.repository, full_name: REPO, name: "shop", owner: { ...p.repository.owner, login: "acme" } };
  p.installation = { id: INSTALLATION, node_id: "x" };
  delete p.organization;
  return p;
}

export function prPayload(action: string, number: number, sha: string, extra: { title?: string; body?: string | null; fork?: boolean } = {}) {
  const p = onRepo(example("pull_request", action));
  p.number = number;
  p.pull_request = {
    ...p.pull_request,
    number,
    title: extra.title ?? "Add a checkout button",
    body: extra.body ?? null,
    head: {
      ...p.pull_request.head,
      sha,
      // A fork's branch lives in another repo; the SHA in the payload is what we must check.
      repo: extra.fork ? { ...p.pull_request.head.repo, full_name: "mallory/shop" } : p.pull_request.head.repo,
    },
  };
  return p;
}

export function commentPayload(number: number, body: string, user: { login: string; type?: "User" | "Bot" } = { login: "maria" }, commentId = 777) {
  const p = onRepo(example("issue_comment", "created"));
  p.issue = { ...p.issue, number, pull_request: { url: `${API}/repos/${REPO}/pulls/${number}` } };
  p.comment = { ...p.comment, id: commentId, body, user: { ...p.comment.user, login: user.login, type: user.type ?? "User" } };
  p.sender = { ...p.sender, login: user.login, type: user.type ?? "User" };
  return p;
}

export function checkRunPayload(action: "rerequested" | "requested_action", sha: string, prNumber: number | null, name = "guardrail") {
  const p = onRepo(example("check_run", action));
  p.check_run = { ...p.check_run, name, head_sha: sha, pull_requests: prNumber === null ? [] : [{ ...(p.check_run.pull_requests?.[0] ?? {}), number: prNumber }] };
  if (action === "requested_action") p.requested_action = { identifier: "recheck" };
  return p;
}

export function checkSuitePayload(sha: string, prNumber: number | null) {
  const p = onRepo(example("check_suite", "rerequested"));
  p.check_suite = { ...p.check_suite, head_sha: sha, pull_requests: prNumber === null ? [] : [{ ...(p.check_suite.pull_requests?.[0] ?? {}), number: prNumber }] };
  return p;
}

export function deploymentStatusPayload(id: number, sha: string, environment: string, createdAt: string, state = "success") {
  const p = onRepo(example("deployment_status", "created"));
  p.deployment = { ...p.deployment, id, sha, ref: "main", environment };
  p.deployment_status = { ...p.deployment_status, state, environment, created_at: createdAt };
  return p;
}

let delivery = 0;
export function deliver(probot: Probot, name: string, payload: Record<string, any>, id?: string) {
  return probot.receive({ id: id ?? `delivery-${++delivery}`, name, payload } as any);
}

// ---- nock helpers (api.github.com only) ----

/** `.github/guardrail.yml`: the repo file (yaml text) or none (404 in the repo and in the owner's .github repo). */
export function mockRepoConfig(yaml: string | null): nock.Scope {
  const scope = nock(API);
  if (yaml === null) {
    scope.get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" });
    scope.get(`/repos/acme/.github/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" });
  } else {
    scope.get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`).reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
  }
  return scope;
}

export function pathOf(url: string): string {
  return url;
}

/** Expects a check run created (in_progress) then completed, and records both bodies. */
export function expectNewCheck(id: number, bodies: any[]): nock.Scope {
  return nock(API)
    .post(`/repos/${REPO}/check-runs`, (b) => (bodies.push(b), true))
    .reply(201, { id })
    .patch(`/repos/${REPO}/check-runs/${id}`, (b) => (bodies.push(b), true))
    .reply(200, { id });
}

export { nock };
