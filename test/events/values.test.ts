/** Event primitives (src/events/): ids, timestamps, hosts, actions, format detection, ds from paths. */
import { describe, expect, it } from "vitest";
import { parseInt64, parseTimestamp, isWellFormedHost, ActionResolver } from "../../src/events/values.js";
import { dsFromPath, dsFromPaths } from "../../src/events/ds.js";
import { detectFormat } from "../../src/events/source.js";
import { defaultDatasetConfig } from "../../src/config/load.js";

describe("parseInt64", () => {
  it("keeps signed 64-bit values exact as text and rejects the rest", () => {
    expect(parseInt64("9223372036854775807")).toBe("9223372036854775807");
    expect(parseInt64("-9223372036854775808")).toBe("-9223372036854775808");
    expect(parseInt64("9223372036854775808")).toBeNull();
    expect(parseInt64("-9223372036854775809")).toBeNull();
    expect(parseInt64("9007199254740993")).toBe("9007199254740993");
    expect(parseInt64("+0042")).toBe("42");
    expect(parseInt64("-0")).toBe("0");
    expect(parseInt64("12.5")).toBeNull();
    expect(parseInt64("abc")).toBeNull();
    expect(parseInt64("")).toBeNull();
  });
});

describe("parseTimestamp", () => {
  it("reads ISO-8601 with Z or offsets and the space form as UTC", () => {
    const ref = Date.UTC(2024, 4, 1, 12, 30, 15, 250);
    expect(parseTimestamp("2024-05-01T12:30:15.250Z")).toBe(ref);
    expect(parseTimestamp("2024-05-01 12:30:15.25")).toBe(ref);
    expect(parseTimestamp("2024-05-01T14:30:15.250+02:00")).toBe(ref);
    expect(parseTimestamp("2024-05-01T07:00:15.250-0530")).toBe(ref);
    expect(parseTimestamp("2024-05-01 12:30:15")).toBe(ref - 250);
  });
  it("rejects impossible dates and other shapes", () => {
    for (const bad of ["2024-02-30T00:00:00Z", "2023-02-29 00:00:00", "2024-05-01T24:00:00Z", "1714566615", "yesterday", "2024-05-01"])
      expect(Number.isNaN(parseTimestamp(bad)), bad).toBe(true);
    expect(parseTimestamp("2024-02-29 00:00:00")).toBe(Date.UTC(2024, 1, 29));
  });
});

describe("hosts, actions, format, ds", () => {
  it("accepts lower-case FQDNs only", () => {
    expect(isWellFormedHost("www.xyz.com")).toBe(true);
    expect(isWellFormedHost("a-b.example.co.uk")).toBe(true);
    for (const bad of ["WWW.XYZ.COM", "localhost", "www..com", "-a.com", "a_b.com", "www.xyz.com.", " www.xyz.com"]) expect(isWellFormedHost(bad), bad).toBe(false);
  });
  it("applies aliases case-insensitively after trimming", () => {
    const cfg = defaultDatasetConfig();
    const r = new ActionResolver(cfg.action_types, cfg.action_aliases);
    expect(r.canonical(" Log-in ")).toBe("login");
    expect(r.canonical("Page Visit")).toBe("page_visit");
    expect(r.canonical("PURCHASE")).toBe("purchase");
    expect(r.allowed.has(r.canonical("clicked"))).toBe(false);
  });
  it("detects NDJSON by its first non-blank character", () => {
    expect(detectFormat("\r\n  {\"a\":1}")).toBe("ndjson");
    expect(detectFormat("user_id,logged_out_user_id")).toBe("csv");
  });
  it("reads ds from path segments and refuses files naming different days", () => {
    expect(dsFromPath("/x/exports/ds=2024-05-01/part-0.ndjson.gz")).toBe("2024-05-01");
    expect(dsFromPath("/x/ds=2024-05-01.csv")).toBe("2024-05-01");
    expect(dsFromPath("/x/2024-05-01.csv")).toBeNull();
    expect(dsFromPaths(["/a/ds=2024-05-01/x", "/b/y"])).toBe("2024-05-01");
    expect(() => dsFromPaths(["/a/ds=2024-05-01/x", "/a/ds=2024-05-02/x"])).toThrow(/ds=2024-05-02.*ds=2024-05-01/);
  });
});
