/** Channel rules as users write them: mixed case and www. hosts still match. */
import { describe, expect, it } from "vitest";
import { OwnHosts, deriveChannel } from "../../src/events/channel.js";
import { parseConfig, resolveDataset } from "../../src/config/load.js";
import { aggregateSql } from "../../src/warehouse/sql.js";

const cfg = resolveDataset(
  parseConfig({
    channels: {
      rules: [
        { channel: "youtube", utm_source: ["YouTube"], referrer_hosts: ["www.youtube.com"] },
        { channel: "email", utm_medium: ["E-Mail "] },
      ],
    },
  }),
  "default",
);

describe("deriveChannel with rules written in any case", () => {
  it("matches a utm value written with capitals, as events are compared lower-cased", () => {
    expect(deriveChannel({ utm_source: "youtube" }, "www.example.com", cfg.channels)).toBe("youtube");
    expect(deriveChannel({ utm_source: "YOUTUBE" }, "www.example.com", cfg.channels)).toBe("youtube");
    expect(deriveChannel({ utm_medium: "e-mail" }, "www.example.com", cfg.channels)).toBe("email");
  });

  it("matches a referrer host rule written with www.", () => {
    expect(deriveChannel({ referrer: "https://www.youtube.com/watch?v=1" }, "www.example.com", cfg.channels)).toBe("youtube");
    expect(deriveChannel({ referrer: "https://m.youtube.com/" }, "www.example.com", cfg.channels)).toBe("youtube");
    expect(deriveChannel({ referrer: "https://notyoutube.com/" }, "www.example.com", cfg.channels)).toBe("other");
  });

  it("the warehouse SQL compares the same normalised values", () => {
    const sql = aggregateSql(cfg, { dialect: "trino" });
    expect(sql).toContain("WHEN utm_source IN ('youtube') THEN 'youtube'");
    expect(sql).toContain("WHEN utm_medium IN ('e-mail') THEN 'email'");
    expect(sql).toContain("ref_host = 'youtube.com' OR ref_host LIKE '%.youtube.com'");
  });
});

describe("an outside source no rule knows", () => {
  it("is other when only a utm_medium names it (a tagged visit is never direct)", () => {
    expect(deriveChannel({ utm_medium: "podcast" }, "www.example.com", cfg.channels)).toBe("other");
    expect(deriveChannel({ utm_source: "mystery" }, "www.example.com", cfg.channels)).toBe("other");
    expect(deriveChannel({}, "www.example.com", cfg.channels)).toBe("direct");
  });

  it("the site's own hosts are navigation, subdomains included", () => {
    const own = new OwnHosts(["www.example.com", "learn.example.com"], ["partner-site.org"]);
    expect(own.has("learn.example.com")).toBe(true);
    expect(own.has("example.com")).toBe(true);
    expect(own.has("blog.example.com")).toBe(true);
    expect(own.has("docs.partner-site.org")).toBe(true);
    expect(own.has("notexample.com")).toBe(false);
    expect(own.outsideKey("||learn.example.com")).toBe("");
    expect(own.outsideKey("social|linkedin|learn.example.com")).toBe("social|linkedin|");
    expect(own.outsideKey("||t.co")).toBe("||t.co");
  });
});
