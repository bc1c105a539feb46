import { getCommitInfo, getPullRequestInfo } from "@changesets/get-github-info";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GithubApi, startGithubApi } from "./github.js";

const REPO = "acme/forge";
const SHA_WITH_PR = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const SHA_DIRECT = "b2c3d4e5f60718293a4b5c6d7e8f901234567890";
const SHA_NO_ACCOUNT = "c3d4e5f60718293a4b5c6d7e8f90123456789012";
const MERGE_SHA = "d4e5f60718293a4b5c6d7e8f9012345678901234";

let api: GithubApi;
const savedEnv = { url: process.env.GITHUB_GRAPHQL_URL, token: process.env.GITHUB_TOKEN };

beforeAll(async () => {
  api = await startGithubApi();
  api.addPullRequest({ repo: REPO, number: 42, author: "pr-author", mergeCommitSha: MERGE_SHA });
  api.addCommit({ repo: REPO, sha: SHA_WITH_PR, author: "committer", pr: 42 });
  api.addCommit({ repo: REPO, sha: SHA_DIRECT, author: "direct-pusher" });
  api.addCommit({ repo: REPO, sha: SHA_NO_ACCOUNT, author: null });
  // @changesets/get-github-info v1 reads both variables when it sends each batch.
  process.env.GITHUB_GRAPHQL_URL = api.graphqlUrl;
  process.env.GITHUB_TOKEN = "ghs_test_token";
});

afterAll(async () => {
  restoreEnv("GITHUB_GRAPHQL_URL", savedEnv.url);
  restoreEnv("GITHUB_TOKEN", savedEnv.token);
  await api.close();
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

async function graphql(query: string, variables?: Record<string, unknown>, token = "any") {
  const response = await fetch(api.graphqlUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("GraphQL for @changesets/get-github-info", () => {
  it("answers a commit lookup with its pull request and the PR's author", async () => {
    const info = await getCommitInfo({ repo: REPO, commit: SHA_WITH_PR });
    expect(info).toEqual({
      commit: {
        sha: SHA_WITH_PR,
        url: `https://github.com/${REPO}/commit/${SHA_WITH_PR}`,
        markdownLink: `[\`a1b2c3d\`](https://github.com/${REPO}/commit/${SHA_WITH_PR})`,
      },
      author: {
        login: "pr-author",
        url: "https://github.com/pr-author",
        markdownLink: "[@pr-author](https://github.com/pr-author)",
      },
      pull: {
        number: 42,
        url: `https://github.com/${REPO}/pull/42`,
        markdownLink: `[#42](https://github.com/${REPO}/pull/42)`,
      },
    });
  });

  it("falls back to the commit author without a PR, and to none without an account", async () => {
    const [direct, anonymous] = await Promise.all([
      getCommitInfo({ repo: REPO, commit: SHA_DIRECT }),
      getCommitInfo({ repo: REPO, commit: SHA_NO_ACCOUNT }),
    ]);
    expect(direct?.author?.login).toBe("direct-pusher");
    expect(direct?.pull).toBeUndefined();
    expect(anonymous?.commit.sha).toBe(SHA_NO_ACCOUNT);
    expect(anonymous?.author).toBeUndefined();
  });

  it("answers a pull request lookup with its merge commit", async () => {
    const info = await getPullRequestInfo({ repo: REPO, pull: 42 });
    expect(info?.author?.login).toBe("pr-author");
    expect(info?.pull.url).toBe(`https://github.com/${REPO}/pull/42`);
    expect(info?.commit).toEqual({
      sha: MERGE_SHA.slice(0, 7),
      url: `https://github.com/${REPO}/commit/${MERGE_SHA}`,
      markdownLink: `[\`d4e5f60\`](https://github.com/${REPO}/commit/${MERGE_SHA})`,
    });
  });

  it("returns nothing for an unknown commit, and fails like GitHub for an unknown PR", async () => {
    expect(await getCommitInfo({ repo: REPO, commit: "f".repeat(40) })).toBeUndefined();
    await expect(getPullRequestInfo({ repo: REPO, pull: 4040 })).rejects.toThrow(
      "Could not resolve to a PullRequest with the number of 4040.",
    );
  });

  it("batches many lookups into few requests (50 per request)", async () => {
    const shas = Array.from({ length: 120 }, (_, index) => `e${String(index).padStart(39, "0")}`);
    for (const [index, sha] of shas.entries()) api.addCommit({ repo: REPO, sha, author: `user${index}` });
    const before = api.graphqlRequests.length;
    const infos = await Promise.all(shas.map((commit) => getCommitInfo({ repo: REPO, commit })));
    expect(api.graphqlRequests.length - before).toBe(3);
    expect(infos.map((info) => info?.author?.login)).toEqual(shas.map((_, index) => `user${index}`));
    const lastQuery = JSON.parse(api.graphqlRequests.at(-1)?.body.toString() ?? "{}") as { query: string };
    expect(lastQuery.query).toContain(`commit__${shas[119]}: object(expression: "${shas[119]}")`);
  });

  it("sends the token as `Token <t>` and gets a rate-limit 403 when armed", async () => {
    expect(api.graphqlRequests.at(-1)?.headers.authorization).toBe("Token ghs_test_token");
    api.rateLimit({ times: 1 });
    const limited = await graphql('{ repository(owner: "acme", name: "forge") { name } }');
    expect(limited.status).toBe(403);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await graphql('{ repository(owner: "acme", name: "forge") { name } }')).status).toBe(200);
  });

  it("refuses requests without a token with 401", async () => {
    const response = await fetch(api.graphqlUrl, {
      method: "POST",
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(response.status).toBe(401);
  });
});

describe("GraphQL reader", () => {
  it("handles variables, named and inline fragments, aliases and __typename", async () => {
    const { body } = await graphql(
      `query Lookup($owner: String!, $sha: GitObjectID = "${SHA_WITH_PR}") {
        r: repository(owner: $owner, name: "forge") {
          __typename
          c: object(oid: $sha) { ... on Commit { ...Bits } ... on Tree { id } }
        }
      }
      fragment Bits on Commit { oid short: abbreviatedOid author { user { login } } }`,
      { owner: "acme" },
    );
    expect(body).toEqual({
      data: {
        r: {
          __typename: "Repository",
          c: { oid: SHA_WITH_PR, short: "a1b2c3d", author: { user: { login: "committer" } } },
        },
      },
    });
  });

  it("answers the a0/a1 alias shape of get-github-info 0.x (@changesets/changelog-github)", async () => {
    const query = `query {
      a0: repository(owner: "acme", name: "forge") {
        a0: object(expression: "${SHA_WITH_PR}") {
          ... on Commit {
            commitUrl
            associatedPullRequests(first: 50) { nodes { number url mergedAt author { login url } } }
            author { user { login url } }
          }
        }
        pr__42: pullRequest(number: 42) { url author { login url } mergeCommit { commitUrl abbreviatedOid } }
      }
    }`;
    const { body } = await graphql(query);
    const repo = (body.data as Record<string, Record<string, Record<string, unknown>>>).a0;
    expect(repo?.a0?.commitUrl).toBe(`https://github.com/${REPO}/commit/${SHA_WITH_PR}`);
    expect(repo?.a0?.associatedPullRequests).toEqual({
      nodes: [
        {
          number: 42,
          url: `https://github.com/${REPO}/pull/42`,
          mergedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          author: { login: "pr-author", url: "https://github.com/pr-author" },
        },
      ],
    });
    expect(repo?.pr__42?.mergeCommit).toEqual({
      commitUrl: `https://github.com/${REPO}/commit/${MERGE_SHA}`,
      abbreviatedOid: "d4e5f60",
    });
  });

  it("resolves unambiguous abbreviated SHAs like git", async () => {
    const { body } = await graphql(
      `{ repository(owner: "acme", name: "forge") { object(expression: "b2c3d4e") { ... on Commit { oid } } } }`,
    );
    expect(body).toEqual({ data: { repository: { object: { oid: SHA_DIRECT } } } });
  });

  it("answers unknown fields and syntax errors with errors and no data", async () => {
    const unknown = await graphql(`{ repository(owner: "acme", name: "forge") { stargazerz } }`);
    expect(unknown.body).toEqual({
      errors: [{ message: "Field 'stargazerz' doesn't exist on type 'Repository'" }],
    });
    const broken = await graphql("{ repository(owner: ");
    expect(broken.body.data).toBeUndefined();
    expect((broken.body.errors as Array<{ message: string }>)[0]?.message).toMatch(/^Parse error/);
  });

  it("answers an unknown repository with a null field and a NOT_FOUND error", async () => {
    const { body } = await graphql(`{ repository(owner: "acme", name: "nope") { name } }`);
    expect(body).toEqual({
      data: { repository: null },
      errors: [
        {
          type: "NOT_FOUND",
          path: ["repository"],
          message: "Could not resolve to a Repository with the name 'acme/nope'.",
        },
      ],
    });
  });
});

describe("workflow dispatch", () => {
  let github: GithubApi;
  const dispatchUrl = (file: string, repo = REPO) =>
    `${github.apiUrl}/repos/${repo}/actions/workflows/${file}/dispatches`;

  beforeAll(async () => {
    github = await startGithubApi();
    github.addWorkflow({
      repo: REPO,
      file: "publish-pypi.yml",
      inputs: ["packages", "dry-run"],
      refs: ["v1.2.0"],
    });
    github.addToken("writer", { permissions: { actions: "write", contents: "read" } });
    github.addToken("reader", { permissions: { actions: "read", contents: "write" } });
  });
  afterAll(() => github.close());

  function dispatch(url: string, body: unknown, token = "writer") {
    return fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  }

  it("accepts a dispatch with known inputs (204) and records it", async () => {
    const inputs = { packages: '[{"name":"event-forge","version":"1.2.0"}]' };
    const response = await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "refs/heads/main", inputs });
    expect(response.status).toBe(204);
    expect(github.dispatches).toEqual([
      { repo: REPO, workflow: "publish-pypi.yml", ref: "refs/heads/main", inputs },
    ]);
  });

  it("takes the workflow's numeric id and a tag ref too", async () => {
    const id = github.addWorkflow({ repo: REPO, file: "other.yml" });
    expect((await dispatch(dispatchUrl(String(id)), { ref: "main" })).status).toBe(204);
    expect((await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "refs/tags/v1.2.0" })).status).toBe(204);
  });

  it("answers 404 for an unregistered workflow or repository", async () => {
    expect((await dispatch(dispatchUrl("missing.yml"), { ref: "main" })).status).toBe(404);
    expect((await dispatch(dispatchUrl("publish-pypi.yml", "acme/other"), { ref: "main" })).status).toBe(404);
  });

  it("answers 403 for a token without actions: write and 401 for an unknown token", async () => {
    const forbidden = await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "main" }, "reader");
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toBe(
      "Resource not accessible by integration",
    );
    expect((await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "main" }, "stranger")).status).toBe(401);
  });

  it("answers 422 for unexpected inputs, an unknown ref or no ref", async () => {
    const unexpected = await dispatch(dispatchUrl("publish-pypi.yml"), {
      ref: "main",
      inputs: { packages: "[]", foo: "1", bar: "2" },
    });
    expect(unexpected.status).toBe(422);
    expect(((await unexpected.json()) as { message: string }).message).toBe(
      'Unexpected inputs provided: ["foo","bar"]',
    );
    const unknownRef = await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "nope" });
    expect(unknownRef.status).toBe(422);
    expect(((await unknownRef.json()) as { message: string }).message).toBe("No ref found for: nope");
    expect((await dispatch(dispatchUrl("publish-pypi.yml"), { inputs: {} })).status).toBe(422);
    expect(github.dispatches).toHaveLength(3);
  });

  it("gives a rate-limited REST answer when armed", async () => {
    github.rateLimit({ resource: "core" });
    const response = await dispatch(dispatchUrl("publish-pypi.yml"), { ref: "main" });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
  });

  it("exposes the environment a job sees", () => {
    expect(github.env("t")).toEqual({
      GITHUB_API_URL: github.url.slice(0, -1),
      GITHUB_GRAPHQL_URL: `${github.url}graphql`,
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_TOKEN: "t",
    });
  });
});
