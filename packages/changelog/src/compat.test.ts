import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import reference from "@changesets/changelog-github";
import type { ModCompWithPackage, NewChangesetWithCommit } from "@changesets/types";
import { type GithubApi, startGithubApi } from "@polyglot-changesets/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChangelogFunctions } from "./generator.js";

// Property tests: for generated summaries, commits and options, this generator's lines equal
// @changesets/changelog-github's, byte for byte, with both looking up testkit's GraphQL stand-in. PR numbers
// GitHub does not know are left out: GitHub answers them with an error, which fails changelog-github's whole run
// (version.test.ts covers that case).

const REPO = "o/r";
const sha = (digit: string) => digit.repeat(40);
const WITH_PR = sha("1");
const DIRECT = sha("2");
const UNKNOWN = sha("3");

let github: GithubApi;
let cwd: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  github = await startGithubApi();
  github.addCommit({ repo: REPO, sha: WITH_PR, author: "alice", pr: 1 });
  github.addPullRequest({ repo: REPO, number: 2, author: "bob", mergeCommitSha: sha("4") });
  github.addCommit({ repo: REPO, sha: DIRECT, author: "carol" });
  cwd = await mkdtemp(join(tmpdir(), "changelog-compat-"));
  for (const name of Object.keys(process.env)) if (name.startsWith("GITHUB_")) delete process.env[name];
  Object.assign(process.env, github.env("test-token"));
});

afterAll(async () => {
  process.env = savedEnv;
  await github.close();
  await rm(cwd, { recursive: true, force: true });
});

const login = fc.constantFrom("dev", "o-k", "Mona");
const summaryLine = fc.oneof(
  fc.constantFrom(
    "Fix the parser",
    "Refs #12 and #0 and a#5",
    "See [#3](https://example.com/3) #4",
    "",
    "   ",
  ),
  fc.constantFrom(1, 2).map((number) => `pr: #${number}`),
  fc.constantFrom(1, 2).map((number) => `  Pull Request: ${number}`),
  fc.constantFrom(WITH_PR, DIRECT, UNKNOWN, "abc1234").map((commit) => `commit: ${commit}`),
  login.map((name) => `author: @${name}`),
  login.map((name) => `user: ${name}`),
  fc.string({ maxLength: 12 }).map((text) => `- ${text} #7  `),
);
const summary = fc.array(summaryLine, { minLength: 1, maxLength: 6 }).map((lines) => lines.join("\n"));
const commit = fc.constantFrom(WITH_PR, DIRECT, UNKNOWN, undefined);
const options = fc.record(
  {
    repo: fc.constant(REPO),
    disableThanks: fc.boolean(),
    template: fc.constantFrom(
      "\n\n- {pull} {commit} Thanks {authors}! - {summary}",
      "\n\n- {summary} {ref}",
      "{summary} (thanks {authors}!)   ",
    ),
  },
  { requiredKeys: ["repo"] },
);

function changeset(text: string, sha: string | undefined): NewChangesetWithCommit {
  return { id: "generated", summary: text, releases: [{ name: "pkg", type: "patch" }], commit: sha };
}

describe("byte-compatibility with @changesets/changelog-github", () => {
  it("getReleaseLine", async () => {
    const ours = createChangelogFunctions({ cwd, warn: (message) => expect.fail(message) });
    await fc.assert(
      fc.asyncProperty(summary, commit, options, async (text, sha, opts) => {
        const input = changeset(text, sha);
        const expected = await reference.getReleaseLine(input, "minor", opts);
        expect(await ours.getReleaseLine(input, "minor", opts)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("getDependencyReleaseLine", async () => {
    const ours = createChangelogFunctions({ cwd, warn: (message) => expect.fail(message) });
    const dependency = (name: string) =>
      ({
        name,
        newVersion: "2.0.0",
        dir: cwd,
        packageJson: { name, version: "1.0.0" },
      }) as ModCompWithPackage;
    await fc.assert(
      fc.asyncProperty(
        fc.array(commit, { maxLength: 4 }),
        fc.subarray([dependency("@s/a"), dependency("b")]),
        async (commits, dependencies) => {
          const changesets = commits.map((sha) => changeset("x", sha));
          const expected = await reference.getDependencyReleaseLine(changesets, dependencies, { repo: REPO });
          expect(await ours.getDependencyReleaseLine(changesets, dependencies, { repo: REPO })).toBe(
            expected,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("byte-compatibility on GitHub Enterprise (GITHUB_SERVER_URL, GITHUB_GRAPHQL_URL)", () => {
  let enterprise: GithubApi;
  const before = { ...process.env };

  beforeAll(async () => {
    enterprise = await startGithubApi({ serverUrl: "https://ghe.example.com" });
    enterprise.addCommit({ repo: REPO, sha: sha("5"), author: "erin", pr: 5 });
    Object.assign(process.env, enterprise.env("ghe-token"));
  });

  afterAll(async () => {
    process.env = before;
    await enterprise.close();
  });

  it("links to the enterprise server, looked up at its GraphQL endpoint", async () => {
    const ours = createChangelogFunctions({ cwd, warn: (message) => expect.fail(message) });
    const inputs = [
      changeset("Fix #9", sha("5")),
      changeset("author: dev\ncommit: abcdef0\nDirect", undefined),
      changeset("pr: 5\ncommit: 1234567\nBoth", undefined),
    ];
    const requestsBefore = enterprise.graphqlRequests.length;
    for (const input of inputs) {
      const expected = await reference.getReleaseLine(input, "patch", { repo: REPO });
      expect(await ours.getReleaseLine(input, "patch", { repo: REPO })).toBe(expected);
    }
    expect(await ours.getReleaseLine(inputs[0]!, "patch", { repo: REPO })).toBe(
      `\n\n- [#5](https://ghe.example.com/o/r/pull/5) [\`5555555\`](https://ghe.example.com/o/r/commit/${sha("5")}) Thanks [@erin](https://ghe.example.com/erin)! - Fix [#9](https://ghe.example.com/o/r/issues/9)\n`,
    );
    expect(enterprise.graphqlRequests.length).toBeGreaterThan(requestsBefore);
  });
});
