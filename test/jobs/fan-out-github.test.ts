/**
 * The real after-publish fan-out against GitHub (nock, api.github.com only):
 * a job publishes a failing day → the job queue evaluates it and, with the
 * installation's own token, fails the PR check, names the suspect commit,
 * sets failing deploy statuses and opens the incident issue; the next,
 * healthy day turns all of it green again and closes the issue.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { Probot } from "probot";
import { openDb, type DB } from "../../src/store/db.js";
import { parseConfig } from "../../src/config/load.js";
import { recordRepo } from "../../src/store/repos.js";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-schema.js";
import { recordDeployment } from "../../src/store/deployments.js";
import { serviceFor } from "../../src/jobs/service.js";
import { insertJob } from "../../src/store/jobs.js";
import type { IngestRunner } from "../../src/jobs/ingest-child.js";
import { verifySignedLink } from "../../src/shared/links.js";
import { addDays, epochMsToDs } from "../../src/shared/dates.js";
import type { AppDeps } from "../../src/app/deps.js";
import { testOctokit } from "../app/helpers.js";

const API = "https://api.github.com";
const REPO = "acme/web";
const INSTALLATION = 4242;
const TOKEN = "ghs_installation_token_for_acme";
const PR_SHA = "1".repeat(40);
const MAIN_SHA = "2".repeat(40);
const SUSPECT_SHA = "3".repeat(40);
// Days relative to the real clock: the PR check judges "now" like production does.
const FAIL_DAY = addDays(epochMsToDs(Date.now()), -2);
const OK_DAY = addDays(FAIL_DAY, 1);
const HITS = 10_000;
const BASELINE_SIGNUPS = [400, 410, 395, 405];
const FAIL_SIGNUPS = 240;

// One guardrail over two counts; a wide freshness window so the test does not depend on the hour it runs.
const CONFIG = parseConfig({
  evaluation: { freshness_hours: 24 * 30 },
  metrics: [
    { kind: "count", name: "website_hits", actions: ["page_visit"], breakdowns: [] },
    { kind: "count", name: "signups", actions: ["signup"], breakdowns: [] },
    { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true, breakdowns: [] },
  ],
});

function publishDay(db: DB, ds: string, signups: number): void {
  const now = new Date().toISOString();
  const { id } = db
    .prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES ('default', ?, 'raw', 'published', ?, ?) RETURNING id`)
    .get(ds, now, now) as { id: number };
  const put = db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, 'default', ?, ?, '', '', ?, ?, ?)`,
  );
  put.run(id, ds, "website_hits", HITS, null, null);
  put.run(id, ds, "signups", signups, null, null);
  put.run(id, ds, "signup_conversion_rate", signups / HITS, signups, HITS);
}

/** Stands in for the child-process ingest: publishes the job's day with the signups the test chose. */
function ingestOf(signupsByDs: Record<string, number>): IngestRunner {
  return async (job, ctx) => {
    const db = openDb(ctx.dbPath);
    try {
      publishDay(db, job.ds, signupsByDs[job.ds]!);
    } finally {
      db.close();
    }
    const result = { ds: job.ds, dataset: job.dataset, published: true, rows_read: 1, rows_loaded: 1, rows_rejected: 0, duplicates: 0, checks: [], rejects_sample: [] };
    return { state: "published", result, error: null };
  };
}

interface Recorded {
  method: string;
  path: string;
  body: any;
}

/** A nock scope that requires the installation token on every call and records the bodies. */
function github() {
  return nock(API, { reqheaders: { authorization: `token ${TOKEN}` } });
}

const record =
  (recorded: Recorded[], method: string, path: string) =>
  (body: any): boolean => {
    recorded.push({ method, path, body });
    return true;
  };

describe("after-publish fan-out against GitHub", () => {
  let dir: string;
  let deps: AppDeps;
  let probot: Probot;

  beforeEach(() => {
    nock.disableNetConnect();
    dir = mkdtempSync(join(tmpdir(), "guardrail-fanout-"));
    deps = {
      db: openDb(join(dir, "guardrail.db")),
      config: CONFIG,
      publicUrl: "https://guardrail.example.com",
      linkSecret: "link-secret-for-tests",
    };
    // Four healthy weeks of every weekday before the failing day.
    for (let back = 28; back >= 1; back--) publishDay(deps.db, addDays(FAIL_DAY, -back), BASELINE_SIGNUPS[Math.ceil(back / 7) - 1]!);
    recordRepo(deps.db, { repo: REPO, installationId: INSTALLATION, config: DEFAULT_REPO_CONFIG });
    // The deploy that shipped the decline: after the last healthy day, during the failing one.
    recordDeployment(deps.db, { repo: REPO, deploymentId: 900, sha: SUSPECT_SHA, ref: "main", environment: "production", deployedAt: `${FAIL_DAY}T09:00:00.000Z`, source: "webhook" });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    probot = new Probot({ appId: 123, privateKey, logLevel: "fatal", Octokit: testOctokit() });
  });

  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a failing day fails the PR check, names the suspect, blocks deploys and opens the incident; the recovery day undoes it all", async () => {
    const service = serviceFor(probot, deps, { runIngest: ingestOf({ [FAIL_DAY]: FAIL_SIGNUPS, [OK_DAY]: 404 }), freshnessIntervalMs: 3_600_000 });

    // ---------- the failing day ----------
    const day1: Recorded[] = [];
    const tokenScope = nock(API).post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, {
      token: TOKEN,
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      permissions: { checks: "write", issues: "write", statuses: "write", pull_requests: "read", contents: "read" },
      repository_selection: "all",
    });
    const gh1 = github()
      // guardrail check on every open PR: repo config (missing → defaults), the open PRs, the PR's commits (revert detection)
      .get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" })
      .get(`/repos/acme/.github/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" })
      .get(`/repos/${REPO}/pulls`).query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 7, title: "Add a checkout button", body: null, head: { sha: PR_SHA } }])
      .get(`/repos/${REPO}/pulls/7/commits`).query(true).reply(200, [{ sha: PR_SHA, commit: { message: "Add a checkout button" } }])
      .post(`/repos/${REPO}/check-runs`, record(day1, "POST", "check-runs")).reply(201, { id: 101 })
      .patch(`/repos/${REPO}/check-runs/101`, record(day1, "PATCH", "check-runs/101")).reply(200, { id: 101 })
      // guardrail/regression on the suspect, with the PR that brought it in
      .get(`/repos/${REPO}/commits/${SUSPECT_SHA}/pulls`).query(true)
      .reply(200, [{ number: 5, title: "New signup form", html_url: `https://github.com/${REPO}/pull/5`, user: { login: "dev" } }])
      .post(`/repos/${REPO}/check-runs`, record(day1, "POST", "check-runs")).reply(201, { id: 102 })
      .patch(`/repos/${REPO}/check-runs/102`, record(day1, "PATCH", "check-runs/102")).reply(200, { id: 102 })
      // guardrail/deploy: the SHAs that matter (PR heads, default branch head, latest production deploys)
      .get(`/repos/${REPO}/pulls`).query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 7, title: "Add a checkout button", body: null, head: { sha: PR_SHA } }])
      .get(`/repos/${REPO}`).reply(200, { full_name: REPO, default_branch: "main" })
      .get(`/repos/${REPO}/branches/main`).reply(200, { name: "main", commit: { sha: MAIN_SHA } })
      .get(`/repos/${REPO}/deployments`).query({ environment: "production", per_page: "5" }).reply(200, [{ id: 900, sha: SUSPECT_SHA }])
      // none of them reverts the suspect (the revert exemption is looked up while blocked)
      .get(`/repos/${REPO}/commits/${PR_SHA}`).reply(200, { sha: PR_SHA, commit: { message: "Add a checkout button" } })
      .post(`/repos/${REPO}/statuses/${PR_SHA}`, record(day1, "POST", `statuses/${PR_SHA}`)).reply(201, {})
      .get(`/repos/${REPO}/commits/${MAIN_SHA}`).reply(200, { sha: MAIN_SHA, commit: { message: "Merge pull request #5" } })
      .post(`/repos/${REPO}/statuses/${MAIN_SHA}`, record(day1, "POST", `statuses/${MAIN_SHA}`)).reply(201, {})
      .get(`/repos/${REPO}/commits/${SUSPECT_SHA}`).reply(200, { sha: SUSPECT_SHA, commit: { message: "New signup form" } })
      .post(`/repos/${REPO}/statuses/${SUSPECT_SHA}`, record(day1, "POST", `statuses/${SUSPECT_SHA}`)).reply(201, {})
      // the incident issue: none open yet (found by label), the label, the issue
      .get(`/repos/${REPO}/issues`).query({ state: "open", labels: "guardrail-alert", per_page: "100" }).reply(200, [])
      .post(`/repos/${REPO}/labels`, record(day1, "POST", "labels")).reply(201, { name: "guardrail-alert" })
      .post(`/repos/${REPO}/issues`, record(day1, "POST", "issues")).reply(201, { number: 42 });

    insertJob(deps.db, { id: "00000000-0000-4000-8000-000000000001", dataset: "default", ds: FAIL_DAY, file_path: join(dir, "unused"), bytes: 1 });
    service.queue.kick();
    await service.queue.idle();
    expect(tokenScope.isDone()).toBe(true);
    expect(gh1.pendingMocks()).toEqual([]);
    expect(gh1.isDone()).toBe(true);

    const pooled = BASELINE_SIGNUPS.reduce((a, b) => a + b, 0) / (HITS * BASELINE_SIGNUPS.length);
    const change = ((FAIL_SIGNUPS / HITS) / pooled - 1) * 100; // −40.4 %, from the seed alone
    const pct = `\u2212${Math.round(Math.abs(change))} %`;
    const prCheck = day1.filter((r) => r.path === "check-runs" || r.path === "check-runs/101");
    expect(prCheck[0]!.body).toMatchObject({ name: "guardrail", head_sha: PR_SHA, status: "in_progress" });
    expect(prCheck[1]!.body).toMatchObject({ status: "completed", conclusion: "failure", output: { title: `Merge freeze: signup_conversion_rate ${pct} on ${FAIL_DAY}` } });
    expect(verifySignedLink(prCheck[1]!.body.details_url, deps.linkSecret)).toBe(true);

    const regression = day1.filter((r) => r.path === "check-runs" || r.path === "check-runs/102").slice(-2);
    expect(regression[0]!.body).toMatchObject({ name: "guardrail/regression", head_sha: SUSPECT_SHA, status: "in_progress" });
    expect(regression[1]!.body).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(regression[1]!.body.output.summary).toContain(FAIL_DAY);
    expect(regression[1]!.body.output.summary).toContain("#5");

    for (const sha of [PR_SHA, MAIN_SHA, SUSPECT_SHA]) {
      const status = day1.find((r) => r.path === `statuses/${sha}`)!.body;
      expect(status).toMatchObject({ context: "guardrail/deploy", state: "failure" });
      expect(status.description).toMatch(/^Deploy blocked: .*signup_conversion_rate/);
      expect(status.description.length).toBeLessThanOrEqual(140);
      expect(verifySignedLink(status.target_url, deps.linkSecret)).toBe(true);
    }

    const issue = day1.find((r) => r.path === "issues")!.body;
    expect(issue.labels).toEqual(["guardrail-alert"]);
    expect(issue.title).toBe(`Guardrail breach: signup_conversion_rate \u2212${Math.abs(change).toFixed(0)} % on ${FAIL_DAY}`);
    expect(issue.body).toContain("<!-- guardrail-incident: dataset=default kind=breach -->");
    expect(issue.body).toContain(SUSPECT_SHA.slice(0, 7));
    expect(issue.body).toContain("/guardrail override");
    expect(day1.find((r) => r.path === "labels")!.body).toMatchObject({ name: "guardrail-alert" });

    // ---------- the recovery day ----------
    const day2: Recorded[] = [];
    const gh2 = github()
      .get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" })
      .get(`/repos/acme/.github/contents/.github%2Fguardrail.yml`).reply(404, { message: "Not Found" })
      .get(`/repos/${REPO}/pulls`).query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 7, title: "Add a checkout button", body: null, head: { sha: PR_SHA } }])
      // the same check run is updated, not a second one created
      .patch(`/repos/${REPO}/check-runs/101`, record(day2, "PATCH", "check-runs/101")).reply(200, { id: 101 })
      .get(`/repos/${REPO}/pulls`).query({ state: "open", per_page: "100" })
      .reply(200, [{ number: 7, title: "Add a checkout button", body: null, head: { sha: PR_SHA } }])
      .get(`/repos/${REPO}`).reply(200, { full_name: REPO, default_branch: "main" })
      .get(`/repos/${REPO}/branches/main`).reply(200, { name: "main", commit: { sha: MAIN_SHA } })
      .get(`/repos/${REPO}/deployments`).query({ environment: "production", per_page: "5" }).reply(200, [{ id: 900, sha: SUSPECT_SHA }])
      .post(`/repos/${REPO}/statuses/${PR_SHA}`, record(day2, "POST", `statuses/${PR_SHA}`)).reply(201, {})
      .post(`/repos/${REPO}/statuses/${MAIN_SHA}`, record(day2, "POST", `statuses/${MAIN_SHA}`)).reply(201, {})
      .post(`/repos/${REPO}/statuses/${SUSPECT_SHA}`, record(day2, "POST", `statuses/${SUSPECT_SHA}`)).reply(201, {})
      .post(`/repos/${REPO}/issues/42/comments`, record(day2, "POST", "issues/42/comments")).reply(201, { id: 1 })
      .patch(`/repos/${REPO}/issues/42`, record(day2, "PATCH", "issues/42")).reply(200, { number: 42, state: "closed" });

    insertJob(deps.db, { id: "00000000-0000-4000-8000-000000000002", dataset: "default", ds: OK_DAY, file_path: join(dir, "unused"), bytes: 1 });
    service.queue.kick();
    await service.queue.idle();
    expect(gh2.pendingMocks()).toEqual([]);
    expect(gh2.isDone()).toBe(true);

    expect(day2.find((r) => r.path === "check-runs/101")!.body).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: `Guardrails pass for ${OK_DAY}` },
    });
    for (const sha of [PR_SHA, MAIN_SHA, SUSPECT_SHA])
      expect(day2.find((r) => r.path === `statuses/${sha}`)!.body).toMatchObject({ context: "guardrail/deploy", state: "success" });
    expect(day2.find((r) => r.path === "issues/42/comments")!.body.body).toMatch(/recover/i);
    expect(day2.find((r) => r.path === "issues/42")!.body).toMatchObject({ state: "closed" });

    const jobs = deps.db.prepare(`SELECT state FROM jobs ORDER BY created_at, rowid`).all();
    expect(jobs).toEqual([{ state: "published" }, { state: "published" }]);
    service.queue.stop();
  });
});
