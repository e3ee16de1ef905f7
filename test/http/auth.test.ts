import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardrailHandler } from "../../src/http/routes.js";
import { signLink } from "../../src/shared/links.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, listen, makeDeps, send, tempDir } from "../support/service.js";

const JOB = "00000000-0000-4000-8000-000000000000";
const SHA = "a".repeat(40);
let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;
let unset: AppDeps;
let srvUnset: Awaited<ReturnType<typeof listen>>;

const relative = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

beforeAll(async () => {
  deps = makeDeps(tempDir("auth"));
  srv = await listen(guardrailHandler(null, deps));
  // A service whose tokens are not configured: every route stays closed.
  unset = makeDeps(tempDir("auth-unset"), { ingestToken: undefined, readToken: undefined });
  srvUnset = await listen(guardrailHandler(null, unset));
});

afterAll(async () => {
  await srv.close();
  await srvUnset.close();
});

const PROTECTED: [string, string, "ingest" | "read"][] = [
  ["POST", "/api/guardrail/exports?ds=2026-03-10", "ingest"],
  ["GET", `/api/guardrail/jobs/${JOB}`, "ingest"],
  ["POST", `/api/guardrail/jobs/${JOB}/retry`, "ingest"],
  ["GET", `/api/guardrail/gate?repo=acme/web&sha=${SHA}`, "read"],
  ["GET", "/guardrail", "read"],
];

describe.each(PROTECTED)("%s %s", (method, path, grant) => {
  // Only uploads carry a body (a GET with a chunked body is refused by Node itself, which would hide what we test).
  const body = method === "POST" ? "x" : undefined;
  it("without a token → 401", async () => {
    expect((await send(srv.base, method, path, { body })).status).toBe(401);
  });
  it("with a wrong token → 401", async () => {
    expect((await send(srv.base, method, path, { headers: bearer("nope"), body })).status).toBe(401);
    expect((await send(srv.base, method, path, { headers: { authorization: `Bearer ${grant === "read" ? READ : INGEST}x` }, body })).status).toBe(401);
  });
  it("with the other grant's token → 401 (least privilege)", async () => {
    const other = grant === "read" ? INGEST : READ;
    expect((await send(srv.base, method, path, { headers: bearer(other), body })).status).toBe(401);
  });
  it("with an expired signed link → 401", async () => {
    const link = relative(signLink(deps, path, 60, Date.now() - 3_600_000));
    expect((await send(srv.base, method, link, { body })).status).toBe(401);
  });
  it("with a tampered signed link → 401", async () => {
    const link = relative(signLink(deps, path, 3600));
    const u = new URL(link, "http://x");
    u.searchParams.set("dataset", "other");
    expect((await send(srv.base, method, `${u.pathname}${u.search}`, { body })).status).toBe(401);
    const flipped = link.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === "0" ? "1" : "0"}`);
    expect((await send(srv.base, method, flipped, { body })).status).toBe(401);
  });
  it("with tokens unset on the server → 401 whatever is sent", async () => {
    for (const headers of [{}, bearer(""), bearer("undefined"), bearer(READ), bearer(INGEST)])
      expect((await send(srvUnset.base, method, path, { headers, body })).status).toBe(401);
  });
});

describe("what each grant opens", () => {
  it("the dashboard opens with the read token, the cookie, or a valid signed link", async () => {
    expect((await send(srv.base, "GET", "/guardrail", { headers: bearer(READ) })).status).toBe(200);
    expect((await send(srv.base, "GET", "/guardrail", { headers: { cookie: `a=b; guardrail_token=${READ}` } })).status).toBe(200);
    const link = relative(signLink(deps, "/guardrail?dataset=default", 3600));
    const page = await send(srv.base, "GET", link);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("a signed link still opens with a trailing slash on its path, as the route does", async () => {
    const link = new URL(signLink(deps, "/guardrail?dataset=default", 3600));
    expect((await send(srv.base, "GET", `/guardrail/${link.search}`)).status).toBe(200);
  });

  it("a signed link opens only the path it was made for", async () => {
    const link = new URL(signLink(deps, "/guardrail?dataset=default", 3600));
    expect((await send(srv.base, "GET", `/api/guardrail/jobs/${JOB}${link.search}`)).status).toBe(401);
  });

  it("the dashboard rejects path traversal in dataset or ds with 400", async () => {
    for (const q of ["dataset=..%2F..%2Fetc", "ds=..%2Fx", "ds=2026-13-01"])
      expect((await send(srv.base, "GET", `/guardrail?${q}`, { headers: bearer(READ) })).status).toBe(400);
  });

  it("the ingest token reads its job (404 for an unknown one, not 401)", async () => {
    expect((await send(srv.base, "GET", `/api/guardrail/jobs/${JOB}`, { headers: bearer(INGEST) })).status).toBe(404);
  });
});

describe("health", () => {
  it.each([
    ["no token", {}],
    ["a wrong token", bearer("nope")],
    ["the ingest token", bearer(INGEST)],
  ])("with %s answers only {ok}", async (_n, headers) => {
    const r = await send(srv.base, "GET", "/api/guardrail/health", { headers });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ ok: true });
  });

  it("answers HEAD like GET, without a body (load balancers probe with HEAD)", async () => {
    const get = await send(srv.base, "GET", "/api/guardrail/health");
    const head = await send(srv.base, "HEAD", "/api/guardrail/health");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
    // HEAD never reaches a route that changes something.
    expect((await send(srv.base, "HEAD", "/api/guardrail/exports?ds=2026-03-10", { headers: bearer(INGEST) })).status).toBe(404);
  });

  it("with the read token adds the details", async () => {
    const r = await send(srv.base, "GET", "/api/guardrail/health", { headers: bearer(READ) });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json()).sort()).toEqual(["checked_at", "database", "datasets", "last_job", "ok"]);
  });
});
