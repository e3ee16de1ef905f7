/**
 * Days outside 2000–2100 are refused everywhere, and every walk over days
 * ends: `addDays` past year 9999 once produced "+010000-01-01", which sorts
 * before every real day, so `for (d = from; d <= to; …)` never stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { addDays, dayClock, dsInZone, dsRange, hoursSinceZoneDayEnd, isTimeZone, isValidDs, localHour, localToUtcMs, zoneOffsetMs } from "../../src/shared/dates.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { serviceFor } from "../../src/jobs/service.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, listen, makeDeps, send, tempDir } from "../support/service.js";
import { runCli } from "../support/run-cli.js";
import { writeFileSync } from "node:fs";

describe("the ds bounds", () => {
  it("accepts 2000-01-01 … 2100-12-31 and nothing outside", () => {
    expect(isValidDs("2000-01-01")).toBe(true);
    expect(isValidDs("2100-12-31")).toBe(true);
    expect(isValidDs("2026-02-28")).toBe(true);
    expect(isValidDs("1999-12-31")).toBe(false);
    expect(isValidDs("2101-01-01")).toBe(false);
    expect(isValidDs("9999-12-31")).toBe(false);
    expect(isValidDs("0001-01-01")).toBe(false);
    expect(isValidDs("2026-02-30")).toBe(false);
  });

  it("addDays refuses to leave the years 0000–9999 instead of returning a signed year", () => {
    expect(addDays("9999-12-30", 1)).toBe("9999-12-31");
    expect(() => addDays("9999-12-31", 1)).toThrow(RangeError);
    expect(() => addDays("0000-01-01", -1)).toThrow(RangeError);
  });

  it("dsRange ends even at the end of the calendar", () => {
    expect(dsRange("2026-03-01", "2026-03-03")).toEqual(["2026-03-01", "2026-03-02", "2026-03-03"]);
    expect(() => dsRange("9999-12-25", "9999-12-31")).toThrow(RangeError);
  });
});

describe("out-of-range days at every entry point", () => {
  let dir: string;
  let deps: AppDeps;
  let srv: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    dir = tempDir("dates");
    deps = makeDeps(dir);
    serviceFor(null, deps, { maxUploadBytes: 1024 * 1024, uploadIdleMs: 2000 });
    srv = await listen(guardrailHandler(null, deps));
  });
  afterAll(async () => {
    await srv?.close();
    deps?.db.close();
  });

  it("the dashboard answers 400 for ds=9999-12-31 instead of looping", async () => {
    const r = await send(srv.base, "GET", "/guardrail?ds=9999-12-31", { headers: bearer(READ) });
    expect(r.status).toBe(400);
    expect(r.body).toContain("between 2000-01-01 and 2100-12-31");
  });

  it("an upload for 9999-12-31 or 1999-12-31 is refused and queues nothing", async () => {
    for (const ds of ["9999-12-31", "1999-12-31"]) {
      const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=default&ds=${ds}`, { headers: bearer(INGEST), body: "{}\n" });
      expect(r.status).toBe(400);
      expect(r.json().error).toContain("between 2000-01-01 and 2100-12-31");
    }
    expect((deps.db.prepare(`SELECT COUNT(*) AS n FROM jobs`).get() as { n: number }).n).toBe(0);
  });

  it("the CLI refuses such days: backtest, evaluate, ingest --ds, and a row's own ds", async () => {
    const db = join(dir, "cli.db");
    const file = join(dir, "old.ndjson");
    writeFileSync(
      file,
      JSON.stringify({ logged_out_user_id: "1", dim_hostname: "www.example.com", dim_country: "DE", action_type: "page_visit", event_timestamp: "9999-12-31T10:00:00Z", ds: "9999-12-31", other_properties: {} }) + "\n",
    );
    const ing = await runCli(["ingest", file, "--db", db, "--json"]);
    expect(ing.code).not.toBe(0);
    expect(ing.stderr + ing.stdout).toContain("between 2000-01-01 and 2100-12-31");
    const forced = await runCli(["ingest", file, "--ds", "9999-12-31", "--db", db, "--json"]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toContain("--ds 9999-12-31: expected a date YYYY-MM-DD between 2000-01-01 and 2100-12-31");
    const bt = await runCli(["backtest", "--from", "9999-12-25", "--to", "9999-12-31", "--db", db, "--json"]);
    expect(bt.code).toBe(2);
    expect(bt.stderr).toContain("--from: expected a date as YYYY-MM-DD between 2000-01-01 and 2100-12-31");
    const ev = await runCli(["evaluate", "--ds", "1999-12-31", "--db", db, "--json"]);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toContain("between 2000-01-01 and 2100-12-31");
    // An as-of time outside the days judged "1969-12-31" before.
    const asOf = await runCli(["evaluate", "--as-of", "1970-01-01", "--db", db, "--json"]);
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toBe('guardrail: --as-of "1970-01-01": expected a time between 2000-01-01 and 2100-12-31.\n');
  });

  it("the gate refuses an as_of outside those days, and takes one at their edge", async () => {
    const sha = "a".repeat(40);
    for (const t of ["9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z"]) {
      const r = await send(srv.base, "GET", `/api/guardrail/gate?repo=acme/web&sha=${sha}&as_of=${t}`, { headers: bearer(READ) });
      expect(r.status).toBe(400);
      expect(r.json().error).toBe(`query parameter "as_of" is "${t}": expected a time between 2000-01-01 and 2100-12-31.`);
    }
    const edge = await send(srv.base, "GET", `/api/guardrail/gate?repo=acme/web&sha=${sha}&as_of=2100-12-31T23:00:00Z`, { headers: bearer(READ) });
    expect(edge.status).toBe(200);
  });
});

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string) => Date.parse(s);

describe("a dataset's own day", () => {
  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("America/Los_Angeles")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });

  it("gives an ordinary Pacific day its bounds, 24 hours of one offset", () => {
    const c = dayClock("2026-05-01", "America/Los_Angeles");
    expect(iso(c.start)).toBe("2026-05-01T07:00:00.000Z");
    expect(iso(c.end)).toBe("2026-05-02T07:00:00.000Z");
    expect(c.hours).toBe(24);
    expect(c.hourLengths).toEqual(new Array(24).fill(1));
    expect(zoneOffsetMs(c.start, "America/Los_Angeles")).toBe(-7 * 3_600_000);
  });

  it("makes the US spring-forward day 23 hours long, with no 02:00 hour", () => {
    const c = dayClock("2026-03-08", "America/Los_Angeles");
    expect(iso(c.start)).toBe("2026-03-08T08:00:00.000Z");
    expect(iso(c.end)).toBe("2026-03-09T07:00:00.000Z");
    expect(c.hours).toBe(23);
    expect(c.hourLengths[2]).toBe(0);
    expect(c.hourLengths.reduce((s, x) => s + x, 0)).toBe(23);
    expect(c.segments.map((s) => [iso(s.from), s.offset / 3_600_000])).toEqual([
      ["2026-03-08T08:00:00.000Z", -8],
      ["2026-03-08T10:00:00.000Z", -7],
    ]);
    expect(localHour(c, ms("2026-03-08T09:59:59.999Z"))).toBe(1);
    expect(localHour(c, ms("2026-03-08T10:00:00Z"))).toBe(3);
    // A naive 02:30 (a time the clocks skipped) is read with the offset before the change.
    expect(iso(localToUtcMs(ms("2026-03-08T02:30:00Z"), "America/Los_Angeles"))).toBe("2026-03-08T10:30:00.000Z");
  });

  it("makes the US fall-back day 25 hours long, its 01:00 hour twice as long", () => {
    const c = dayClock("2026-11-01", "America/Los_Angeles");
    expect(c.hours).toBe(25);
    expect(c.hourLengths[1]).toBe(2);
    expect(localHour(c, ms("2026-11-01T08:30:00Z"))).toBe(1);
    expect(localHour(c, ms("2026-11-01T09:30:00Z"))).toBe(1);
    // An ambiguous naive 01:30 is its first occurrence (daylight time).
    expect(iso(localToUtcMs(ms("2026-11-01T01:30:00Z"), "America/Los_Angeles"))).toBe("2026-11-01T08:30:00.000Z");
    expect(dsInZone(ms("2026-11-02T07:59:59Z"), "America/Los_Angeles")).toBe("2026-11-01");
    expect(dsInZone(ms("2026-11-02T08:00:00Z"), "America/Los_Angeles")).toBe("2026-11-02");
  });

  it("handles Berlin's changes at 02:00 and 03:00 local", () => {
    const spring = dayClock("2026-03-29", "Europe/Berlin");
    expect(spring.hours).toBe(23);
    expect(spring.hourLengths[2]).toBe(0);
    expect(iso(spring.start)).toBe("2026-03-28T23:00:00.000Z");
    const fall = dayClock("2026-10-25", "Europe/Berlin");
    expect(fall.hours).toBe(25);
    expect(fall.hourLengths[2]).toBe(2);
    expect(iso(fall.end)).toBe("2026-10-25T23:00:00.000Z");
  });

  it("keeps UTC days exactly as before", () => {
    const c = dayClock("2026-03-08", "UTC");
    expect(iso(c.start)).toBe("2026-03-08T00:00:00.000Z");
    expect(c.hours).toBe(24);
    expect(localHour(c, ms("2026-03-08T13:59:00Z"))).toBe(13);
    expect(hoursSinceZoneDayEnd("2026-03-08", "UTC", new Date("2026-03-09T06:00:00Z"))).toBe(6);
    expect(hoursSinceZoneDayEnd("2026-03-08", "America/Los_Angeles", new Date("2026-03-09T06:00:00Z"))).toBe(-1);
  });
});
