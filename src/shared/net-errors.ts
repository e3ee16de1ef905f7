/**
 * What really went wrong with an outgoing call (GitHub, chat). Octokit turns
 * every network failure into "status 500", so a DNS failure was logged as
 * "GitHub answered 500"; the cause chain says what it was.
 */
export type CallOutcome = "ok" | "timeout" | "dns" | "tls" | "network" | "http_4xx" | "http_5xx";

export interface CallFailure {
  outcome: Exclude<CallOutcome, "ok">;
  /** A short phrase: "timed out", "DNS lookup failed (ENOTFOUND api.github.com)", "HTTP 404". */
  text: string;
}

const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME"]);
const TLS = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);

function chain(err: unknown): any[] {
  const out: any[] = [];
  for (let e: any = err; e && typeof e === "object" && out.length < 6; e = e.cause) out.push(e);
  return out;
}

export function classifyFailure(err: unknown): CallFailure {
  const links = chain(err);
  for (const e of links) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return { outcome: "timeout", text: "timed out" };
    const code = typeof e.code === "string" ? e.code : null;
    if (!code) continue;
    if (TIMEOUT_CODES.has(code)) return { outcome: "timeout", text: `timed out (${code})` };
    if (DNS.has(code)) return { outcome: "dns", text: `DNS lookup failed (${code}${e.hostname ? ` ${e.hostname}` : ""})` };
    if (TLS.test(code)) return { outcome: "tls", text: `TLS error (${code})` };
    if (code.startsWith("E") || code.startsWith("UND_ERR")) return { outcome: "network", text: `network error (${code})` };
  }
  // A fetch that failed below HTTP carries a cause; only a real answer has a meaningful status.
  const status = (err as { status?: unknown })?.status;
  const hadCause = links.length > 1;
  if (typeof status === "number" && !(status === 500 && hadCause)) return { outcome: status >= 500 ? "http_5xx" : "http_4xx", text: `HTTP ${status}` };
  return { outcome: "network", text: "network error" };
}
