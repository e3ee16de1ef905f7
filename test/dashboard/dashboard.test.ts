import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import { launchBrowser } from "../support/browser.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { saveEvaluation } from "../../src/evaluate/index.js";
import { resolveDataset } from "../../src/config/load.js";
import { addDays, dsRange, weekday } from "../../src/shared/dates.js";
import { fmtShortDate } from "../../src/present/format.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { signLink } from "../../src/shared/links.js";
import { renderDashboard } from "../../src/dashboard/render.js";
import { loadDashboardData } from "../../src/dashboard/data.js";
import type { AppDeps } from "../../src/app/deps.js";
import type { Evaluation } from "../../src/shared/types.js";
import { listen, makeDeps, READ, tempDir } from "../support/service.js";
import { buildStore, END, METRIC, PR_HEAD, REPO, SUSPECT_SHA } from "./fixture.js";

const YOUNG = "young"; // a second dataset whose data starts three weeks before END
let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let last: Evaluation;
let dir: string;

beforeAll(async () => {
  dir = tempDir("dashboard");
  deps = makeDeps(dir);
  const built = await buildStore(deps, dir);
  last = built.last;
  // The intraday rule's verdict names the hours it found; store one that does, as the evaluation would.
  const withHours = structuredClone(last);
  const v = withHours.verdicts.find((x) => x.metric === METRIC)!;
  Object.assign(v, { hourly: { from: 10, to: 16, observed: 20, expected: 61, change: -0.67, z: -5.1, threshold: 4.3 } });
  saveEvaluation(deps.db, withHours);
  const young = resolveDataset(deps.config, YOUNG);
  for (const f of built.files.filter((x) => x.ds >= addDays(END, -20))) await ingestFiles(deps.db, young, [f.path], { ds: f.ds });
  srv = await listen(guardrailHandler(null, deps));
  ({ browser } = await launchBrowser());
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  deps?.db.close();
});

const html = () => renderDashboard(deps.db, deps.config, { dataset: "default", ds: END });
/** The inner HTML of the first element matching `open` up to its closing tag (no nesting of the same tag inside). */
function block(page: string, open: string, tag: string): string {
  const start = page.indexOf(open);
  if (start < 0) return "";
  return page.slice(start, page.indexOf(`</${tag}>`, start));
}

describe("1. legend and words", () => {
  it("every daily chart has a visible legend (observed, expected, normal range, failing day) and says what its band covers", () => {
    const page = html();
    const figures = [...page.matchAll(/<figure id="metric-[^"]+"[\s\S]*?<\/figure>/g)].map((m) => m[0]);
    expect(figures.length).toBe(deps.config.metrics!.length);
    for (const f of figures) {
      const legend = /<ul class="legend"[^>]*>([\s\S]*?)<\/ul>/.exec(f)?.[1] ?? "";
      for (const word of ["observed", "expected", "normal range", "failing day"]) expect(legend).toContain(word);
      expect(f).toContain("Normal range: the same weekday of the 4 previous weeks (Tuesdays for Mar 10).");
    }
  });
});

describe("2. honest axes", () => {
  it("y ticks are round and evenly spaced; x has one tick per week, on the day's weekday", () => {
    const fig = block(html(), `<figure id="metric-${METRIC}"`, "figure");
    const ys = [...fig.matchAll(/class="axis y">([^<]+)</g)].map((m) => Number(m[1]!.replace(" %", "").replace("−", "-")));
    expect(ys.length).toBeGreaterThanOrEqual(3);
    const steps = ys.slice(1).map((y, i) => Math.round((y - ys[i]!) * 1e6) / 1e6);
    expect(new Set(steps).size).toBe(1);
    const step = Math.abs(steps[0]!);
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    expect([1, 2, 5]).toContain(Math.round(mantissa * 1000) / 1000);
    for (const y of ys) expect(Math.abs(y / step - Math.round(y / step))).toBeLessThan(1e-6);
    const xs = [...fig.matchAll(/class="axis x">([^<]+)</g)].map((m) => m[1]);
    const from = addDays(END, -55);
    expect(xs).toEqual(dsRange(from, END).filter((d) => weekday(d) === weekday(END)).map(fmtShortDate));
  });

  it("the x axis starts where the data starts, and the band covers every judged day", () => {
    const young = loadDashboardData(deps.db, deps.config, { dataset: YOUNG, ds: END });
    expect(young.from).toBe(addDays(END, -20));
    expect(young.series[0]!.points.map((p) => p.ds)).toEqual(dsRange(addDays(END, -20), END));
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    const s = d.series.find((x) => x.def.name === METRIC)!;
    const judged = s.points.filter((p) => p.verdict === "pass" || p.verdict === "warn" || p.verdict === "fail");
    expect(judged.length).toBeGreaterThan(20);
    for (const p of judged) expect(p.band, p.ds).not.toBeNull();
  });
});

describe("3. segments over time", () => {
  it("a failing guardrail gets a chart of its top segments and the rest, over the same weeks", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    expect(last.verdicts.find((v) => v.metric === METRIC)!.verdict).toBe("fail");
    const chart = d.segmentCharts.find((c) => c.metric === METRIC)!;
    const iphone = chart.lines.find((l) => l.label === "iPhone")!;
    const rest = chart.lines.find((l) => l.rest)!;
    expect(rest.label).toBe("all but iPhone");
    expect(iphone.points.map((p) => p.ds)).toEqual(d.series[0]!.points.map((p) => p.ds));
    const stored = deps.db
      .prepare(`SELECT value FROM published_metrics WHERE dataset = 'default' AND ds = ? AND metric = ? AND dimension = 'dim_device_brand' AND value_key = 'iPhone'`)
      .get(END, METRIC) as { value: number };
    expect(iphone.points.at(-1)!.value).toBeCloseTo(stored.value, 12);
    // The fall is visible: iPhone drops far more than the rest of the traffic.
    const drop = (l: typeof iphone) => l.points.at(-1)!.value! / l.points.at(-8)!.value!;
    expect(drop(iphone)).toBeLessThan(drop(rest) * 0.6);
    const fig = block(html(), `<figure data-segments="${METRIC}"`, "figure");
    expect(fig).toContain(`data-line="iPhone"`);
    expect(fig).toContain(`data-line="all but iPhone"`);
    expect(fig).toContain(`<ul class="legend"`);
  });
});

describe("4. bars carry their evidence", () => {
  it("each bar has its sample and expected value; segments below the judge's volume are grey and say so", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    const bars = d.breakdowns.get(METRIC)!.get("dim_device_brand")!;
    const rows = (ds: string) =>
      deps.db
        .prepare(`SELECT value_key, numerator, denominator FROM published_metrics WHERE dataset = 'default' AND ds = ? AND metric = ? AND dimension = 'dim_device_brand'`)
        .all(ds, METRIC) as { value_key: string; numerator: number; denominator: number }[];
    const today = rows(END);
    expect(bars.length).toBe(today.length);
    const baseline = [7, 14, 21, 28].map((k) => rows(addDays(END, -k)));
    const minDenominator = resolveDataset(deps.config, "default").evaluation.min_denominator;
    let small = 0;
    for (const r of today) {
      const bar = bars.find((b) => b.label === (r.value_key || "(unknown)"))!;
      expect([bar.numerator, bar.denominator]).toEqual([r.numerator, r.denominator]);
      // Expected: the segment's rate pooled over the same weekday of the 4 previous weeks.
      const same = baseline.flatMap((day) => day.filter((x) => x.value_key === r.value_key));
      const expected = same.reduce((s, x) => s + x.numerator, 0) / same.reduce((s, x) => s + x.denominator, 0);
      expect(bar.expected).toBeCloseTo(expected, 12);
      // Too small: below a configured min_denominator, or even zero signups would not be 3 sigma unlikely (Φ(−3) = 0.00135).
      expect(bar.tooSmall).toBe(r.denominator < minDenominator || (1 - expected) ** r.denominator > 0.0013499);
      if (bar.tooSmall) small++;
    }
    expect(small).toBeGreaterThan(0);
    const fig = block(html(), `<figure data-breakdown="${METRIC}:dim_device_brand"`, "figure");
    const iphone = today.find((r) => r.value_key === "iPhone")!;
    expect(fig).toContain(`${iphone.numerator.toLocaleString("en-US")} / ${iphone.denominator.toLocaleString("en-US")}`);
    expect(fig.match(/class="exp-mark"/g)!.length).toBe(Math.min(8, bars.length));
    expect(fig).toContain(`data-small="true"`);
    expect(fig).toContain("too small to judge");
  });
});

describe("5. today by the hour", () => {
  it("each guardrail's 24 hours add up to the day, against the baseline's same hours, with the intraday hours shaded", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    const h = d.hourly.find((x) => x.metric === METRIC)!;
    expect(h.hours.map((x) => x.hour)).toEqual([...Array(24).keys()]);
    const v = last.verdicts.find((x) => x.metric === METRIC)!;
    expect(h.hours.reduce((s, x) => s + (x.numerator ?? 0), 0)).toBe(v.numerator);
    expect(h.hours.reduce((s, x) => s + (x.denominator ?? 0), 0)).toBe(v.denominator);
    expect(h.baselineDays).toEqual(v.baseline_days);
    expect(h.hours.filter((x) => x.band).length).toBeGreaterThan(18);
    expect(h.flagged).toEqual({ from: 10, to: 16 });
    const fig = block(html(), `<figure data-hourly="${METRIC}"`, "figure");
    expect(fig).toContain(`data-flagged="10-16"`);
    expect(fig).toContain("hours named by the intraday rule");
    expect(fig).toContain("10:00–16:00");
    // The other guardrail's verdict names no hours: nothing is shaded there.
    expect(block(html(), `<figure data-hourly="purchase_conversion_rate"`, "figure")).not.toContain("data-flagged=");
  });
});

describe("6. when code shipped", () => {
  it("deployments are marked by kind; suspects, their PR, check runs and the incident issue link to GitHub", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    expect(d.deployments.map((m) => [m.environment, m.kind, m.ds, m.hour])).toEqual([
      ["production", "production", addDays(END, -21), 14],
      ["production", "production", addDays(END, -7), 10],
      ["pr-42-preview", "preview", addDays(END, -1), 16],
      ["canary-eu", "canary", END, 7],
      ["production", "production", END, 9],
    ]);
    const page = html();
    const chart = block(page, `<figure id="metric-${METRIC}"`, "figure");
    for (const kind of ["production", "canary", "preview"]) expect(chart).toContain(`data-deploy="${kind}"`);
    expect(chart).toMatch(/canary deploy/);
    const hourly = block(page, `<figure data-hourly="${METRIC}"`, "figure");
    expect(hourly.match(/data-deploy="/g)!.length).toBe(2);
    const shipped = block(page, `<section aria-labelledby="s-shipped"`, "section");
    for (const href of [
      `https://github.com/${REPO}/commit/${SUSPECT_SHA}`,
      `https://github.com/${REPO}/pull/42`,
      `https://github.com/${REPO}/runs/5001`,
      `https://github.com/${REPO}/runs/5002`,
      `https://github.com/${REPO}/issues/77`,
    ])
      expect(shipped).toContain(`href="${href}"`);
    expect(shipped).toMatch(/runs\/5001">guardrail<\/a> \(failure\)/);
    expect(shipped).toMatch(/runs\/5002">guardrail\/regression<\/a> \(failure\)/);
    expect(PR_HEAD).not.toBe(SUSPECT_SHA);
  });

  it("the canaries judged that day are listed with their share, hours and verdict", () => {
    const canaries = block(html(), "<table data-canaries>", "table");
    expect(canaries).toContain(`href="https://github.com/${REPO}/commit/${PR_HEAD}"`);
    expect(canaries).toMatch(/>10 %<\/td><td>08:00–20:00 UTC<\/td>/);
    expect(canaries).toContain("No decline");
    expect(canaries).toContain("Canary judged: no decline.");
  });
});

describe("7. navigation", () => {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${srv.base}${path}`, { headers });
    return { status: r.status, text: await r.text() };
  };
  const hrefs = (page: string) => [...page.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, "&"));

  it("a signed link's page links only to days of its own dataset, each link signed", async () => {
    const link = new URL(signLink(deps, `/guardrail?dataset=default&ds=${END}`, 600));
    const { status, text } = await get(`${link.pathname}${link.search}`);
    expect(status).toBe(200);
    const inner = hrefs(text).filter((h) => h.startsWith("/guardrail"));
    expect(inner.length).toBeGreaterThan(20); // prev, next and the calendar
    for (const h of inner) {
      expect(h).toMatch(/[?&]dataset=default&/);
      expect(h).toMatch(/[?&]sig=[0-9a-f]{64}$/);
    }
    expect(text).not.toContain(`dataset=${YOUNG}`);
    // Every minted link opens.
    const prev = inner.find((h) => h.includes(`ds=${addDays(END, -1)}`))!;
    expect((await get(prev)).status).toBe(200);
  });

  it("with the read token the picker offers every dataset", async () => {
    const { text } = await get(`/guardrail?dataset=default&ds=${END}`, { authorization: `Bearer ${READ}` });
    expect(hrefs(text)).toContain(`/guardrail?dataset=${YOUNG}`);
  });

  it("the static snapshot links to no page that a file cannot open", () => {
    for (const h of hrefs(html())) expect(h).toMatch(/^(#|https:\/\/github\.com\/)/);
  });
});

describe("the page's weight", () => {
  it("stays under 1 MB for 8 weeks of a dataset with 8 metrics (the defaults: 8 or more)", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: END });
    expect(d.series.length).toBeGreaterThanOrEqual(8);
    expect(d.series[0]!.points.length).toBe(56);
    expect(Buffer.byteLength(html(), "utf8")).toBeLessThan(1_000_000);
  });
});

describe("8. in a real browser", () => {
  const views = [
    { name: "failing", path: () => `/guardrail?dataset=default&ds=${END}` },
    { name: "passing", path: () => `/guardrail?dataset=default&ds=${addDays(END, -7)}` },
    { name: "empty", path: () => `/guardrail?dataset=nothing-here` },
  ];
  const sizes = [
    { name: "desktop", viewport: { width: 1280, height: 900 }, scale: 1 },
    { name: "phone", viewport: { width: 390, height: 844 }, scale: 2 },
  ];

  async function open(path: string, viewport: { width: number; height: number }, scale: number): Promise<{ page: Page; requests: string[] }> {
    // axe needs a page of an explicit context.
    const context = await browser.newContext({ viewport, deviceScaleFactor: scale, extraHTTPHeaders: { authorization: `Bearer ${READ}` } });
    const page = await context.newPage();
    const requests: string[] = [];
    // Anything not served by the service is recorded and refused.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith(srv.base) ? route.continue() : route.abort();
    });
    const response = await page.goto(`${srv.base}${path}`);
    expect(response?.status()).toBe(200);
    return { page, requests };
  }

  it("the passing day is judged pass (precondition of its screenshots)", () => {
    const d = loadDashboardData(deps.db, deps.config, { dataset: "default", ds: addDays(END, -7) });
    expect(d.evaluation!.status).toBe("pass");
  });

  for (const view of views)
    for (const size of sizes)
      it(`${view.name} day at ${size.name} width: screenshot, no serious accessibility violation, nothing fetched from elsewhere`, async () => {
        const { page, requests } = await open(view.path(), size.viewport, size.scale);
        expect(requests).toEqual([`${srv.base}${view.path()}`]);
        expect(await page.locator("script").count()).toBe(0);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(1);
        if (view.name === "failing") {
          const card = page.locator(`article[data-metric="${METRIC}"]`);
          expect(await card.getAttribute("data-verdict")).toBe("fail");
          expect(await card.isVisible()).toBe(true);
          expect(await page.locator(`figure#metric-${METRIC} circle[data-failing="${END}"]`).count()).toBe(1);
          expect(await page.locator(`figure#metric-${METRIC} .legend`).isVisible()).toBe(true);
        }
        if (view.name === "empty") expect(await page.locator("main").innerText()).toContain("Nothing has been published");
        const axe = await new AxeBuilder({ page }).analyze();
        const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
        expect(bad).toEqual([]);
        mkdirSync("test-artifacts", { recursive: true });
        const file = `test-artifacts/dashboard-${view.name}-${size.name}.png`;
        await page.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(5_000);
        // The documentation's pictures are the first screen of each view (docs/dashboard.md).
        if (process.env.GUARDRAIL_DOC_IMAGES) {
          const doc = `docs/images/dashboard-${view.name}-${size.name}.png`;
          await page.setViewportSize(size.name === "phone" ? { width: 390, height: 844 } : { width: 1100, height: 760 });
          await page.screenshot({ path: doc, scale: "css" });
          if (view.name === "failing" && size.name === "desktop") {
            for (const [sel, name] of [
              [`figure#metric-${METRIC}`, "daily"],
              [`figure[data-segments="${METRIC}"]`, "segments"],
              [`figure[data-hourly="${METRIC}"]`, "hourly"],
              [`figure[data-breakdown="${METRIC}:dim_device_brand"]`, "bars"],
              [`section[aria-labelledby="s-shipped"]`, "shipped"],
            ] as const)
              await page.locator(sel).screenshot({ path: `docs/images/dashboard-${name}.png`, scale: "css" });
          }
        }
        await page.context().close();
      });

  it("the static snapshot opened as a file makes no request but itself", async () => {
    const file = join(dir, "dashboard.html");
    writeFileSync(file, html());
    const page = await browser.newPage();
    const requests: string[] = [];
    await page.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith("file://") ? route.continue() : route.abort();
    });
    await page.goto(`file://${file}`);
    expect(requests).toEqual([`file://${file}`]);
    expect(await page.locator(`figure[data-hourly="${METRIC}"] svg`).isVisible()).toBe(true);
    await page.close();
  });

  it("a signed link's page in the browser: stepping to the previous day works", async () => {
    const link = new URL(signLink(deps, `/guardrail?dataset=default&ds=${END}`, 600));
    const page = await browser.newPage();
    expect((await page.goto(`${srv.base}${link.pathname}${link.search}`))?.status()).toBe(200);
    await page.locator("a[rel=prev]").click();
    await page.waitForLoadState();
    expect(await page.title()).toContain(addDays(END, -1));
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
