import { afterEach, beforeAll, afterAll, beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import { syncIncident, freshnessEvent, INCIDENT_LABEL, type AlertDeps } from "../../src/alerts/index.js";
import { verifySignedLink } from "../../src/shared/links.js";
import { recordDeployment } from "../../src/store/deployments.js";
import { resolveDataset, parseConfig } from "../../src/config/load.js";
import type { CheckResult } from "../../src/shared/types.js";
import { failingEvaluation, insertPartition, makeDeps, noDataEvaluation, passingEvaluation, tempDb, testOctokit } from "./helpers.js";

const API = "https://api.github.com";
const REPO = "acme/shop";
const MARKER = "<!-- guardrail-incident: dataset=default kind=breach -->";
const listQuery = { state: "open", labels: INCIDENT_LABEL, per_page: "100" };

type Row = { state: string; issue_number: number | null; opened_ds: string; last_ds: string };
const incidentRow = (deps: AlertDeps, kind: string, repo = REPO) =>
  deps.db.prepare(`SELECT state, issue_number, opened_ds, last_ds FROM incidents WHERE repo = ? AND dataset = 'default' AND kind = ?`).get(repo, kind) as Row | undefined;

let store: ReturnType<typeof tempDb>;
let deps: AlertDeps;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  store = tempDb();
  deps = makeDeps(store.db);
});
afterEach(() => {
  nock.cleanAll();
  store.cleanup();
});

describe("breach incident issue lifecycle", () => {
  it("opens one issue, comments once per new day, ignores re-runs and missing data, closes on recovery", async () => {
    const octokit = testOctokit();
    const suspectSha = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
    recordDeployment(store.db, { repo: REPO, deploymentId: 11, sha: suspectSha, ref: "main", environment: "production", deployedAt: "2026-11-04T16:02:00.000Z", source: "webhook" });

    // Day 1: the breach opens an issue.
    let created: { title: string; body: string; labels: string[] } | undefined;
    const open = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, [])
      .post(`/repos/${REPO}/labels`, (b) => b.name === INCIDENT_LABEL)
      .reply(201, { name: INCIDENT_LABEL })
      .post(`/repos/${REPO}/issues`, (b) => ((created = b), true))
      .reply(201, { number: 7 });
    const d1 = await syncIncident(octokit, deps, REPO, { alerts: { issue: true } }, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    expect(open.isDone()).toBe(true);
    expect(d1.map((d) => d.type)).toEqual(["open"]);
    expect(created!.title).toBe("Guardrail breach: signup_conversion_rate \u221235 % on 2026-11-05");
    expect(created!.labels).toEqual([INCIDENT_LABEL]);
    const body = created!.body;
    expect(body).toContain(MARKER);
    expect(body).toMatch(/\| \*\*signup_conversion_rate\*\* \| 2\.54 % \| 3\.90 % \| \u221235 % \| \u22127\.2 \| \*\*fail\*\* \|/);
    expect(body).toContain("device iPhone");
    expect(body).toContain(`commit ${suspectSha}`);
    expect(body).toContain("/guardrail override <reason>");
    expect(body).toContain("/guardrail recheck");
    const link = /\((https:\/\/guardrail\.example\.test\/guardrail\?[^)]+)\)/.exec(body)?.[1];
    expect(link).toBeDefined();
    expect(new URL(link!).searchParams.get("ds")).toBe("2026-11-05");
    expect(verifySignedLink(link!, deps.linkSecret)).toBe(true);
    expect(incidentRow(deps, "breach")).toMatchObject({ state: "open", issue_number: 7, opened_ds: "2026-11-05" });

    // Re-evaluating the same day: no GitHub call at all (net connect is disabled, so any call would throw).
    expect(await syncIncident(octokit, deps, REPO, {}, { kind: "breach", evaluation: failingEvaluation("2026-11-05") })).toEqual([]);

    // Day 2 still failing: exactly one comment on the same issue.
    let comment = "";
    const day2 = nock(API)
      .post(`/repos/${REPO}/issues/7/comments`, (b) => ((comment = b.body), true))
      .reply(201, { id: 1 });
    await syncIncident(octokit, deps, REPO, {}, { kind: "breach", evaluation: failingEvaluation("2026-11-06", -0.33) });
    expect(day2.isDone()).toBe(true);
    expect(comment).toContain("Still failing on 2026-11-06");
    expect(comment).toContain("\u221233 %");
    await syncIncident(octokit, deps, REPO, {}, { kind: "breach", evaluation: failingEvaluation("2026-11-06", -0.33) });
    // An older day re-evaluated later does not comment either.
    await syncIncident(octokit, deps, REPO, {}, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });

    // Missing data is not a recovery.
    expect(await syncIncident(octokit, deps, REPO, {}, { kind: "recovery", evaluation: noDataEvaluation("2026-11-07") })).toEqual([]);
    // Nor is an older healthy day re-evaluated.
    expect(await syncIncident(octokit, deps, REPO, {}, { kind: "recovery", evaluation: passingEvaluation("2026-11-04") })).toEqual([]);

    // Recovery: a comment and the issue closed.
    let closing = "";
    const recover = nock(API)
      .post(`/repos/${REPO}/issues/7/comments`, (b) => ((closing = b.body), true))
      .reply(201, { id: 2 })
      .patch(`/repos/${REPO}/issues/7`, { state: "closed", state_reason: "completed" })
      .reply(200, { number: 7, state: "closed" });
    await syncIncident(octokit, deps, REPO, {}, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") });
    expect(recover.isDone()).toBe(true);
    expect(closing).toContain("Recovered on 2026-11-07");
    expect(closing).toContain("2026-11-05 to 2026-11-06");
    expect(incidentRow(deps, "breach")?.state).toBe("closed");
    expect(await syncIncident(octokit, deps, REPO, {}, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") })).toEqual([]);
  });

  it("after a restart with no local state, finds the open issue by label and marker instead of opening a second one", async () => {
    const octokit = testOctokit();
    const issues = [
      { number: 3, title: "Another alert", body: "<!-- guardrail-incident: dataset=other kind=breach -->", labels: [{ name: INCIDENT_LABEL }] },
      { number: 4, title: "A PR", body: MARKER, pull_request: { url: "x" } },
      { number: 7, title: "Guardrail breach", body: `${MARKER}\n<!-- guardrail-day: kind=breach ds=2026-11-05 -->` },
    ];
    let comment = "";
    const scope = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, issues)
      .get(`/repos/${REPO}/issues/7/comments`)
      .query({ per_page: "100" })
      .reply(200, [{ id: 1, body: "a human comment" }])
      .post(`/repos/${REPO}/issues/7/comments`, (b) => ((comment = b.body), true))
      .reply(201, { id: 2 });
    await syncIncident(octokit, deps, "acme/shop", {}, { kind: "breach", evaluation: failingEvaluation("2026-11-06") });
    expect(scope.isDone()).toBe(true);
    expect(comment).toContain("Still failing on 2026-11-06");
    expect(incidentRow(deps, "breach")).toMatchObject({ state: "open", issue_number: 7 });

    // A second restart that already reported this day: it only reads.
    const fresh = tempDb();
    try {
      const again = nock(API)
        .get(`/repos/${REPO}/issues`)
        .query(listQuery)
        .reply(200, issues)
        .get(`/repos/${REPO}/issues/7/comments`)
        .query({ per_page: "100" })
        .reply(200, [{ id: 2, body: comment }]);
      await syncIncident(octokit, makeDeps(fresh.db), REPO, {}, { kind: "breach", evaluation: failingEvaluation("2026-11-06") });
      expect(again.isDone()).toBe(true);
    } finally {
      fresh.cleanup();
    }
  });

  it("two concurrent callers for the same repo open a single issue", async () => {
    const octokit = testOctokit();
    const scope = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, [])
      .post(`/repos/${REPO}/labels`)
      .reply(422, { message: "Validation Failed", errors: [{ code: "already_exists" }] })
      .post(`/repos/${REPO}/issues`)
      .reply(201, { number: 9 });
    const ev = { kind: "breach" as const, evaluation: failingEvaluation("2026-11-05") };
    const [a, b] = await Promise.all([syncIncident(octokit, deps, REPO, {}, ev), syncIncident(octokit, deps, REPO, {}, ev)]);
    expect(scope.isDone()).toBe(true);
    expect([...a, ...b].map((d) => d.type)).toEqual(["open"]);
  });

  it("respects alerts.issue: false and metrics the repo does not enforce", async () => {
    const octokit = testOctokit();
    const ev = { kind: "breach" as const, evaluation: failingEvaluation("2026-11-05") };
    expect(await syncIncident(octokit, deps, REPO, { alerts: { issue: false } }, ev)).toEqual([]);
    expect(await syncIncident(octokit, deps, REPO, { metrics: { signup_conversion_rate: { enforce: false } } }, ev)).toEqual([]);
    expect(incidentRow(deps, "breach")).toBeUndefined();
  });

  it("opens an issue for a guardrail the server only reports when the repo enforces it, naming it in the title", async () => {
    const octokit = testOctokit();
    const titles: string[] = [];
    const scope = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, [])
      .post(`/repos/${REPO}/labels`)
      .reply(201, {})
      .post(`/repos/${REPO}/issues`, (b) => (titles.push(b.title), true))
      .reply(201, { number: 11 });
    const evaluation = failingEvaluation("2026-11-05");
    evaluation.verdicts[0].enforced = false; // report-only on the server
    const ev = { kind: "breach" as const, evaluation };
    expect(await syncIncident(octokit, deps, REPO, {}, ev)).toEqual([]);
    const opened = await syncIncident(octokit, deps, REPO, { metrics: { signup_conversion_rate: { enforce: true } } }, ev);
    expect(scope.isDone()).toBe(true);
    expect(opened.map((d) => d.type)).toEqual(["open"]);
    expect(titles[0]).toContain("signup_conversion_rate");
  });
});

describe("data problem issues", () => {
  const checks: CheckResult[] = [
    { name: "not_null", table: "fct_website_events", severity: "error", status: "fail", observed: 12, threshold: 0, message: "12 rows have no dim_country (first at line 5)." },
    { name: "duplicates", table: "fct_website_events", severity: "error", status: "fail", observed: 3, threshold: 0, message: "3 duplicate event keys." },
    { name: "hostname_format", table: "fct_website_events", severity: "error", status: "pass", observed: 0, threshold: 0, message: "ok" },
  ];

  it("an audit failure opens an issue naming the failed checks, comments on another failed day, closes when a later day is published", async () => {
    const octokit = testOctokit();
    let created: { title: string; body: string } | undefined;
    const open = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, [])
      .post(`/repos/${REPO}/labels`)
      .reply(201, {})
      .post(`/repos/${REPO}/issues`, (b) => ((created = b), true))
      .reply(201, { number: 21 });
    await syncIncident(octokit, deps, REPO, {}, { kind: "audit_failed", dataset: "default", ds: "2026-11-05", checks });
    expect(open.isDone()).toBe(true);
    expect(created!.title).toBe("Guardrail data problem: export for 2026-11-05 failed its audit (not_null, duplicates)");
    expect(created!.body).toContain("<!-- guardrail-incident: dataset=default kind=audit_failed -->");
    expect(created!.body).toContain("12 rows have no dim_country");
    expect(created!.body).not.toContain("hostname_format");
    expect(created!.body).toContain("not published");

    await syncIncident(octokit, deps, REPO, {}, { kind: "audit_failed", dataset: "default", ds: "2026-11-05", checks });
    let comment = "";
    const day2 = nock(API).post(`/repos/${REPO}/issues/21/comments`, (b) => ((comment = b.body), true)).reply(201, {});
    await syncIncident(octokit, deps, REPO, {}, { kind: "audit_failed", dataset: "default", ds: "2026-11-06", checks: checks.slice(1) });
    expect(day2.isDone()).toBe(true);
    expect(comment).toContain("The export for 2026-11-06 failed its audit too** (duplicates)");

    // Publishing an older day does not fix the newest failed export.
    expect(await syncIncident(octokit, deps, REPO, {}, { kind: "data_ok", dataset: "default", ds: "2026-11-05" })).toEqual([]);
    let closing = "";
    const close = nock(API)
      .post(`/repos/${REPO}/issues/21/comments`, (b) => ((closing = b.body), true))
      .reply(201, {})
      .patch(`/repos/${REPO}/issues/21`, { state: "closed", state_reason: "completed" })
      .reply(200, {});
    await syncIncident(octokit, deps, REPO, {}, { kind: "data_ok", dataset: "default", ds: "2026-11-06" });
    expect(close.isDone()).toBe(true);
    expect(closing).toContain("2026-11-06 was published");
    expect(incidentRow(deps, "audit_failed")?.state).toBe("closed");
  });

  it("stale data opens an issue with the age, comments once a day, closes when newer data is published", async () => {
    const octokit = testOctokit();
    const cfg = resolveDataset(parseConfig({}), "default");
    insertPartition(store.db, "default", "2026-11-02");
    insertPartition(store.db, "default", "2026-11-03");
    insertPartition(store.db, "default", "2026-11-04", "rejected");
    const now = new Date("2026-11-06T04:00:00Z");
    const expectedAge = Math.round((now.getTime() - Date.parse("2026-11-04T00:00:00Z")) / 3_600_000);

    let created: { title: string; body: string } | undefined;
    const open = nock(API)
      .get(`/repos/${REPO}/issues`)
      .query(listQuery)
      .reply(200, [])
      .post(`/repos/${REPO}/labels`)
      .reply(201, {})
      .post(`/repos/${REPO}/issues`, (b) => ((created = b), true))
      .reply(201, { number: 30 });
    await syncIncident(octokit, deps, REPO, {}, freshnessEvent(store.db, cfg, now));
    expect(open.isDone()).toBe(true);
    expect(created!.title).toBe(`Guardrail data problem: dataset default is stale (latest 2026-11-03, ${expectedAge} h old)`);
    expect(created!.body).toContain("freshness window 48 h");

    // The timer fires again the same day: nothing.
    expect(await syncIncident(octokit, deps, REPO, {}, freshnessEvent(store.db, cfg, new Date("2026-11-06T10:00:00Z")))).toEqual([]);
    let comment = "";
    const nextDay = nock(API).post(`/repos/${REPO}/issues/30/comments`, (b) => ((comment = b.body), true)).reply(201, {});
    await syncIncident(octokit, deps, REPO, {}, freshnessEvent(store.db, cfg, new Date("2026-11-07T04:00:00Z")));
    expect(nextDay.isDone()).toBe(true);
    expect(comment).toContain(`Still stale on 2026-11-07`);
    expect(comment).toContain(`${expectedAge + 24} h old`);

    // Fresh data: the next check closes the issue.
    insertPartition(store.db, "default", "2026-11-06");
    const close = nock(API)
      .post(`/repos/${REPO}/issues/30/comments`, (b) => b.body.includes("2026-11-06 was published"))
      .reply(201, {})
      .patch(`/repos/${REPO}/issues/30`)
      .reply(200, {});
    await syncIncident(octokit, deps, REPO, {}, freshnessEvent(store.db, cfg, new Date("2026-11-07T05:00:00Z")));
    expect(close.isDone()).toBe(true);
    expect(incidentRow(deps, "stale")?.state).toBe("closed");
  });
});
