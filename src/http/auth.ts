/**
 * Authentication for every HTTP route (docs/service.md). Least privilege: the
 * INGEST token grants upload + jobs, the READ token grants gate, health
 * details and dashboard. An unset token never matches, so an unconfigured
 * route answers 401 instead of opening. Signed, expiring links (src/shared/links.ts)
 * let a check run's details link open the dashboard without handing out the token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { verifySignedLink } from "../shared/links.js";

export type Grant = "ingest" | "read";

export type AuthDeps = Pick<AppDeps, "publicUrl" | "linkSecret" | "ingestToken" | "readToken">;

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
      // Not %-encoded (a stray "%"): the value as the browser sent it.
      return raw;
    }
  }
  return null;
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

