/**
 * The dashboard of a day published marked partial (docs/ingest.md, "Partial
 * days"; docs/dashboard.md): the page says so before anything is read off it,
 * its verdicts are inconclusive, a partial day never teaches the hourly band,
 * and once a complete export of the day replaces it the mark is gone, and so
 * is the partial export's stored evaluation. Real exports, real ingest, real SQLite.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures, type FixtureFile } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { evaluateDay } from "../../src/evaluate/index.js";
import { defaultDatasetConfig, parseConfig } from "../../src/config/load.js";
import { openDb, type DB } from "../../src/store/db.js";
import { partialReason } from "../../src/store/partitions.js";
import { addDays, dsToEpochMs } from "../../src/shared/dates.js";
import { renderDashboard } from "../../src/dashboard/render.js";
import { loadDashboardData } from "../../src/dashboard/data.js";
import { fmtShortDate } from "../../src/present/format.js";

const END = "2026-11-17"; // a Tuesday
const NEXT = addDays(END, 7);
const cfg = defaultDatasetConfig();
const config = parseConfig({});

let dir: string;
let files: FixtureFile[];

/** A copy of a day's export with only its events before 08:00 UTC: the export job died in the morning. */
function truncated(file: FixtureFile): string {
  const lines = readFileSync(file.path, "utf8").split("\n").filter(Boolean);
  const kept = lines.filter((l) => Number(/"event_timestamp":"\d{4}-\d\d-\d\dT(\d\d)/.exec(l)![1]) < 8);
  const out = join(dir, "cut", `ds=${file.ds}`, "events.ndjson");
  mkdirSync(join(dir, "cut", `ds=${file.ds}`), { recursive: true });
  writeFileSync(out, kept.join("\n") + "\n");
  return out;
}

/** Ingests `path` as the service does after a publish: judged and stored, as of the next morning. */
async function load(db: DB, path: string, allowPartial = false): Promise<void> {
  const r = await ingestFiles(db, cfg, [path], { allowPartial });
  expect(r.published, r.checks.filter((c) => c.status === "fail").map((c) => c.message).join(" ")).toBe(true);
  evaluateDay(db, cfg, { ds: r.ds, now: new Date(dsToEpochMs(addDays(r.ds, 1)) + 6 * 3_600_000) });
}

const day = (ds: string) => files.find((f) => f.ds === ds)!;
const page = (db: DB, ds: string) => renderDashboard(db, config, { dataset: "default", ds });
const section = (html: string, id: string) => html.slice(html.indexOf(`id="${id}"`), html.indexOf("</section>", html.indexOf(`id="${id}"`)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-dash-partial-"));
  files = await generateFixtures({ outDir: join(dir, "exports"), days: 36, eventsPerDay: 3000, end: NEXT, seed: 7 });
}, 180_000);

describe("a partial day on the dashboard", () => {
  it("is marked partial at the top, its verdicts inconclusive; a complete export of the day removes the mark", async () => {
    const db = openDb(join(dir, "replace.db"));
    for (let w = 4; w >= 1; w--) await load(db, day(addDays(END, -7 * w)).path);
    await load(db, truncated(day(END)), true);
    const why = partialReason(db, "default", END);
    expect(why).toMatch(/^it failed completeness \(day_volume/);

    const html = page(db, END);
    expect(html).toContain(`<h1>Guardrail: default on ${END} (partial)</h1>`);
    const banner = /<p class="summary" data-partial>(.*?)<\/p>/.exec(html)?.[1] ?? "";
    expect(banner).toContain(`The export for ${END} was published <strong>PARTIAL</strong> (${why}): it is not a whole day, never a baseline day, and its verdicts are inconclusive`);
    // The banner comes first in the verdicts section, before the cards.
    const verdicts = section(html, "s-verdicts");
    expect(verdicts.indexOf("data-partial")).toBeLessThan(verdicts.indexOf(`class="cards"`));
    const cards = [...verdicts.matchAll(/data-verdict="([a-z_]+)"/g)].map((m) => m[1]);
    expect(cards.length).toBeGreaterThan(0);
    expect(new Set(cards)).toEqual(new Set(["inconclusive"]));
    expect(section(html, "s-checks")).toContain(`Audit of the published PARTIAL export for ${END}`);

    // The complete export replaces it. The CLI stores no evaluation: the page must not show the partial one's.
    const full = await ingestFiles(db, cfg, [day(END).path]);
    expect(full).toMatchObject({ published: true, partial: false });
    const after = page(db, END);
    expect(after).toContain(`<h1>Guardrail: default on ${END}</h1>`);
    expect(after).not.toContain("data-partial");
    expect(after.replace(/<style>.*?<\/style>/s, "")).not.toMatch(/partial/i);
    const judged = [...section(after, "s-verdicts").matchAll(/data-verdict="([a-z_]+)"/g)].map((m) => m[1]);
    expect(judged).not.toContain("inconclusive");
    expect(judged.length).toBe(cards.length);
  }, 180_000);

  it("never takes a partial day as a baseline day of the hourly band", async () => {
    const db = openDb(join(dir, "baseline.db"));
    for (let w = 4; w >= 1; w--) await load(db, day(addDays(END, -7 * w)).path);
    await load(db, truncated(day(END)), true);
    await load(db, truncated(day(NEXT)), true);
    // NEXT is partial too, so it has no verdict naming its baseline days: the chart picks the previous complete Tuesdays.
    const html = page(db, NEXT);
    expect(html).toContain(`<h1>Guardrail: default on ${NEXT} (partial)</h1>`);
    const note = /<figure data-hourly="signup_conversion_rate">.*?<p class="note">Normal range: (.*?)<\/p>/s.exec(html)?.[1] ?? "";
    expect(note).toMatch(/^the same hours of 4 baseline days \(/);
    expect(note).toBe(`the same hours of 4 baseline days (${[1, 2, 3, 4].map((w) => fmtShortDate(addDays(END, -7 * w))).join(", ")}).`);
  }, 180_000);

  it("never takes a partial day as a baseline day of the bands and bars: the page of the next week is as if it had not been loaded", async () => {
    const withPartial = openDb(join(dir, "with.db"));
    const without = openDb(join(dir, "without.db"));
    for (const db of [withPartial, without]) for (let w = 4; w >= 1; w--) await ingestFiles(db, cfg, [day(addDays(END, -7 * w)).path]);
    await ingestFiles(withPartial, cfg, [truncated(day(END))], { allowPartial: true });
    for (const db of [withPartial, without]) expect((await ingestFiles(db, cfg, [day(NEXT).path])).published).toBe(true);
    const a = loadDashboardData(withPartial, config, { dataset: "default", ds: NEXT });
    const b = loadDashboardData(without, config, { dataset: "default", ds: NEXT });
    const bars = a.breakdowns.get("signup_conversion_rate")!.get("dim_country")!;
    expect(bars.filter((x) => x.expected !== null).length).toBeGreaterThan(3);
    expect(a.breakdowns).toEqual(b.breakdowns);
    // Every computed band of the 8-week charts too (the partial day's own point aside: it has a value only where it was loaded).
    for (const [i, s] of a.series.entries()) {
      const bands = (x: typeof s) => x.points.filter((p) => p.ds !== END).map((p) => [p.ds, p.band]);
      expect(bands(s), s.def.name).toEqual(bands(b.series[i]!));
      expect(s.points.filter((p) => p.band).length, s.def.name).toBeGreaterThan(0);
    }
    // On the 8-week chart the partial day is drawn hollow, named in the legend and its values table.
    const fig = (html: string) => html.slice(html.indexOf(`<figure id="metric-website_hits"`), html.indexOf("</figure>", html.indexOf(`<figure id="metric-website_hits"`)));
    const marked = fig(renderDashboard(withPartial, config, { dataset: "default", ds: NEXT }));
    expect(marked).toMatch(new RegExp(`<circle [^>]*class="pt partial" data-partial="${END}"><title>${END}: [^<]*, published partial: not a whole day</title>`));
    expect(marked).toContain("partial day (not a whole day, never a baseline)</li>");
    expect(marked).toMatch(new RegExp(`<tr><td>${END}</td>.*?\\(partial day\\)</td></tr>`));
    expect(fig(renderDashboard(without, config, { dataset: "default", ds: NEXT }))).not.toMatch(/partial/);
  }, 180_000);
});
