/**
 * `dim_channel` (DESIGN §6): utm_medium rules first (email campaigns are
 * tagged by medium), then utm_source, then the referrer's host; an outside
 * source no rule knows is `other`; nothing at all is `direct`. A referrer on
 * the event's own host is site navigation, not a source. The warehouse SQL
 * (`guardrail sql`) is generated from these same rules, so keep the logic
 * expressible as a CASE expression.
 */
import type { ChannelsConfig } from "../config/schema.js";

/** Host of a referrer URL, lower-cased, without a leading "www."; "" when none. */
export function referrerHost(referrer: string | undefined): string {
  if (!referrer) return "";
  let host: string;
  try {
    host = new URL(referrer.includes("://") ? referrer : `https://${referrer}`).hostname;
  } catch {
    return "";
  }
  host = host.toLowerCase();
  return host.startsWith("www.") ? host.slice(4) : host;
}

export function hostMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function deriveChannel(props: Record<string, string | undefined>, eventHost: string, channels: ChannelsConfig): string {
  const medium = (props.utm_medium ?? "").trim().toLowerCase();
  const source = (props.utm_source ?? "").trim().toLowerCase();
  let host = referrerHost(props.referrer);
  const own = eventHost.toLowerCase();
  if (host && (host === own || `www.${host}` === own)) host = "";
  if (medium) for (const r of channels.rules) if (r.utm_medium.includes(medium)) return r.channel;
  if (source) for (const r of channels.rules) if (r.utm_source.includes(source)) return r.channel;
  if (host) for (const r of channels.rules) if (r.referrer_hosts.some((d) => hostMatches(host, d))) return r.channel;
  return source || host ? channels.other : channels.direct;
}
