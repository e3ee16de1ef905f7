import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { aggregateSql } from "../../src/warehouse/sql.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";

describe("committed warehouse SQL", () => {
  it("is exactly what `guardrail sql` generates from the default rules (no drift)", () => {
    const cfg = defaultDatasetConfig();
    expect(readFileSync("sql/agg_website_events.sql", "utf8")).toBe(aggregateSql(cfg, { dialect: "trino" }));
    expect(readFileSync("sql/agg_website_events.bigquery.sql", "utf8")).toBe(aggregateSql(cfg, { dialect: "bigquery" }));
  });

  it("follows a changed channel rule, so the warehouse cannot drift from the bot", () => {
    const cfg = resolveDataset(
      parseConfig({ channels: { rules: [{ channel: "mastodon", referrer_hosts: ["mastodon.social"] }] } }),
      "default",
    );
    const text = aggregateSql(cfg, { dialect: "spark" });
    expect(text).toContain("ref_host = 'mastodon.social' OR ref_host LIKE '%.mastodon.social' THEN 'mastodon'");
    expect(text).not.toContain("'linkedin'");
  });

  it("names every aggregation level explicitly from GROUPING()", () => {
    const text = aggregateSql(defaultDatasetConfig(), { dialect: "trino", ds: "2026-11-05" });
    for (const level of ["overall", "hostname", "country", "device", "channel", "daily", "daily_total"]) {
      expect(text).toContain(`THEN '${level}'`);
    }
    expect(text).toContain("WHERE ds = '2026-11-05'");
  });
});
