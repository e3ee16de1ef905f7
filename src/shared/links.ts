/**
 * Signed, expiring links: the dashboard link every surface (checks, gate,
 * issues, chat) hands out, and its verification by the HTTP routes. The
 * signature covers the path, every query parameter and the expiry.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Where links point and the key that signs them (AppDeps fits). */
export interface LinkDeps {
  /** External base URL (GUARDRAIL_PUBLIC_URL), no trailing slash; "" when unknown. */
  publicUrl: string;
  /** HMAC key; "" signs nothing. */
  linkSecret: string;
}

export const DEFAULT_LINK_TTL_SECONDS = 7 * 24 * 3600;

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
  deps: LinkDeps,
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
    // Not even a URL: not a valid link either.
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
 * The signed dashboard link for a dataset's day (and the repo it is shown
 * for), or null without a public URL or key: GitHub rejects a relative
 * details_url, so there is no link to give.
 */
export function dashboardLink(deps: LinkDeps, dataset: string, ds?: string | null, repo?: string | null): string | null {
  if (!deps.publicUrl || !deps.linkSecret) return null;
  const q = new URLSearchParams({ dataset });
  if (ds) q.set("ds", ds);
  if (repo) q.set("repo", repo);
  return signLink(deps, `/guardrail?${q.toString()}`);
}

/** The link key: GUARDRAIL_LINK_SECRET, else derived from WEBHOOK_SECRET so links survive restarts; "" signs nothing. */
export function linkSecretFromEnv(env: Record<string, string | undefined> = process.env): string {
  if (env.GUARDRAIL_LINK_SECRET) return env.GUARDRAIL_LINK_SECRET;
  if (env.WEBHOOK_SECRET) return createHmac("sha256", env.WEBHOOK_SECRET).update("guardrail-link").digest("hex");
  return "";
}
