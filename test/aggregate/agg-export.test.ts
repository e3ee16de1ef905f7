/** Reading warehouse aggregate exports: one clear sentence per bad file, pointing at the right line. */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { readAggExport } from "../../src/aggregate/agg-export.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { tmpDir } from "./helpers.js";

const HEADER = "ds,aggregation_level,action_type,dim_country,event_hour,m_total_events,m_unique_visitors,m_unique_users";

async function refusal(name: string, text: string): Promise<string> {
  const file = path.join(tmpDir("guardrail-aggexp-"), name);
  fs.writeFileSync(file, text);
  try {
    await readAggExport(defaultDatasetConfig(), [file]);
  } catch (err) {
    return (err as Error).message;
  }
  return "accepted";
}

describe("readAggExport", () => {
  it("names the file line of the first copy of a repeated slice, counting the header and blank lines", async () => {
    const text = [HEADER, "", "2024-05-07,overall,page_visit,,3,10,5,1", "2024-05-07,overall,signup,,3,2,2,1", "2024-05-07,overall,page_visit,,3,10,5,1"].join("\n");
    const msg = await refusal("dup.csv", text);
    expect(msg).toMatch(/dup\.csv: line 5: .*already appeared on line 3/);
  });

  it("names the NDJSON line of the first copy of a repeated slice", async () => {
    const row = JSON.stringify({ aggregation_level: "overall", action_type: "page_visit", event_hour: 3, m_total_events: 10, m_unique_visitors: 5, m_unique_users: 1 });
    const msg = await refusal("dup.ndjson", ["", row, "", row].join("\n"));
    expect(msg).toMatch(/dup\.ndjson: line 4: .*already appeared on line 2/);
  });

  it("refuses a level whose grouped column is missing from the CSV header instead of reading every value as unknown", async () => {
    const text = [HEADER.replace("dim_country,", ""), "2024-05-07,country,page_visit,3,10,5,1"].join("\n");
    const msg = await refusal("nohost.csv", text);
    expect(msg).toMatch(/nohost\.csv: line 2: field dim_country: .*header/);
  });

  it("names the distinct measure that exceeds the event count", async () => {
    const text = [HEADER, "2024-05-07,overall,page_visit,,3,10,5,11"].join("\n");
    const msg = await refusal("users.csv", text);
    expect(msg).toMatch(/users\.csv: line 2: field m_unique_users: /);
  });

  it("refuses a slice with events but no visitors", async () => {
    const text = [HEADER, "2024-05-07,overall,page_visit,,3,10,0,0"].join("\n");
    const msg = await refusal("novisitors.csv", text);
    expect(msg).toMatch(/novisitors\.csv: line 2: field m_unique_visitors: is 0 but the slice has 10 events/);
  });

  it("accepts a well-formed export and keeps each slice's values", async () => {
    const file = path.join(tmpDir("guardrail-aggexp-"), "ok.csv");
    fs.writeFileSync(file, [HEADER, "2024-05-07,overall,page_visit,,3,10,5,1", "2024-05-07,country,page_visit,DE,3,10,5,1", ""].join("\r\n"));
    const exp = await readAggExport(defaultDatasetConfig(), [file]);
    expect(exp.rowDs).toBe("2024-05-07");
    expect(exp.rows.map((r) => [r.aggregation_level, r.dim_country, r.event_hour, r.m_total_events, r.m_unique_visitors])).toEqual([
      ["overall", null, 3, 10, 5],
      ["country", "DE", 3, 10, 5],
    ]);
  });

  it("reads NDJSON with a BOM, CRLF line ends, gzip and no final newline", async () => {
    const row = (h: number) => JSON.stringify({ ds: "2024-05-07", aggregation_level: "overall", action_type: "Log-in", event_hour: String(h), m_total_events: 4, m_unique_visitors: "2", m_unique_users: 0 });
    const file = path.join(tmpDir("guardrail-aggexp-"), "agg.json.gz");
    fs.writeFileSync(file, zlib.gzipSync("\ufeff" + [row(1), "", row(2)].join("\r\n")));
    const exp = await readAggExport(defaultDatasetConfig(), [file]);
    expect(exp.rowsRead).toBe(2);
    expect(exp.rows.map((r) => [r.action_type, r.event_hour, r.m_total_events, r.m_unique_visitors, r.m_unique_users])).toEqual([
      ["login", 1, 4, 2, 0],
      ["login", 2, 4, 2, 0],
    ]);
  });
});
