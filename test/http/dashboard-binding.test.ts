/**
 * A signed dashboard link is bound to its dataset: it cannot open another
 * one, and the page it opens signs links to that dataset only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardrailHandler } from "../../src/http/routes.js";
import { boundLinkFor } from "../../src/http/dashboard-route.js";
import { parseConfig } from "../../src/config/load.js";
import { signLink } from "../../src/shared/links.js";
import type { AppDeps } from "../../src/app/deps.js";
import { listen, makeDeps, send, tempDir } from "../support/service.js";

let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  deps = makeDeps(tempDir("binding"), { config: parseConfig({ datasets: { shop: {}, blog: {} } }) });
  const now = new Date().toISOString();
  for (const dataset of ["shop", "blog"])
    for (const ds of ["2026-03-09", "2026-03-10"])
      deps.db.prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES (?, ?, 'raw', 'published', ?, ?)`).run(dataset, ds, now, now);
  srv = await listen(guardrailHandler(null, deps));
});

afterAll(async () => {
  await srv.close();
  deps.db.close();
});

const path = (link: string) => {
  const u = new URL(link, "http://x");
  return u.pathname + u.search;
};
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));

describe("signed links and datasets", () => {
  it("a link for one dataset does not open another, nor the default one", async () => {
    const shop = signLink(deps, "/guardrail?dataset=shop&ds=2026-03-10", 600);
    expect((await send(srv.base, "GET", path(shop))).status).toBe(200);
    expect((await send(srv.base, "GET", path(shop).replace("dataset=shop", "dataset=blog"))).status).toBe(401);
    // A signature over no dataset would open whatever is the default: refused.
    const none = signLink(deps, "/guardrail?ds=2026-03-10", 600);
    const r = await send(srv.base, "GET", path(none));
    expect(r.status).toBe(401);
    expect(r.body).toContain("names no dataset");
  });

  it("the page opened through it signs links to its own dataset only", async () => {
    const shop = signLink(deps, "/guardrail?dataset=shop&ds=2026-03-10", 600);
    const page = await send(srv.base, "GET", path(shop));
    expect(page.status).toBe(200);
    const links = hrefs(page.body).filter((h) => h.startsWith("/guardrail"));
    const signed = links.filter((h) => /[?&]sig=/.test(h));
    expect(signed.length).toBeGreaterThan(0); // stepping between days still works
    for (const h of signed) expect(new URL(h, "http://x").searchParams.get("dataset")).toBe("shop");
    for (const h of links.filter((h) => h.includes("dataset=blog"))) {
      expect(h).not.toMatch(/[?&]sig=/);
      expect((await send(srv.base, "GET", h)).status).toBe(401);
    }
  });

  it("boundLinkFor signs the bound dataset and nothing else", () => {
    const link = boundLinkFor("k", "shop", 600, Date.now());
    expect(link("/guardrail?dataset=shop&ds=2026-03-09")).toMatch(/&sig=[0-9a-f]{64}$/);
    expect(link("/guardrail?dataset=blog&ds=2026-03-09")).toBe("/guardrail?dataset=blog&ds=2026-03-09");
    expect(link("/guardrail?ds=2026-03-09")).toBe("/guardrail?ds=2026-03-09");
  });
});
