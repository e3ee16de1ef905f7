/**
 * A route that fails inside answers one sentence, never a stack trace, an SQL
 * message or a server path; the details go to the service log.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { guardrailHandler } from "../../src/http/routes.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, listen, makeDeps, send, tempDir } from "../support/service.js";

const JOB = "00000000-0000-4000-8000-000000000000";

describe("internal errors in HTTP answers", () => {
  let dir: string;
  let deps: AppDeps;
  let srv: Awaited<ReturnType<typeof listen>>;
  const logs: string[] = [];

  beforeEach(async () => {
    dir = tempDir("errors");
    deps = makeDeps(dir);
    logs.length = 0;
    // The service log is Probot's; a stand-in app object carries it here.
    const app = { log: { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) }, auth: async () => ({}) } as any;
    srv = await listen(guardrailHandler(app, deps));
  });

  afterEach(async () => {
    await srv.close();
    deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const leaks = (body: string) => /no such table|SqliteError|\bat \w+ \(|node_modules|\/tmp\//.test(body) || body.includes(dir);

  it("a route that throws answers a generic 500 JSON and logs the cause", async () => {
    deps.db.exec("DROP TABLE jobs");
    const r = await send(srv.base, "GET", `/api/guardrail/jobs/${JOB}`, { headers: bearer(INGEST) });
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ error: "Internal error: the request could not be completed; the service log has the details." });
    expect(leaks(r.body)).toBe(false);
    expect(logs.join("\n")).toMatch(/GET \/api\/guardrail\/jobs\/.* failed: .*no such table: jobs/);
  });

  it("a dashboard that cannot be drawn answers a plain 500 page without the SQL error", async () => {
    deps.db.exec("PRAGMA foreign_keys = OFF; DROP TABLE partitions");
    const r = await send(srv.base, "GET", "/guardrail", { headers: bearer(READ) });
    expect(r.status).toBe(500);
    expect(r.headers["content-type"]).toMatch(/text\/html/);
    expect(r.body).toContain("the service log has the details");
    expect(leaks(r.body)).toBe(false);
    expect(logs.join("\n")).toMatch(/dashboard .* failed: .*partitions/);
  });

  it("an upload whose body cannot be stored answers 507 without the server's path", async () => {
    rmSync(`${dir}/uploads`, { recursive: true, force: true }); // the upload folder vanished (disk swapped, cleanup gone wrong)
    const r = await send(srv.base, "POST", "/api/guardrail/exports?ds=2026-03-10", { headers: bearer(INGEST), body: '{"a":1}\n' });
    expect(r.status).toBe(507);
    expect(r.json().error).toMatch(/^The upload could not be stored on the server \(ENOENT\); nothing was queued/);
    expect(leaks(r.body)).toBe(false);
    expect(logs.join("\n")).toContain("storing the body failed");
  });
});
