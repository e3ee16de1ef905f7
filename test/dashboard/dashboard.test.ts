import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser.js";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { evaluateDay } from "../../src/evaluate/index.js";
import { resolveDataset } from "../../src/config/load.js";
import { addDays, dsToEpochMs } from "../../src/shared/dates.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { signLink } from "../../src/shared/links.js";
import { renderDashboard } from "../../src/dashboard/render.js";
import type { AppDeps } from "../../src/app/deps.js";
import type { Evaluation } from "../../src/shared/types.js";
import { listen, makeDeps, tempDir } from "../service/helpers.js";

const END = "2026-03-10"; // a Tuesday
const METRIC = "signup_conversion_rate";
let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let last: Evaluation;

beforeAll(async () => {
  const dir = tempDir("dashboard");
  deps = makeDeps(dir);
  const cfg = resolveDataset(deps.config, "default");
  // Nine weeks of history; on the last day signups per page visit fall by half.
  const files = await generateFixtures({ outDir: join(dir, "fx"), days: 63, eventsPerDay: 5000, end: END, seed: 11, incidents: [{ ds: END, metric: METRIC, change: -0.5 }] });
  for (const f of files) {
    await ingestFiles(deps.db, cfg, [f.path], { ds: f.ds });
    // The service evaluates each day as it is published; do the same, as of that day's end.
    last = evaluateDay(deps.db, cfg, { ds: f.ds, now: new Date(dsToEpochMs(addDays(f.ds, 1)) + 3_600_000) });
  }
  srv = await listen(guardrailHandler(null, deps));
  ({ browser } = await launchBrowser());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  deps?.db.close();
});

describe("dashboard in a real browser", () => {
  it("shows the failing guardrail and its chart for a day with an incident", async () => {
    // Precondition from the evaluate module, checked so a failure here points at the right place.
    expect(last.ds).toBe(END);
    expect(last.verdicts.find((v) => v.metric === METRIC)?.verdict).toBe("fail");

    const link = new URL(signLink(deps, `/guardrail?dataset=default&ds=${END}`, 600));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const response = await page.goto(`${srv.base}${link.pathname}${link.search}`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toContain(END);

    const card = page.locator(`article[data-metric="${METRIC}"]`);
    await expect.poll(() => card.isVisible()).toBe(true);
    expect(await card.getAttribute("data-verdict")).toBe("fail");
    expect(await card.innerText()).toMatch(/Failing/);

    const figure = page.locator(`figure#metric-${METRIC}`);
    expect(await figure.isVisible()).toBe(true);
    const chart = figure.locator("svg[role=img]");
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator(":scope > title").textContent()).toContain(METRIC);
    expect(await chart.locator(":scope > desc").textContent()).toContain(`Failing days: ${END}`);
    expect(await chart.locator(`circle[data-failing="${END}"]`).count()).toBe(1);
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(300);

    // Breakdowns, checks and the day's table are real content, not images.
    expect(await page.locator("section[aria-labelledby=s-breakdowns] svg[role=img]").count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("section[aria-labelledby=s-checks] table tbody tr").count()).toBeGreaterThan(0);
    // Inner links opened through a signed link are signed too, so moving to the previous day works.
    const prev = page.locator("a[rel=prev]");
    expect(await prev.getAttribute("href")).toMatch(/[?&]sig=[0-9a-f]{64}/);

    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/dashboard.png", fullPage: true });
    expect(statSync("test-artifacts/dashboard.png").size).toBeGreaterThan(10_000);

    await prev.click();
    await page.waitForLoadState();
    expect(await page.title()).toContain(addDays(END, -1));
    await page.close();
  });

  it("reads on a phone: no sideways scrolling, the verdict still first", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await page.setExtraHTTPHeaders({ cookie: `guardrail_token=${deps.readToken}` });
    const response = await page.goto(`${srv.base}/guardrail?ds=${END}`);
    expect(response?.status()).toBe(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    const card = page.locator(`article[data-metric="${METRIC}"]`);
    expect(await card.isVisible()).toBe(true);
    await page.screenshot({ path: "test-artifacts/dashboard-phone.png", fullPage: false });
    await page.close();
  });

  it("without a token or link the page is 401 in the browser too", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${srv.base}/guardrail`);
    expect(response?.status()).toBe(401);
    expect(await page.locator("h1").innerText()).toMatch(/sign-in/i);
    await page.close();
  });
});

describe("renderDashboard", () => {
  it("an empty store renders a page that says nothing is published", () => {
    const empty = makeDeps(tempDir("dashboard-empty"));
    const html = renderDashboard(empty.db, empty.config, {});
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Nothing has been published");
    expect(html).not.toMatch(/<script/i);
    empty.db.close();
  });

  it("every breakdown chart has all its values as a table, not only the top 8 drawn", () => {
    const html = renderDashboard(deps.db, deps.config, { dataset: "default", ds: END });
    const stored = deps.db
      .prepare(`SELECT value_key FROM published_metrics WHERE dataset = 'default' AND ds = ? AND metric = 'daily_visitors' AND dimension = 'dim_country'`)
      .all(END) as { value_key: string }[];
    expect(stored.length).toBeGreaterThan(0);
    const figure = /<figure data-breakdown="daily_visitors:dim_country">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? "";
    const labels = [...figure.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].flatMap((m) => [...m[1]!.matchAll(/<tr><td>([^<]*)<\/td>/g)].map((r) => r[1]));
    expect(labels.sort()).toEqual(stored.map((r) => r.value_key || "(unknown)").sort());
  });

  it("a static snapshot is self-contained (no scripts, no external resources)", () => {
    const html = renderDashboard(deps.db, deps.config, { dataset: "default", ds: END });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(existsSync("test-artifacts/dashboard.png")).toBe(true);
  });
});
