import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardrailHandler } from "../../src/http/routes.js";
import { signLink, verifySignedLink } from "../../src/shared/links.js";
import type { AppDeps } from "../../src/app/deps.js";
import { READ, bearer, listen, makeDeps, send, tempDir } from "../support/service.js";

let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  deps = makeDeps(tempDir("dashboard-links"));
  const now = new Date().toISOString();
  for (const ds of ["2026-03-09", "2026-03-10"])
    deps.db.prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES ('default', ?, 'raw', 'published', ?, ?)`).run(ds, now, now);
  srv = await listen(guardrailHandler(null, deps));
});

afterAll(async () => {
  await srv.close();
  deps.db.close();
});

const prevHref = (html: string) => /<a href="([^"]*)" rel="prev">/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? null;

describe("links inside the dashboard", () => {
  it("a page opened through a signed link signs its inner links with the same expiry", async () => {
    const link = new URL(signLink(deps, "/guardrail?dataset=default&ds=2026-03-10", 600));
    const r = await send(srv.base, "GET", `${link.pathname}${link.search}`);
    expect(r.status).toBe(200);
    const href = prevHref(r.body)!;
    expect(href).toContain("ds=2026-03-09");
    expect(new URL(href, "http://x").searchParams.get("exp")).toBe(link.searchParams.get("exp"));
    expect(verifySignedLink(href, deps.linkSecret)).toBe(true);
  });

  it("a token holder cannot mint long-lived signed links with a made-up sig and exp", async () => {
    const r = await send(srv.base, "GET", `/guardrail?dataset=default&ds=2026-03-10&exp=999999999999&sig=${"0".repeat(64)}`, { headers: bearer(READ) });
    expect(r.status).toBe(200);
    const href = prevHref(r.body)!;
    expect(href).toContain("ds=2026-03-09");
    expect(href).not.toMatch(/[?&](sig|exp)=/);
  });
});
