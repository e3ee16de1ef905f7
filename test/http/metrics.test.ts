/**
 * `GET /metrics`: Prometheus text behind the read token, counting what the
 * service does: ingest jobs, events, verdicts, gate answers, GitHub calls by
 * outcome (a DNS failure is "dns", a hung call is "timeout"), webhook
 * handling time and chat deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import nock from "nock";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Probot, ProbotOctokit } from "probot";
import { Octokit } from "@octokit/rest";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { serviceFor } from "../../src/jobs/service.js";
import { signLink } from "../../src/shared/links.js";
import { instrumentOctokit } from "../../src/github/octokit.js";
import { instrumentApp } from "../../src/app/instrument.js";
import { Notifier } from "../../src/alerts/notifier.js";
import { registry } from "../../src/shared/telemetry.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, send, startTestService, until, type TestService } from "../support/service.js";
import { startChatHook } from "../support/chat-hook.js";

/** The value of one sample in the exposition text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}
const now = () => registry.metrics();

let dir: string;
let deps: AppDeps;
let srv: TestService["srv"];
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService("metrics");
  ({ dir, deps, srv } = svc);
});
afterAll(async () => {
  await svc?.close();
  nock.cleanAll();
});

describe("GET /metrics", () => {
  it("needs the read token; a signed dashboard link does not open it", async () => {
    expect((await send(srv.base, "GET", "/metrics")).status).toBe(401);
    expect((await send(srv.base, "GET", "/metrics", { headers: bearer(INGEST) })).status).toBe(401);
    const signed = new URL(signLink(deps, "/metrics?dataset=default", 600));
    expect((await send(srv.base, "GET", signed.pathname + signed.search)).status).toBe(401);
    const ok = await send(srv.base, "GET", "/metrics", { headers: bearer(READ) });
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.body).toContain("# TYPE guardrail_ingest_jobs_total counter");
  });

  it("counts a published job, its events and verdicts, the day's age and a gate answer", async () => {
    const before = await now();
    const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 900, end: "2026-03-10", seed: 5 });
    const up = await send(srv.base, "POST", "/api/guardrail/exports?ds=2026-03-10", { headers: bearer(INGEST), body: readFileSync(fx!.path) });
    const id = up.json().id;
    await until(async () => (await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) })).json().state === "published", "the job to publish");
    await serviceFor(null, deps).queue.idle();
    const rows = (deps.db.prepare(`SELECT rows_loaded FROM partitions WHERE status = 'published'`).get() as { rows_loaded: number }).rows_loaded;
    await send(srv.base, "GET", "/api/guardrail/gate?repo=acme/web&sha=0123456789abcdef0123456789abcdef01234567", { headers: bearer(READ) });

    const text = (await send(srv.base, "GET", "/metrics", { headers: bearer(READ) })).body;
    expect(sample(text, "guardrail_ingest_jobs_total", { state: "published" }) - sample(before, "guardrail_ingest_jobs_total", { state: "published" })).toBe(1);
    expect(sample(text, "guardrail_ingest_job_duration_seconds_count", { state: "published" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "guardrail_events_ingested_total", { dataset: "default" }) - sample(before, "guardrail_events_ingested_total", { dataset: "default" })).toBe(rows);
    expect(sample(text, "guardrail_verdicts_total", { dataset: "default", metric: "signup_conversion_rate" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "guardrail_last_published_day_age_hours", { dataset: "default" })).toBeGreaterThan(24 * 200);
    expect(sample(text, "guardrail_gate_answers_total", { state: "unknown" }) - sample(before, "guardrail_gate_answers_total", { state: "unknown" })).toBe(1);
  });
});

describe("GitHub call metrics and timeouts", () => {
  it("counts calls by outcome and gives up on a hung call after the timeout", async () => {
    const before = await now();
    const octokit = instrumentOctokit(new Octokit({ request: { retries: 0 } }), 300);
    nock("https://api.github.com").get("/repos/acme/web").reply(200, { id: 1 });
    nock("https://api.github.com").get("/repos/acme/gone").reply(404, { message: "Not Found" });
    nock("https://api.github.com").get("/repos/acme/dns").replyWithError({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND api.github.com" });
    nock("https://api.github.com").get("/repos/acme/slow").delay(5000).reply(200, {});
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "web" });
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "gone" })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "dns" })).rejects.toThrow();
    const t0 = Date.now();
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "slow" })).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(4000);
    const after = await now();
    for (const outcome of ["ok", "http_4xx", "dns", "timeout"])
      expect(sample(after, "guardrail_github_requests_total", { outcome }) - sample(before, "guardrail_github_requests_total", { outcome }), outcome).toBe(1);
    expect(sample(after, "guardrail_github_request_duration_seconds_count", { outcome: "timeout" })).toBeGreaterThanOrEqual(1);
  });

  it("times webhook handlers and counts chat deliveries", async () => {
    const before = await now();
    const probot = new Probot({ githubToken: "t", logLevel: "fatal", Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }) as typeof ProbotOctokit });
    let handled = 0;
    await probot.load((app) => {
      instrumentApp(app);
      app.on("issues.opened", async () => void handled++);
    });
    await probot.receive({ id: "1", name: "issues", payload: { action: "opened", issue: { number: 1 }, repository: { name: "web", owner: { login: "acme" } } } as any });
    expect(handled).toBe(1);
    const hook = await startChatHook();
    try {
      await new Notifier({ attempts: 1 }).send(hook.url, { text: "hello" });
    } finally {
      await hook.close();
    }
    const after = await now();
    expect(sample(after, "guardrail_webhook_handling_seconds_count", { event: "issues.opened" }) - sample(before, "guardrail_webhook_handling_seconds_count", { event: "issues.opened" })).toBe(1);
    expect(sample(after, "guardrail_chat_deliveries_total", { outcome: "delivered" }) - sample(before, "guardrail_chat_deliveries_total", { outcome: "delivered" })).toBe(1);
  });
});
