import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const page = readFileSync("docs/dashboard.md", "utf8");

describe("docs/dashboard.md", () => {
  it("is in the README's documentation table", () => {
    expect(readFileSync("README.md", "utf8")).toMatch(/\| \[docs\/dashboard\.md\]\(docs\/dashboard\.md\) \|/);
  });

  it("shows each view at both widths and each chart, from committed, small pictures", () => {
    const images = [...page.matchAll(/!\[[^\]]+\]\((images\/[^)]+\.png)\)/g)].map((m) => m[1]!);
    for (const view of ["failing", "passing", "empty"]) for (const size of ["desktop", "phone"]) expect(images).toContain(`images/dashboard-${view}-${size}.png`);
    for (const chart of ["daily", "segments", "hourly", "bars", "shipped"]) expect(images).toContain(`images/dashboard-${chart}.png`);
    for (const img of images) {
      const file = join("docs", img);
      expect(existsSync(file), file).toBe(true);
      expect(statSync(file).size, file).toBeLessThan(200_000);
    }
  });

  it("explains how to read each chart", () => {
    for (const heading of ["## When code shipped", "## Segments over time", "## Today by the hour", "## Metrics over 8 weeks", "## Breakdowns with their evidence", "## Finding your way"])
      expect(page).toContain(heading);
    for (const word of ["observed", "expected", "normal range", "failing day", "**the same weekday of the\n4 previous weeks**"]) expect(page).toContain(word);
  });
});
