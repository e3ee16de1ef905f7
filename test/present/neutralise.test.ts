/**
 * Text from data or commenters stays text on GitHub and in chat: the country
 * value of the finding, `@octocat [click](https://evil.example) <img src=x>`,
 * must not mention, link or inject HTML anywhere it is shown.
 */
import { describe, expect, it } from "vitest";
import { capText, chatText, mdCode, mdText } from "../../src/present/neutralise.js";
import { localisation } from "../../src/present/incidents.js";
import { buildChatMessage } from "../../src/present/chat.js";
import { failingEvaluation } from "../alerts/helpers.js";

const EVIL = "@octocat [click](https://evil.example) <img src=x> #1 www.evil.example <!channel> @everyone";
const ZWJ = "\u200d";

/** What GitHub would turn into a mention, a link, a reference or HTML. */
function live(md: string): string[] {
  const found: string[] = [];
  if (/(^|[^\w`])@[A-Za-z0-9]/.test(md)) found.push("mention");
  if (/(?<!\\)\[[^\]]*(?<!\\)\]\(/.test(md)) found.push("markdown link");
  if (/https?:\/\//.test(md) || /\bwww\.[a-z]/i.test(md)) found.push("autolink");
  if (/<[a-z!]/i.test(md)) found.push("html or slack token");
  if (/(^|\s)#\d/.test(md)) found.push("reference");
  return found;
}

describe("mdText", () => {
  it("leaves nothing live, keeps the words readable, and fits a table cell", () => {
    const out = mdText(EVIL + "\n| next row");
    expect(live(out)).toEqual([]);
    expect(out.replaceAll(ZWJ, "")).toContain("octocat");
    expect(out).toContain("&lt;img src=x&gt;");
    expect(out).not.toContain("\n");
    expect(out).toContain("\\| next row");
  });
});

describe("mdCode", () => {
  it("holds any text, backticks included, in one code span", () => {
    expect(mdCode("v1.2")).toBe("`v1.2`");
    expect(mdCode("a`b")).toBe("``a`b``");
    expect(mdCode("`x")).toBe("`` `x ``");
  });
});

describe("chatText", () => {
  it("escapes Slack's control characters and breaks mentions and URLs", () => {
    const out = chatText(EVIL);
    expect(out).not.toMatch(/<[!@#a-z]/i);
    expect(out).toContain("&lt;!channel&gt;");
    expect(out).not.toMatch(/(^|\s)@everyone/);
    expect(out).not.toContain("https://");
  });
});

describe("capText", () => {
  it("never lets a reply grow past its cap", () => {
    expect(capText("x".repeat(5000)).length).toBe(2000);
    expect(capText("short")).toBe("short");
  });
});

describe("where data is rendered", () => {
  const ev = failingEvaluation("2026-03-10");
  ev.verdicts[0]!.segments![0] = { ...ev.verdicts[0]!.segments![0]!, dimension: "dim_country", value: EVIL };

  it("the incident issue's localisation", () => {
    const md = localisation([ev.verdicts[0]!], { failing: [ev.verdicts[0]!], enforced: [ev.verdicts[0]!] });
    expect(md).toContain("octocat");
    expect(live(md)).toEqual([]);
  });

  it("the chat message", () => {
    const msg = buildChatMessage({ type: "open" } as any, { kind: "breach", evaluation: ev }, { failing: [ev.verdicts[0]!], enforced: [ev.verdicts[0]!] });
    expect(msg).not.toBeNull();
    const all = JSON.stringify(msg);
    if (msg) {
      expect(all.replaceAll(ZWJ, "")).toContain("octocat");
      expect(all).not.toContain("<!channel>");
      expect(all).not.toContain("https://evil");
      expect(all).not.toMatch(/[^\u200d]@everyone/);
    }
  });
});
