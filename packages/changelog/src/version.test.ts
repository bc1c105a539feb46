import { type GithubApi, startGithubApi } from "@polyglot-changesets/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, type FixtureRepo, type RunResult } from "./__fixtures__/fixture-repo.js";

// The real `changeset version` (Changesets v3 CLI) in temp git repos, once with @changesets/changelog-github and
// once with this generator, against testkit's GitHub GraphQL stand-in.

const REPO = "o/r";
const GH = `https://github.com/${REPO}`;
const OURS = ["@polyglot-changesets/changelog", { repo: REPO }];
const REFERENCE = ["@changesets/changelog-github", { repo: REPO }];
const WARNING = "warning: @polyglot-changesets/changelog:";

const WORKSPACE = {
  "package.json": JSON.stringify({ name: "fixture", private: true, workspaces: ["packages/*"] }),
  // Manypkg recognises an npm workspace by its lockfile.
  "package-lock.json": JSON.stringify({ name: "fixture", lockfileVersion: 3, packages: {} }),
  "packages/core/package.json": JSON.stringify({ name: "@fx/core", version: "1.0.0" }),
  "packages/app/package.json": JSON.stringify({
    name: "@fx/app",
    version: "1.0.0",
    dependencies: { "@fx/core": "^1.0.0" },
  }),
};
const CHANGELOGS = ["packages/core/CHANGELOG.md", "packages/app/CHANGELOG.md"];

let github: GithubApi;
const repos: FixtureRepo[] = [];

beforeAll(async () => {
  github = await startGithubApi();
});
afterAll(async () => {
  await github.close();
  await Promise.all(repos.map((repo) => repo.remove()));
});
afterEach(() => {
  github.faults.clear();
});

async function fixture(): Promise<FixtureRepo> {
  const repo = await createFixtureRepo(WORKSPACE);
  repos.push(repo);
  return repo;
}

function online(): NodeJS.ProcessEnv {
  return github.env("test-token");
}

async function versionWith(repo: FixtureRepo, changelog: unknown, env: NodeJS.ProcessEnv) {
  await repo.restore();
  await repo.writeConfig(changelog);
  const result = await repo.changesetVersion(env);
  const files = await Promise.all(CHANGELOGS.map((path) => repo.read(path).catch(() => "(missing)")));
  return { result, files };
}

function warnings(result: RunResult): string[] {
  return result.stderr.split("\n").filter((line) => line.includes(WARNING));
}

function link(sha: string): string {
  return `[\`${sha.slice(0, 7)}\`](${GH}/commit/${sha})`;
}

/** Changesets covering every override of changelog-github, multi-line summaries and issue references. */
async function compatFixture() {
  const repo = await fixture();
  const plain = await repo.addChangeset("plain", { "@fx/core": "minor" }, "Add the plain feature");
  github.addCommit({ repo: REPO, sha: plain, author: "alice", pr: 10 });
  const viaPr = await repo.addChangeset("via-pr", { "@fx/core": "patch" }, "pr: #20\nFix with a PR override");
  github.addPullRequest({ repo: REPO, number: 20, author: "bob", mergeCommitSha: "20".repeat(20) });
  const authors = await repo.addChangeset(
    "authors",
    { "@fx/app": "patch" },
    `commit: ${plain}\nauthor: @carol\nauthor: dave\nFix #5, see [#6](https://example.com/6)\n\nSecond paragraph #7\n- item`,
  );
  const direct = await repo.addChangeset("direct", { "@fx/app": "major" }, "Breaking change pushed directly");
  github.addCommit({ repo: REPO, sha: direct, author: "erin" });
  const unknown = await repo.addChangeset("unpushed", { "@fx/core": "patch" }, "Commit GitHub does not know");
  const both = await repo.addChangeset(
    "both",
    { "@fx/app": "minor" },
    "pr: 20\ncommit: abcdef1234567\nBoth overrides",
  );
  return { repo, shas: { plain, viaPr, authors, direct, unknown, both } };
}

describe("changeset version online", () => {
  it("writes byte for byte what @changesets/changelog-github writes", async () => {
    const { repo, shas } = await compatFixture();
    const reference = await versionWith(repo, REFERENCE, online());
    const ours = await versionWith(repo, OURS, online());

    expect(reference.result.exitCode).toBe(0);
    expect(ours.result.exitCode).toBe(0);
    expect(warnings(ours.result)).toEqual([]);
    expect(ours.files).toEqual(reference.files);
    expect(ours.files[0]).toBe(
      [
        "# @fx/core",
        "",
        "## 1.1.0",
        "",
        "### Minor Changes",
        "",
        `- [#10](${GH}/pull/10) ${link(shas.plain)} Thanks [@alice](https://github.com/alice)! - Add the plain feature`,
        "",
        "### Patch Changes",
        "",
        "- Commit GitHub does not know",
        "",
        `- [#20](${GH}/pull/20) ${link("20".repeat(20))} Thanks [@bob](https://github.com/bob)! - Fix with a PR override`,
        "",
      ].join("\n"),
    );
    expect(ours.files[1]).toContain(
      `- [#10](${GH}/pull/10) ${link(shas.plain)} Thanks [@carol](https://github.com/carol), [@dave](https://github.com/dave)! - Fix [#5](${GH}/issues/5), see [#6](https://example.com/6)\n  \n  Second paragraph [#7](${GH}/issues/7)\n  - item`,
    );
    expect(ours.files[1]).toContain(
      `- Updated dependencies [${link(shas.plain)}, \`${shas.unknown.slice(0, 7)}\`, \`${shas.viaPr.slice(0, 7)}\`]:\n  - @fx/core@1.1.0`,
    );
  });

  it("looks 120 changesets up in 3 GraphQL requests, as changelog-github does", async () => {
    const repo = await fixture();
    for (let index = 0; index < 120; index++) {
      const sha = await repo.addChangeset(
        `change-${index}`,
        { "@fx/core": "patch" },
        `Change number ${index}`,
      );
      github.addCommit({ repo: REPO, sha, author: `dev${index}` });
    }
    const before = github.graphqlRequests.length;
    const reference = await versionWith(repo, REFERENCE, online());
    const afterReference = github.graphqlRequests.length;
    const ours = await versionWith(repo, OURS, online());

    expect(afterReference - before).toBe(3);
    expect(github.graphqlRequests.length - afterReference).toBe(3);
    expect(ours.result.exitCode).toBe(0);
    expect(ours.files).toEqual(reference.files);
    expect(ours.files[0]).toContain("Thanks [@dev119](https://github.com/dev119)! - Change number 119");

    // One of the three batches fails: its lines are written offline, the others keep their lookups.
    github.faults.add({ path: "/graphql", nth: 2, status: 502 });
    const partial = await versionWith(repo, OURS, online());
    const lines = (partial.files[0] ?? "").split("\n").filter((line) => line.startsWith("- "));
    const thanked = lines.filter((line) => line.includes("Thanks [@dev"));
    expect(partial.result.exitCode).toBe(0);
    expect(warnings(partial.result)).toHaveLength(1);
    expect(lines).toHaveLength(120);
    expect(lines.every((line) => line.includes(`](${GH}/commit/`))).toBe(true);
    expect([70, 100]).toContain(thanked.length);
  }, 120_000);
});

describe("changeset version when GitHub does not know a pr: number", () => {
  it("changelog-github fails the run; this generator goes on with offline lines and one warning", async () => {
    const { repo } = await compatFixture();
    const sha = await repo.addChangeset(
      "bad-pr",
      { "@fx/core": "patch" },
      "pr: #404\nA typo in the PR number",
    );
    const reference = await versionWith(repo, REFERENCE, online());
    const ours = await versionWith(repo, OURS, online());
    expect(reference.result.exitCode).toBe(1);
    expect(reference.result.stdout).toContain("Could not resolve to a PullRequest with the number of 404");
    expect(ours.result.exitCode).toBe(0);
    expect(ours.files[0]).toContain(`- [#404](${GH}/pull/404) ${link(sha)} - A typo in the PR number`);
    expect(warnings(ours.result)).toHaveLength(1);
    expect(warnings(ours.result)[0]).toContain("Could not resolve to a PullRequest with the number of 404");
  });
});

describe("changeset version offline", () => {
  let repo: FixtureRepo;
  let shas: Awaited<ReturnType<typeof compatFixture>>["shas"];
  let offlineFiles: string[];

  beforeAll(async () => {
    ({ repo, shas } = await compatFixture());
  });

  it("without GITHUB_TOKEN: commit links, no thanks, one warning (an annotation in Actions), exit 0", async () => {
    const { result, files } = await versionWith(repo, OURS, { GITHUB_ACTIONS: "true" });
    expect(result.exitCode).toBe(0);
    expect(warnings(result)).toHaveLength(1);
    expect(
      result.stdout.match(/^::warning title=Changelog without GitHub lookups::.*GITHUB_TOKEN is not set/gm),
    ).toHaveLength(1);
    expect(warnings(result)[0]).toContain("GITHUB_TOKEN is not set");
    expect(files[0]).toBe(
      [
        "# @fx/core",
        "",
        "## 1.1.0",
        "",
        "### Minor Changes",
        "",
        `- ${link(shas.plain)} - Add the plain feature`,
        "",
        "### Patch Changes",
        "",
        `- ${link(shas.unknown)} - Commit GitHub does not know`,
        "",
        `- [#20](${GH}/pull/20) ${link(shas.viaPr)} - Fix with a PR override`,
        "",
      ].join("\n"),
    );
    expect(files[1]).toContain(`- ${link(shas.direct)} - Breaking change pushed directly`);
    expect(files[1]).toContain(
      `- Updated dependencies [${link(shas.plain)}, ${link(shas.unknown)}, ${link(shas.viaPr)}]:\n  - @fx/core@1.1.0`,
    );
    offlineFiles = files;
  });

  it.each([
    ["HTTP 500", { status: 500 }, "missing data"],
    ["a dropped connection", { drop: true }, "Failed to fetch data from GitHub"],
  ])("when the API answers %s: the offline output, one warning, exit 0", async (_name, fault, reason) => {
    github.faults.add({ path: "/graphql", ...fault });
    const { result, files } = await versionWith(repo, OURS, online());
    expect(result.exitCode).toBe(0);
    expect(files).toEqual(offlineFiles);
    expect(warnings(result)).toHaveLength(1);
    expect(warnings(result)[0]).toContain("the GitHub API lookup failed");
    expect(warnings(result)[0]).toContain(reason);
  });

  it("when the API answers 403 rate limit: the offline output, one warning, exit 0", async () => {
    github.rateLimit({ resource: "graphql" });
    const { result, files } = await versionWith(repo, OURS, online());
    expect(result.exitCode).toBe(0);
    expect(files).toEqual(offlineFiles);
    expect(warnings(result)).toHaveLength(1);
    expect(warnings(result)[0]).toContain("API rate limit exceeded");
  });

  it("with a bare module name (null options): the repo from the origin remote", async () => {
    await repo.git("remote", "add", "origin", "git@github.com:o/r.git");
    const { result, files } = await versionWith(repo, "@polyglot-changesets/changelog", {});
    await repo.git("remote", "remove", "origin");
    expect(result.exitCode).toBe(0);
    expect(files).toEqual(offlineFiles);
    expect(warnings(result)).toHaveLength(1);
  });

  it("fails the run on a config error, naming the option, before writing anything", async () => {
    const { result } = await versionWith(
      repo,
      ["@polyglot-changesets/changelog", { repo: REPO, thanks: false }],
      {},
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      '.changeset/config.json: @polyglot-changesets/changelog option "thanks": unknown option',
    );
    expect(await repo.git("status", "--porcelain")).toBe("");
  });
});

describe("changeset version in pre mode", () => {
  it("renders the pre/<name> changesets of the release after `pre exit`", async () => {
    const repo = await fixture();
    await repo.writeConfig(OURS);
    expect((await repo.changeset(["pre", "enter", "next"])).exitCode).toBe(0);
    await repo.commit({}, "pre enter");
    const sha = await repo.addChangeset("first", { "@fx/core": "minor" }, "First in pre");
    expect((await repo.changesetVersion({})).exitCode).toBe(0);
    await repo.commit({}, "version next");
    expect((await repo.changeset(["pre", "exit"])).exitCode).toBe(0);
    await repo.commit({}, "pre exit");
    const result = await repo.changesetVersion({});
    expect(result.exitCode).toBe(0);
    expect(warnings(result)).toHaveLength(1);
    const line = `- ${link(sha)} - First in pre`;
    expect(await repo.read("packages/core/CHANGELOG.md")).toBe(
      `# @fx/core\n\n## 1.1.0\n\n### Minor Changes\n\n${line}\n\n## 1.1.0-next.0\n\n### Minor Changes\n\n${line}\n`,
    );
  });
});

describe("changeset version with Python bridge packages", () => {
  it("lists an updated bridge dependency by its PyPI name", async () => {
    const repo = await createFixtureRepo({
      "package.json": JSON.stringify({ name: "fixture", private: true, workspaces: ["packages/*"] }),
      "package-lock.json": JSON.stringify({ name: "fixture", lockfileVersion: 3, packages: {} }),
      "packages/py-b/package.json": JSON.stringify({ name: "@fx/py-b", version: "1.0.0", private: true }),
      "packages/py-b/pyproject.toml": '[project]\nname = "fx-b"\nversion = "1.0.0"\n',
      "packages/py-a/package.json": JSON.stringify({
        name: "@fx/py-a",
        version: "1.0.0",
        private: true,
        dependencies: { "@fx/py-b": "1.0.0" },
      }),
      "packages/py-a/pyproject.toml":
        '[project]\nname = "fx-a"\nversion = "1.0.0"\ndependencies = ["fx-b==1.0.0"]\n',
    });
    repos.push(repo);
    const sha = await repo.addChangeset("py", { "@fx/py-b": "patch" }, "Faster parsing");
    await repo.writeConfig(OURS);
    const result = await repo.changesetVersion({});
    expect(result.exitCode).toBe(0);
    expect(await repo.read("packages/py-a/CHANGELOG.md")).toBe(
      `# @fx/py-a\n\n## 1.0.1\n\n### Patch Changes\n\n- Updated dependencies [${link(sha)}]:\n  - fx-b 1.0.1 (PyPI)\n`,
    );
  });
});
