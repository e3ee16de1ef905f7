/** Failed calls are named by their real cause: Octokit reports every network failure as status 500. */
import { describe, expect, it } from "vitest";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { classifyFailure } from "../../src/shared/net-errors.js";
import { logGitHubError } from "../../src/github/octokit.js";
import { describeFailure, fanOut, type FanOutTargets } from "../../src/jobs/fan-out.js";

async function failure(reply: (scope: nock.Interceptor) => nock.Scope): Promise<unknown> {
  reply(nock("https://api.github.com").get("/repos/acme/web"));
  try {
    await new Octokit({ request: { retries: 0 } }).request("GET /repos/acme/web");
  } catch (err) {
    return err;
  }
  throw new Error("the call did not fail");
}

describe("classifyFailure", () => {
  it("tells DNS, TLS, refused connections and real HTTP answers apart", async () => {
    const dns = await failure((s) => s.replyWithError({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND api.github.com" }));
    expect((dns as { status: number }).status).toBe(500); // what Octokit says
    expect(classifyFailure(dns).outcome).toBe("dns");
    expect(classifyFailure(await failure((s) => s.replyWithError({ code: "CERT_HAS_EXPIRED", message: "certificate has expired" }))).text).toBe("TLS error (CERT_HAS_EXPIRED)");
    expect(classifyFailure(await failure((s) => s.replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" }))).outcome).toBe("network");
    expect(classifyFailure(await failure((s) => s.reply(502, "bad gateway"))).text).toBe("HTTP 502");
    expect(classifyFailure(await failure((s) => s.reply(404, { message: "Not Found" }))).outcome).toBe("http_4xx");
  });

  it("a DNS failure is logged as one, not as 'GitHub answered 500'", async () => {
    const err = await failure((s) => s.replyWithError({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND api.github.com" }));
    const lines: string[] = [];
    logGitHubError({ info: () => {}, warn: () => {}, error: (m) => lines.push(m) }, err, {}, "updating the check");
    expect(lines[0]).toMatch(/^guardrail: updating the check failed \(DNS lookup failed \(ENOTFOUND/);
    expect(lines[0]).not.toContain("answered 500");
    expect(describeFailure(err)).toMatch(/^DNS lookup failed/);
  });
});

describe("fan-out", () => {
  it("one slow repository holds up no other", async () => {
    const finished: string[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const targets: FanOutTargets<string> = {
      repos: () => ["acme/slow", "acme/fast"],
      installationId: () => 1,
      label: (r) => r,
      repoSteps: [
        {
          name: "update",
          run: async (_o, repo) => {
            if (repo === "acme/slow") await slow;
            finished.push(repo);
            if (repo === "acme/fast") releaseSlow(); // only possible if fast ran while slow waited
          },
        },
      ],
      datasetSteps: [],
    };
    const outcomes = await fanOut(targets, async () => ({}) as any, { kind: "rejected", dataset: "default", ds: "2026-03-10", result: null }, { info: () => {}, warn: () => {} });
    expect(finished).toEqual(["acme/fast", "acme/slow"]);
    expect(outcomes.map((o) => o.target)).toEqual(["acme/slow", "acme/fast"]);
  });
});
