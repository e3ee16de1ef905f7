import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isOverridden, recordPrHead } from "../../src/store/repos.js";
import { API, REPO, commentPayload, deliver, failingEvaluation, harness, mockRepoConfig, nock, type Harness } from "./helpers.js";

const HEAD = "3333333333333333333333333333333333333333";

function permission(user: string, permission: string, role_name = permission) {
  return nock(API).get(`/repos/${REPO}/collaborators/${user}/permission`).reply(200, { permission, role_name, user: { login: user } });
}

describe("/guardrail comments", () => {
  let h: Harness;
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(failingEvaluation());
  });
  afterEach(() => {
    nock.cleanAll();
    h.cleanup();
  });

  it("override by a maintainer: +1, recorded, and the check passes saying who, when and why", async () => {
    const perm = permission("maria", "write", "maintain");
    const reactions: any[] = [];
    const bodies: any[] = [];
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, (b) => (reactions.push(b), true))
      .reply(201, {})
      .get(`/repos/${REPO}/pulls/9`)
      .reply(200, { number: 9, title: "Tweak footer", body: null, head: { sha: HEAD } })
      .post(`/repos/${REPO}/check-runs`, (b) => (bodies.push(b), true))
      .reply(201, { id: 90 })
      .patch(`/repos/${REPO}/check-runs/90`, (b) => (bodies.push(b), true))
      .reply(200, { id: 90 });
    const cfg = mockRepoConfig(null);
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail override holiday dip, agreed with growth"));
    expect(perm.isDone() && gh.isDone() && cfg.isDone()).toBe(true);
    expect(reactions).toEqual([{ content: "+1" }]);
    const o = isOverridden(h.db, REPO, HEAD);
    expect(o).toMatchObject({ actor: "maria", reason: "holiday dip, agreed with growth", prNumber: 9 });
    expect(bodies[0].head_sha).toBe(HEAD);
    expect(bodies[1].conclusion).toBe("success");
    expect(bodies[1].output.title).toBe("Passing by override of @maria: signup_conversion_rate −38 % on 2026-11-05");
    expect(bodies[1].output.summary).toContain(`**Overridden** by @maria at ${o!.createdAt}: holiday dip, agreed with growth`);
    // Another commit is not covered by this override.
    expect(isOverridden(h.db, REPO, "4".repeat(40))).toBeNull();
  });

  it("an override covers the head the comment was written against, not a commit pushed after it", async () => {
    const seen = "5".repeat(40);
    // The PR's heads as the pull_request events reported them; the comment falls between the two pushes.
    recordPrHead(h.db, REPO, 9, seen, "2026-11-25T10:00:00Z");
    recordPrHead(h.db, REPO, 9, HEAD, "2026-11-25T10:05:00Z");
    const payload = commentPayload(9, "/guardrail override holiday dip");
    payload.comment.created_at = "2026-11-25T10:04:30Z";
    permission("maria", "write");
    const comments: any[] = [];
    const runs: Record<string, any[]> = { [seen]: [], [HEAD]: [] };
    const ids: Record<number, string> = { 92: seen, 93: HEAD };
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "+1" })
      .reply(201, {})
      .get(`/repos/${REPO}/pulls/9`)
      .reply(200, { number: 9, title: "Tweak footer", body: null, head: { sha: HEAD } })
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {})
      .post(`/repos/${REPO}/check-runs`, (b) => (runs[b.head_sha].push(b), true))
      .times(2)
      .reply(201, (_uri, b: any) => ({ id: b.head_sha === seen ? 92 : 93 }))
      .patch(/\/check-runs\/9[23]$/, () => true)
      .times(2)
      .reply(200, function (uri, b: any) {
        runs[ids[Number(uri.split("/").pop())]].push(b);
        return {};
      });
    mockRepoConfig(null);
    mockRepoConfig(null);
    await deliver(h.probot, "issue_comment", payload);
    expect(gh.isDone()).toBe(true);
    expect(isOverridden(h.db, REPO, seen)).toMatchObject({ actor: "maria", reason: "holiday dip" });
    expect(isOverridden(h.db, REPO, HEAD)).toBeNull();
    expect(comments[0].body).toBe(
      "@maria, this override applies to 5555555, the head of this pull request when you commented. " +
        "3333333 was pushed after that and is checked on its own: if it should pass too, comment `/guardrail override <reason>` again.",
    );
    expect(runs[seen].at(-1).conclusion).toBe("success");
    expect(runs[HEAD].at(-1).conclusion).toBe("failure");
  });

  it("recheck by an admin: eyes, then the check is evaluated again", async () => {
    permission("root", "admin");
    const reactions: any[] = [];
    const bodies: any[] = [];
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, (b) => (reactions.push(b), true))
      .reply(201, {})
      .get(`/repos/${REPO}/pulls/9`)
      .reply(200, { number: 9, title: "x", body: null, head: { sha: HEAD } })
      .post(`/repos/${REPO}/check-runs`, (b) => (bodies.push(b), true))
      .reply(201, { id: 91 })
      .patch(`/repos/${REPO}/check-runs/91`, (b) => (bodies.push(b), true))
      .reply(200, { id: 91 });
    mockRepoConfig(null);
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail recheck", { login: "root" }));
    expect(gh.isDone()).toBe(true);
    expect(reactions).toEqual([{ content: "eyes" }]);
    expect(bodies[1].conclusion).toBe("failure");
  });

  it("refuses politely without write permission, and records nothing", async () => {
    for (const [user, level] of [["guest", "read"], ["tri", "triage"], ["nobody", "none"]] as const) {
      const perm = permission(user, level);
      const reactions: any[] = [];
      const comments: any[] = [];
      const gh = nock(API)
        .post(`/repos/${REPO}/issues/comments/777/reactions`, (b) => (reactions.push(b), true))
        .reply(201, {})
        .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
        .reply(201, {});
      await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail override ship it", { login: user }));
      expect(perm.isDone() && gh.isDone()).toBe(true);
      expect(reactions).toEqual([{ content: "confused" }]);
      expect(comments[0].body).toBe(
        `Sorry @${user}, only people with write, maintain or admin permission on this repository can use \`/guardrail override\`. A maintainer can run it for you.`,
      );
    }
    expect(h.db.prepare("SELECT count(*) AS n FROM overrides").get()).toEqual({ n: 0 });
  });

  it("an override without a reason asks for one", async () => {
    permission("maria", "write");
    const comments: any[] = [];
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "confused" })
      .reply(201, {})
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {});
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail override   "));
    expect(gh.isDone()).toBe(true);
    expect(comments[0].body).toMatch(/^@maria, an override needs a reason/);
    expect(h.db.prepare("SELECT count(*) AS n FROM overrides").get()).toEqual({ n: 0 });
  });

  it("help answers anyone; an unknown command is explained only to people with write permission", async () => {
    const comments: any[] = [];
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "+1" })
      .reply(201, {})
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {})
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "confused" })
      .reply(201, {})
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {});
    const perm = permission("maria", "write");
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail help"));
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail frobnicate"));
    expect(gh.isDone()).toBe(true);
    expect(perm.isDone()).toBe(true);
    expect(comments[0].body).toContain("`/guardrail override <reason>`");
    expect(comments[1].body).toMatch(/^I don't know `\/guardrail frobnicate`/);

    // A drive-by commenter typing nonsense (at any length) gets a reaction and no reply.
    const guestPerm = permission("guest", "read");
    const confused = nock(API).post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "confused" }).reply(201, {});
    await deliver(h.probot, "issue_comment", commentPayload(9, `/guardrail @everyone${"x".repeat(5000)}`, { login: "guest" }));
    expect(guestPerm.isDone() && confused.isDone()).toBe(true);
    expect(comments.length).toBe(2);
  });

  it("an unknown command's reply is short and inert, whatever was typed", async () => {
    const comments: any[] = [];
    permission("maria", "write");
    nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "confused" })
      .reply(201, {})
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {});
    await deliver(h.probot, "issue_comment", commentPayload(9, `/guardrail @octocat\`[x](https://evil.example)${"y".repeat(5000)}`));
    const body: string = comments[0].body;
    expect(body.length).toBeLessThanOrEqual(2000);
    // The word is in a code span (mentions and links inert there) and cut to 40 characters.
    expect(body.startsWith("I don't know ``/guardrail @octocat`[x](https://evil.example)yyyyy…``.")).toBe(true);
  });

  it("ignores bots (itself included), plain issues, edits and ordinary comments", async () => {
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail override x", { login: "guardrail[bot]", type: "Bot" }));
    const issue = commentPayload(9, "/guardrail recheck");
    delete issue.issue.pull_request;
    await deliver(h.probot, "issue_comment", issue);
    const edited = { ...commentPayload(9, "/guardrail recheck"), action: "edited" };
    await deliver(h.probot, "issue_comment", edited);
    await deliver(h.probot, "issue_comment", commentPayload(9, "LGTM"));
    // No nock scope defined: any GitHub request would have failed with a disallowed net connect.
    expect(h.logs.filter((l) => l.level === "error")).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("refuses politely when GitHub does not know the commenter as a collaborator (404)", async () => {
    const perm = nock(API).get(`/repos/${REPO}/collaborators/drive-by/permission`).reply(404, { message: "Not Found" });
    const comments: any[] = [];
    const gh = nock(API)
      .post(`/repos/${REPO}/issues/comments/777/reactions`, { content: "confused" })
      .reply(201, {})
      .post(`/repos/${REPO}/issues/9/comments`, (b) => (comments.push(b), true))
      .reply(201, {});
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail override ship it", { login: "drive-by" }));
    expect(perm.isDone() && gh.isDone()).toBe(true);
    expect(comments[0].body).toMatch(/^Sorry @drive-by, only people with write, maintain or admin permission/);
    expect(h.db.prepare("SELECT count(*) AS n FROM overrides").get()).toEqual({ n: 0 });
  });

  it("a failing permission lookup is logged and does not crash", async () => {
    const gh = nock(API).get(`/repos/${REPO}/collaborators/maria/permission`).reply(500, { message: "boom" });
    await deliver(h.probot, "issue_comment", commentPayload(9, "/guardrail recheck"));
    expect(gh.isDone()).toBe(true);
    expect(h.logs.find((l) => l.level === "error")?.obj).toMatchObject({ repo: REPO, pr: 9, status: 500, event: "issue_comment" });
  });
});
