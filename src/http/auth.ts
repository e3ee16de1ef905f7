/**
 * Authentication for every HTTP route (docs/service.md). Least privilege: the
 * INGEST token grants upload + jobs, the READ token grants gate, health
 * details and dashboard. An unset token never matches, so an unconfigured
 * route answers 401 instead of opening. Signed, expiring links let a check
 * run's details link open the dashboard without handing out the token.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AppDeps } from "../app/deps.js";

export type Grant = "ingest" | "read";

export type AuthDeps = Pick<AppDeps, "publicUrl" | "linkSecret" | "ingestToken" | "readToken">;

export const DEFAULT_LINK_TTL_SECONDS = 7 * 24 * 3600;
export const TOKEN_COOKIE = "guardrail_token";

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== "string") return null;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Constant-time comparison. Hashing both sides first gives equal-length
 * buffers, so neither the content nor the length of the secret leaks through
 * timing. An unset or empty expected token never matches.
 */
export function tokenMatches(given: string | null | undefined, expected: string | null | undefined): boolean {
  if (!expected || given == null) return false;
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** The value of one cookie of the request, or null. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== "string") return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/**
 * The string that is signed: the path (without a trailing slash) plus the
 * query without `sig`, re-encoded canonically so a proxy that re-escapes the
 * URL does not break the link.
 */
function canonical(url: URL): string {
  const params = new URLSearchParams(url.searchParams);
  params.delete("sig");
  const query = params.toString();
  // The routes accept a trailing slash, so the signature does too.
  const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
  return query ? `${path}?${query}` : path;
}

function hmacHex(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message, "utf8").digest("hex");
}

/**
 * An absolute link to `pathWithQuery` (e.g. `/guardrail?dataset=default&ds=2024-05-01`)
 * under `deps.publicUrl`, valid for `ttlSeconds`. The signature covers the
 * path, every query parameter and the expiry, so none can be changed.
 */
export function signLink(
  deps: Pick<AuthDeps, "publicUrl" | "linkSecret">,
  pathWithQuery: string,
  ttlSeconds: number = DEFAULT_LINK_TTL_SECONDS,
  now: number = Date.now(),
): string {
  const url = new URL(pathWithQuery.startsWith("/") ? pathWithQuery : `/${pathWithQuery}`, "http://localhost");
  url.searchParams.delete("sig");
  url.searchParams.set("exp", String(Math.floor(now / 1000) + Math.max(1, Math.floor(ttlSeconds))));
  const message = canonical(url);
  const base = (deps.publicUrl || "").replace(/\/+$/, "");
  return `${base}${message}&sig=${hmacHex(deps.linkSecret, message)}`;
}

/**
 * True when `url` (absolute, or a request's path + query) carries a valid
 * signature made with `secret` and its `exp` is still in the future.
 * Rejects expired, tampered or unsigned links; an empty secret verifies nothing.
 */
export function verifySignedLink(url: string, secret: string, now: number | Date = Date.now()): boolean {
  if (!secret) return false;
  let parsed: URL;
  try {
    parsed = new URL(url, "http://localhost");
  } catch {
    return false;
  }
  const sig = parsed.searchParams.get("sig");
  const exp = parsed.searchParams.get("exp");
  if (!sig || !exp || !/^[0-9a-f]{64}$/.test(sig) || !/^\d{1,12}$/.test(exp)) return false;
  const nowMs = now instanceof Date ? now.getTime() : now;
  if (Number(exp) * 1000 <= nowMs) return false;
  const expected = Buffer.from(hmacHex(secret, canonical(parsed)), "hex");
  return timingSafeEqual(expected, Buffer.from(sig, "hex"));
}

/**
 * Whether the request may use a route of `grant`. 'ingest': the ingest bearer
 * token only. 'read': the read bearer token, the `guardrail_token` cookie
 * holding it, or a valid signed link to exactly this URL.
 */
export function authorize(req: IncomingMessage, deps: AuthDeps, grant: Grant, now: number = Date.now()): boolean {
  if (grant === "ingest") return tokenMatches(bearerToken(req), deps.ingestToken);
  if (tokenMatches(bearerToken(req), deps.readToken)) return true;
  if (tokenMatches(readCookie(req, TOKEN_COOKIE), deps.readToken)) return true;
  return verifySignedLink(req.url ?? "/", deps.linkSecret, now);
}

/** The link key: GUARDRAIL_LINK_SECRET, else derived from WEBHOOK_SECRET so links survive restarts; "" signs nothing. */
export function linkSecretFromEnv(env: Record<string, string | undefined> = process.env): string {
  if (env.GUARDRAIL_LINK_SECRET) return env.GUARDRAIL_LINK_SECRET;
  if (env.WEBHOOK_SECRET) return createHmac("sha256", env.WEBHOOK_SECRET).update("guardrail-link").digest("hex");
  return "";
}
