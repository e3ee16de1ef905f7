/**
 * Tiny response helpers shared by every route (plain Node handlers: Probot v14
 * has no Express). They set the content type and length once, so no route
 * forgets them, and keep private answers out of shared caches.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", contentType);
  res.setHeader("content-length", Buffer.byteLength(body));
  // Business metrics are private (docs/service.md): never let a proxy cache them.
  res.setHeader("cache-control", "no-store");
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
}

export function sendText(res: ServerResponse, status: number, body: string): void {
  send(res, status, "text/plain; charset=utf-8", body);
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  send(res, status, "text/html; charset=utf-8", body);
}

/** The request URL parsed against a dummy base (req.url is only path + query). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? "/", "http://localhost");
}

/** Query parameters as a plain object; a repeated key keeps its first value. */
export function readQuery(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of requestUrl(req).searchParams) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * Matches `req` against `method` and a path pattern such as
 * `/api/guardrail/jobs/:id`. Returns the decoded params, or null when the
 * method or path differ. A trailing slash on the request is tolerated, and
 * HEAD matches a GET route.
 */
export function matchRoute(
  req: IncomingMessage,
  method: string,
  pattern: string,
): Record<string, string> | null {
  const got = (req.method ?? "GET").toUpperCase();
  const want = method.toUpperCase();
  // HEAD is GET without the body (Node's server leaves the body out): load balancers probe with it.
  if (got !== want && !(got === "HEAD" && want === "GET")) return null;
  let path = requestUrl(req).pathname;
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const wantParts = pattern.split("/");
  const gotParts = path.split("/");
  if (wantParts.length !== gotParts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < wantParts.length; i++) {
    const w = wantParts[i]!;
    const g = gotParts[i]!;
    if (w.startsWith(":")) {
      if (!g) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        // A malformed %-escape matches no route: a 404, not a 500.
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}
