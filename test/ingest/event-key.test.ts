/** The event key and the duplicate index of one ingest (src/ingest/event-key.ts): exact under hash collisions. */
import { describe, expect, it } from "vitest";
import { DuplicateIndex, hash53, makeKeyFn, makeKeyHashFn } from "../../src/ingest/event-key.js";
import type { EventRow } from "../../src/shared/types.js";
import { event } from "./helpers.js";

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
  it("hashes equal keys equally and tells apart keys that differ in any field", () => {
    const fields = ["logged_out_user_id", "action_type", "event_timestamp", "dim_device_brand", "other_properties.event_id"];
    const keyFn = makeKeyFn(fields);
    const hashFn = makeKeyHashFn(fields);
    const base = { line: 1, user_id: null, logged_out_user_id: "-9223372036854775808", dim_hostname: "a.b", dim_country: "US", action_type: "signup", event_ms: 1714521600123, ds: "2024-05-01" };
    const rows: EventRow[] = [
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
