import { describe, expect, it } from "vitest";
import { parseInt64, parseTimestamp, isWellFormedHost, ActionResolver } from "../../src/ingest/values.js";
import { dsFromPath, dsFromPaths } from "../../src/ingest/ds.js";
import { DuplicateIndex, hash53, makeKeyFn } from "../../src/ingest/event-key.js";
import { detectFormat } from "../../src/ingest/source.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { event } from "./helpers.js";

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

describe("event key and duplicate index", () => {
  it("builds the key from columns and other_properties entries; bad names are a config error", () => {
    const fn = makeKeyFn(["logged_out_user_id", "action_type", "event_timestamp", "other_properties.event_id"]);
    const a = { ...event(1, "2024-05-01"), line: 1, event_ms: 5 } as never;
    expect(fn(a)).toContain("e1");
    expect(() => makeKeyFn(["logged_out_user_id", "nope"])).toThrow(/event_key\[1\].*"nope"/);
  });
  it("is exact under hash collisions: only sameKey decides", () => {
    const idx = new DuplicateIndex(4);
    const keys = new Map<number, string>();
    // Force every entry onto the same hash to exercise collision handling.
    const H = 12345;
    for (let rowid = 1; rowid <= 50; rowid++) {
      const key = `k${rowid}`;
      expect(idx.find(H, (r) => keys.get(r) === key)).toBe(0);
      idx.add(H, rowid);
      keys.set(rowid, key);
    }
    expect(idx.find(H, (r) => keys.get(r) === "k37")).toBe(37);
    expect(idx.find(H, (r) => keys.get(r) === "k99")).toBe(0);
    expect(idx.size).toBe(50);
  });
  it("tells apart hashes that share their low 32 bits (no needless confirmations)", () => {
    const idx = new DuplicateIndex(4);
    const h = 0x1234_5678;
    expect(idx.firstOrAdd(h, 7)).toBe(-1);
    expect(idx.firstOrAdd(h + 2 ** 32, 8)).toBe(-1);
    expect(idx.firstOrAdd(h + 2 ** 52, 9)).toBe(-1);
    for (let i = 0; i < 40; i++) idx.add(1000 + i, 100 + i); // grows the table: entries keep their full hash
    expect([idx.firstOrAdd(h, 1), idx.firstOrAdd(h + 2 ** 32, 1), idx.firstOrAdd(h + 2 ** 52, 1)]).toEqual([7, 8, 9]);
    expect(idx.size).toBe(43);
  });
  it("hash53 stays within 53 bits and differs for near keys", () => {
    const a = hash53("a\u0001b");
    expect(Number.isSafeInteger(a) && a > 0).toBe(true);
    expect(hash53("a\u0001c")).not.toBe(a);
  });
});

describe("makeKeyHashFn", () => {
  it("hashes equal keys equally and tells apart keys that differ in any field", async () => {
    const { makeKeyHashFn } = await import("../../src/ingest/event-key.js");
    const fields = ["logged_out_user_id", "action_type", "event_timestamp", "dim_device_brand", "other_properties.event_id"];
    const keyFn = makeKeyFn(fields);
    const hashFn = makeKeyHashFn(fields);
    const base = { line: 1, user_id: null, logged_out_user_id: "-9223372036854775808", dim_hostname: "a.b", dim_country: "US", action_type: "signup", event_ms: 1714521600123, ds: "2024-05-01" };
    const rows = [
      { ...base, dim_device_brand: null, other_properties: {} },
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x\u0001y" } },
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x" } },
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x" }, event_ms: 1714521600124 },
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x" }, event_ms: 1714521600123 + 2 ** 32 },
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x" }, action_type: "signu", logged_out_user_id: "-9223372036854775808s" },
      // A different line, hostname or country is not part of this key: same key, same hash.
      { ...base, dim_device_brand: "Apple", other_properties: { event_id: "x" }, line: 9, dim_hostname: "c.d", dim_country: "FR" },
    ];
    const keys = new Set(rows.map(keyFn));
    const hashes = new Set(rows.map(hashFn));
    expect(keys.size).toBe(6);
    expect(hashes.size).toBe(6);
    expect(hashFn(rows[2])).toBe(hashFn(rows[6]));
    for (const e of rows) expect(Number.isSafeInteger(hashFn(e)) && hashFn(e) > 0).toBe(true);
    expect(() => makeKeyHashFn(["nope"])).toThrow(/event_key\[0\].*"nope"/);
  });
});
