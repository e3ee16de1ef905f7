/**
 * Text that comes from data (event values, segment names, app versions) or
 * from commenters (override reasons, unknown commands) is shown on GitHub and
 * in chat, where it must stay text: no mention that notifies anyone, no link,
 * no HTML, no `<!channel>`. Pure functions; every renderer of such text uses
 * them (docs/operations.md#security).
 */

/** Zero-width joiner: invisible, and it breaks `@user`, `#123` and `https://` apart. */
const ZWJ = "\u200d";

/** Mentions, issue references, autolinks and bare URLs are broken with a zero-width joiner. */
function breakTriggers(text: string): string {
  return text
    .replace(/@/g, `@${ZWJ}`)
    .replace(/#(?=\d)/g, `#${ZWJ}`)
    .replace(/:\/\//g, `:${ZWJ}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`);
}

/**
 * For GitHub Markdown (check runs, issues, comments), safe in a table cell:
 * one line, `|` escaped, HTML and link brackets escaped, mentions, references
 * and URLs broken.
 */
export function mdText(text: string): string {
  return breakTriggers(String(text))
    .replace(/\r?\n|\r/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`[\]|])/g, "\\$1");
}

/**
 * A code span holding `text` literally (mentions, links and HTML are inert
 * there); backticks inside choose a longer fence; `|` stays escaped for tables.
 */
export function mdCode(text: string): string {
  const flat = String(text).replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat.startsWith(" ") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * For Slack-compatible chat (mrkdwn): `&`, `<`, `>` escaped, so `<!channel>`,
 * `<!everyone>`, `<@U123>` and `<url|text>` stay text; `@everyone`-style words,
 * and URLs, broken so they neither notify nor link.
 */
export function chatText(text: string): string {
  return breakTriggers(String(text)).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Longest reply the bot posts to a command. */
export const MAX_REPLY_CHARS = 2000;

/** `text` cut to `max` characters with an ellipsis; a reply never grows with its input. */
export function capText(text: string, max = MAX_REPLY_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
