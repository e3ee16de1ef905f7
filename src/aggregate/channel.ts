/**
 * `dim_channel` (docs/metrics.md): utm_medium rules first (email campaigns are
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

/**
 * The rules as they are compared: event values are lower-cased and referrer
 * hosts lose a leading "www.", so a rule written `utm_source: [LinkedIn]` or
 * `referrer_hosts: [www.youtube.com]` must be too, or it would never match.
 * The warehouse SQL uses the same normalised rules.
 */
export function normalisedRules(channels: ChannelsConfig): ChannelsConfig["rules"] {
  let rules = NORMALISED.get(channels);
  if (!rules) {
    const lower = (xs: string[]) => xs.map((x) => x.trim().toLowerCase()).filter(Boolean);
    rules = channels.rules.map((r) => ({
      ...r,
      utm_source: lower(r.utm_source),
      utm_medium: lower(r.utm_medium),
      referrer_hosts: lower(r.referrer_hosts).map((h) => (h.startsWith("www.") ? h.slice(4) : h)),
    }));
    NORMALISED.set(channels, rules);
  }
  return rules;
}
const NORMALISED = new WeakMap<ChannelsConfig, ChannelsConfig["rules"]>();

export function deriveChannel(props: Record<string, string | undefined>, eventHost: string, channels: ChannelsConfig): string {
  const rules = normalisedRules(channels);
  const medium = (props.utm_medium ?? "").trim().toLowerCase();
  const source = (props.utm_source ?? "").trim().toLowerCase();
  let host = referrerHost(props.referrer);
  const own = eventHost.toLowerCase();
  if (host && (host === own || `www.${host}` === own)) host = "";
  if (medium) for (const r of rules) if (r.utm_medium.includes(medium)) return r.channel;
  if (source) for (const r of rules) if (r.utm_source.includes(source)) return r.channel;
  if (host) for (const r of rules) if (r.referrer_hosts.some((d) => hostMatches(host, d))) return r.channel;
  return source || host ? channels.other : channels.direct;
}
