/**
 * `dim_channel` (docs/metrics.md, "Channels and visits"): utm_medium rules
 * first (email campaigns are tagged by medium), then utm_source, then the
 * referrer's host; an outside source no rule knows is `other`; nothing at
 * all is `direct`. A referrer on one of the site's own hosts is navigation,
 * not a source. The channel is the visit's (visits.ts). The warehouse SQL
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
    // Trackers write junk referrers ("android-app://…" fragments, bare words): no host, the row stays valid.
    return "";
  }
  return stripWww(host.toLowerCase());
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

/**
 * The channel of one event judged on its own (its own host the only site
 * host): what the raw block stores beside the visit's channel. Visits
 * (src/aggregate/visits.ts) decide the dim_channel every reader sees.
 */
export function deriveChannel(props: Record<string, string | undefined>, eventHost: string, channels: ChannelsConfig): string {
  const { medium, source, refHost } = sourceParts(props);
  const own = stripWww(eventHost.toLowerCase());
  return channelOfParts(medium, source, refHost && hostMatches(refHost, own) ? "" : refHost, channels);
}

/** What an event says about where it came from: utm_medium and utm_source lower-cased and trimmed, and the referrer's host. */
export interface SourceParts {
  medium: string;
  source: string;
  refHost: string;
}

export function sourceParts(props: Record<string, string | undefined>): SourceParts {
  return {
    medium: (props.utm_medium ?? "").trim().toLowerCase(),
    source: (props.utm_source ?? "").trim().toLowerCase(),
    refHost: referrerHost(props.referrer),
  };
}

/** Separates the parts of a source key; the warehouse SQL builds the same text (src/warehouse/sql.ts). */
export const SOURCE_SEP = "|";

/** `medium|source|refHost`, or "" for an event that names no source at all. */
export function sourceKey(p: SourceParts): string {
  return p.medium || p.source || p.refHost ? `${p.medium}${SOURCE_SEP}${p.source}${SOURCE_SEP}${p.refHost}` : "";
}

export function partsOfKey(key: string): SourceParts {
  const [medium = "", source = "", refHost = ""] = key.split(SOURCE_SEP);
  return { medium, source, refHost };
}

/**
 * The rules on an outside source: utm_medium rules, then utm_source, then
 * the referrer's host; a tagged or referred source no rule knows is `other`
 * (a tagged visit is never direct); nothing at all is `direct`.
 */
export function channelOfParts(medium: string, source: string, host: string, channels: ChannelsConfig): string {
  const rules = normalisedRules(channels);
  if (medium) for (const r of rules) if (r.utm_medium.includes(medium)) return r.channel;
  if (source) for (const r of rules) if (r.utm_source.includes(source)) return r.channel;
  if (host) for (const r of rules) if (r.referrer_hosts.some((d) => hostMatches(host, d))) return r.channel;
  return medium || source || host ? channels.other : channels.direct;
}

export function stripWww(host: string): string {
  return host.startsWith("www.") ? host.slice(4) : host;
}

/**
 * The site's own hosts: every dim_hostname of the day and `own_hosts`, each
 * without a leading "www.", subdomains included, so navigation from
 * learn.example.com to www.example.com is never a source.
 */
export class OwnHosts {
  private readonly domains: string[];
  private readonly memo = new Map<string, boolean>();
  constructor(hostnames: Iterable<string>, extra: readonly string[] = []) {
    const set = new Set<string>();
    for (const h of hostnames) set.add(stripWww(h.toLowerCase()));
    for (const h of extra) set.add(stripWww(h.trim().toLowerCase()));
    this.domains = [...set].filter(Boolean);
  }
  has(refHost: string): boolean {
    if (!refHost) return false;
    let own = this.memo.get(refHost);
    if (own === undefined) {
      own = this.domains.some((d) => hostMatches(refHost, d));
      this.memo.set(refHost, own);
    }
    return own;
  }
  /** The source key once own-host referrers are navigation: "" when nothing outside remains. */
  outsideKey(key: string): string {
    if (!key) return "";
    const p = partsOfKey(key);
    return this.has(p.refHost) ? sourceKey({ ...p, refHost: "" }) : key;
  }
}
