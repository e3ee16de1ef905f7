import { describe, it, expect } from "vitest";
import type { IncomingMessage } from "node:http";
import { authorize, bearerToken, tokenMatches } from "../../src/http/auth.js";
import { signLink, verifySignedLink } from "../../src/shared/links.js";
import { matchRoute, readQuery } from "../../src/http/respond.js";

const req = (url: string, headers: Record<string, string> = {}, method = "GET") => ({ url, headers, method }) as unknown as IncomingMessage;
const deps = { publicUrl: "https://g.example.com/", linkSecret: "s3cret", readToken: "read-1", ingestToken: "ingest-1" };
const NOW = Date.parse("2024-05-08T06:00:00Z");

describe("tokens", () => {
  it("matches only the exact token, never an unset one", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abd", "abc")).toBe(false);
    expect(tokenMatches("abcd", "abc")).toBe(false);
    expect(tokenMatches("", "")).toBe(false);
    expect(tokenMatches("x", undefined)).toBe(false);
    expect(tokenMatches(null, "abc")).toBe(false);
  });

  it("reads a bearer header, case-insensitively on the scheme", () => {
    expect(bearerToken(req("/", { authorization: "bearer tok" }))).toBe("tok");
    expect(bearerToken(req("/", { authorization: "Basic dG9rOg==" }))).toBeNull();
  });

  it("keeps grants apart: the ingest token cannot read, the read token cannot ingest", () => {
    expect(authorize(req("/", { authorization: "Bearer read-1" }), deps, "read")).toBe(true);
    expect(authorize(req("/", { authorization: "Bearer ingest-1" }), deps, "read")).toBe(false);
    expect(authorize(req("/", { authorization: "Bearer read-1" }), deps, "ingest")).toBe(false);
    expect(authorize(req("/", { authorization: "Bearer ingest-1" }), deps, "ingest")).toBe(true);
    expect(authorize(req("/", { cookie: "a=b; guardrail_token=read-1" }), deps, "read")).toBe(true);
    expect(authorize(req("/", { cookie: "guardrail_token=read-1" }), deps, "ingest")).toBe(false);
    expect(authorize(req("/", { authorization: "Bearer " }), { ...deps, readToken: undefined }, "read")).toBe(false);
  });
});

describe("signed links", () => {
  it("grants read to exactly the signed URL until it expires", () => {
    const link = signLink(deps, "/guardrail?dataset=default&ds=2024-05-07", 3600, NOW);
    expect(link.startsWith("https://g.example.com/guardrail?dataset=default&ds=2024-05-07&exp=")).toBe(true);
    const u = new URL(link);
    const path = u.pathname + u.search;
    expect(verifySignedLink(link, "s3cret", NOW)).toBe(true);
    expect(authorize(req(path), deps, "read", NOW)).toBe(true);
    expect(authorize(req(path), deps, "ingest", NOW)).toBe(false);
    // expired
    expect(verifySignedLink(link, "s3cret", NOW + 3601 * 1000)).toBe(false);
    // tampered: another day, a later expiry, another secret, no signature
    expect(verifySignedLink(link.replace("2024-05-07", "2024-05-06"), "s3cret", NOW)).toBe(false);
    expect(verifySignedLink(link.replace(/exp=(\d+)/, (_m, e) => `exp=${Number(e) + 10}`), "s3cret", NOW)).toBe(false);
    expect(verifySignedLink(link, "other", NOW)).toBe(false);
    expect(verifySignedLink(link, "", NOW)).toBe(false);
    expect(verifySignedLink(link.replace(/&sig=.*/, ""), "s3cret", NOW)).toBe(false);
    // an extra parameter is a different URL
    expect(verifySignedLink(link + "&metric=x", "s3cret", NOW)).toBe(false);
  });
});

describe("respond helpers", () => {
  it("matches routes with params and reads the query", () => {
    expect(matchRoute(req("/api/guardrail/jobs/12?x=1"), "GET", "/api/guardrail/jobs/:id")).toEqual({ id: "12" });
    expect(matchRoute(req("/api/guardrail/jobs/12", {}, "POST"), "GET", "/api/guardrail/jobs/:id")).toBeNull();
    expect(matchRoute(req("/api/guardrail/jobs"), "GET", "/api/guardrail/jobs/:id")).toBeNull();
    expect(readQuery(req("/x?repo=a%2Fb&sha=1&sha=2"))).toEqual({ repo: "a/b", sha: "1" });
  });
});
