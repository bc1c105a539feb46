import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommitInfo, PullRequestInfo } from "@changesets/get-github-info";
import type { ModCompWithPackage, NewChangesetWithCommit } from "@changesets/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangelogConfigError } from "./errors.js";
import { createChangelogFunctions, type GithubLookups, writeWarning } from "./generator.js";

const SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98";
const GH = "https://github.com/o/r";

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "changelog-gen-"));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** `commit: null` is a changeset whose adding commit git could not tell. */
function changeset(summary: string, commit: string | null = SHA, id = "brave-cats"): NewChangesetWithCommit {
  return { id, summary, releases: [{ name: "pkg", type: "patch" }], commit: commit ?? undefined };
}

function commitInfo(sha: string, login?: string, pull?: number): CommitInfo {
  return {
    commit: {
      sha,
      url: `${GH}/commit/${sha}`,
      markdownLink: `[\`${sha.slice(0, 7)}\`](${GH}/commit/${sha})`,
    },
    author: login
      ? {
          login,
          url: `https://github.com/${login}`,
          markdownLink: `[@${login}](https://github.com/${login})`,
        }
      : undefined,
    pull: pull
      ? { number: pull, url: `${GH}/pull/${pull}`, markdownLink: `[#${pull}](${GH}/pull/${pull})` }
      : undefined,
  };
}

/** Lookups answering from fixed data, counting calls; `fail` makes every call reject like a dropped connection. */
function fakeLookups(options: { fail?: boolean } = {}) {
  const calls: string[] = [];
  const lookups: GithubLookups = {
    async getCommitInfo({ commit }) {
      calls.push(`commit:${commit}`);
      if (options.fail)
        throw new Error("Failed to fetch data from GitHub", { cause: new Error("fetch failed") });
      return commit === "0000000000000000000000000000000000000000"
        ? undefined
        : commitInfo(commit, "octocat", 7);
    },
    async getPullRequestInfo({ pull }): Promise<PullRequestInfo | undefined> {
      calls.push(`pull:${pull}`);
      if (options.fail) throw new Error("Failed to fetch data from GitHub");
      return {
        pull: { number: pull, url: `${GH}/pull/${pull}`, markdownLink: `[#${pull}](${GH}/pull/${pull})` },
        author: {
          login: "pr-author",
          url: "https://github.com/pr-author",
          markdownLink: "[@pr-author](https://github.com/pr-author)",
        },
        commit: {
          sha: "fedcba9",
          url: `${GH}/commit/${MERGE_SHA}`,
          markdownLink: `[\`fedcba9\`](${GH}/commit/${MERGE_SHA})`,
        },
      };
    },
  };
  return { lookups, calls };
}

function generator(env: NodeJS.ProcessEnv, lookups = fakeLookups()) {
  const warnings: string[] = [];
  const functions = createChangelogFunctions({
    env,
    cwd,
    warn: (message) => warnings.push(message),
    lookups: lookups.lookups,
  });
  return { ...functions, warnings, calls: lookups.calls };
}

const ONLINE = { GITHUB_TOKEN: "t0k3n" };

describe("online", () => {
  it("renders PR, commit and thanks like changelog-github", async () => {
    const gen = generator(ONLINE);
    const line = await gen.getReleaseLine(changeset("Fix #12 in the parser\n\nMore text"), "patch", {
      repo: "o/r",
    });
    expect(line).toBe(
      `\n\n- [#7](${GH}/pull/7) [\`a1b2c3d\`](${GH}/commit/${SHA}) Thanks [@octocat](https://github.com/octocat)! - Fix [#12](${GH}/issues/12) in the parser\n  \n  More text`,
    );
    expect(gen.warnings).toEqual([]);
  });

  it("uses the pr: override, the commit: override and every author: line", async () => {
    const gen = generator(ONLINE);
    const line = await gen.getReleaseLine(
      changeset("pr: 99\ncommit: 1234567890abcdef\nauthor: @alice\nauthor: bob\nAdd things"),
      "minor",
      { repo: "o/r" },
    );
    expect(line).toBe(
      `\n\n- [#99](${GH}/pull/99) [\`1234567\`](${GH}/commit/1234567890abcdef) Thanks [@alice](https://github.com/alice), [@bob](https://github.com/bob)! - Add things\n`,
    );
    expect(gen.calls).toEqual(["pull:99"]);
  });

  it("drops the thanks with disableThanks and renders a template", async () => {
    const gen = generator(ONLINE);
    const noThanks = await gen.getReleaseLine(changeset("Fix"), "patch", {
      repo: "o/r",
      disableThanks: true,
    });
    expect(noThanks).toBe(`\n\n- [#7](${GH}/pull/7) [\`a1b2c3d\`](${GH}/commit/${SHA}) - Fix\n`);
    const templated = await gen.getReleaseLine(changeset("Fix\nsecond"), "patch", {
      repo: "o/r",
      template: "\n\n- {summary} {ref} {thanks}  ",
    });
    expect(templated).toBe(
      `\n\n- Fix ([#7](${GH}/pull/7)) Thanks [@octocat](https://github.com/octocat)!\n  second`,
    );
  });

  it("renders a line without links when GitHub does not know the commit, as changelog-github does", async () => {
    const gen = generator(ONLINE);
    const line = await gen.getReleaseLine(
      changeset("Fix", "0000000000000000000000000000000000000000"),
      "patch",
      {
        repo: "o/r",
      },
    );
    expect(line).toBe("\n\n- Fix\n");
  });

  it("reads GITHUB_TOKEN and GITHUB_REPOSITORY from a .env file, as get-github-info does", async () => {
    const dotEnvDir = join(cwd, "dot-env");
    await mkdir(dotEnvDir);
    await writeFile(join(dotEnvDir, ".env"), "GITHUB_TOKEN=from-file\nGITHUB_REPOSITORY=o/r\n");
    const lookups = fakeLookups();
    const warnings: string[] = [];
    const gen = createChangelogFunctions({
      env: {},
      cwd: dotEnvDir,
      warn: (m) => warnings.push(m),
      lookups: lookups.lookups,
    });
    const line = await gen.getReleaseLine(changeset("Fix"), "patch", null);
    expect(line).toContain(`[#7](${GH}/pull/7)`);
    expect(lookups.calls).toEqual([`commit:${SHA}`]);
    expect(warnings).toEqual([]);
  });

  it("takes the repo from GITHUB_REPOSITORY and honours GITHUB_SERVER_URL", async () => {
    const gen = generator({ ...ONLINE, GITHUB_REPOSITORY: "o/r", GITHUB_SERVER_URL: "https://ghe.corp/" });
    const line = await gen.getReleaseLine(changeset("author: dev\nFix #3", null), "patch", null);
    expect(line).toBe(
      "\n\n- Thanks [@dev](https://ghe.corp/dev)! - Fix [#3](https://ghe.corp/o/r/issues/3)\n",
    );
  });
});

describe("offline", () => {
  it("without a token: commit links from the repo URL, no thanks, one warning for the run", async () => {
    const gen = generator({});
    const lines = await Promise.all([
      gen.getReleaseLine(changeset("First #5"), "patch", { repo: "o/r" }),
      gen.getReleaseLine(changeset("pr: 8\nauthor: alice\nSecond"), "patch", { repo: "o/r" }),
    ]);
    expect(lines).toEqual([
      `\n\n- [\`a1b2c3d\`](${GH}/commit/${SHA}) - First [#5](${GH}/issues/5)\n`,
      `\n\n- [#8](${GH}/pull/8) [\`a1b2c3d\`](${GH}/commit/${SHA}) Thanks [@alice](https://github.com/alice)! - Second\n`,
    ]);
    expect(gen.calls).toEqual([]);
    expect(gen.warnings).toHaveLength(1);
    expect(gen.warnings[0]).toContain("GITHUB_TOKEN is not set");
    expect(gen.warnings[0]).toContain("set GITHUB_TOKEN");
  });

  it("with offline: true never calls the API, even with a token", async () => {
    const gen = generator(ONLINE);
    const line = await gen.getReleaseLine(changeset("Fix"), "patch", { repo: "o/r", offline: true });
    expect(line).toBe(`\n\n- [\`a1b2c3d\`](${GH}/commit/${SHA}) - Fix\n`);
    expect(gen.calls).toEqual([]);
    expect(gen.warnings).toEqual([
      expect.stringContaining('"offline": true is set in .changeset/config.json'),
    ]);
  });

  it("when the API fails: falls back for that line, stops calling, warns once", async () => {
    const gen = generator(ONLINE, fakeLookups({ fail: true }));
    const first = await Promise.all([
      gen.getReleaseLine(changeset("One", SHA), "patch", { repo: "o/r" }),
      gen.getReleaseLine(changeset("Two", MERGE_SHA), "patch", { repo: "o/r" }),
    ]);
    const later = await gen.getReleaseLine(changeset("Three", SHA), "patch", { repo: "o/r" });
    expect(first).toEqual([
      `\n\n- [\`a1b2c3d\`](${GH}/commit/${SHA}) - One\n`,
      `\n\n- [\`fedcba9\`](${GH}/commit/${MERGE_SHA}) - Two\n`,
    ]);
    expect(later).toBe(`\n\n- [\`a1b2c3d\`](${GH}/commit/${SHA}) - Three\n`);
    expect(gen.calls).toHaveLength(2);
    expect(gen.warnings).toHaveLength(1);
    expect(gen.warnings[0]).toContain(
      "the GitHub API lookup failed (Failed to fetch data from GitHub: fetch failed)",
    );
  });

  it("without any repository: no links, a warning that says how to name one", async () => {
    const gen = generator({});
    const line = await gen.getReleaseLine(changeset("Fix #4"), "patch", null);
    expect(line).toBe("\n\n- `a1b2c3d` - Fix #4\n");
    expect(gen.warnings).toHaveLength(1);
    expect(gen.warnings[0]).toContain("GITHUB_TOKEN is not set and no GitHub repository is known");
    expect(gen.warnings[0]).toContain('Set "repo": "owner/name" in .changeset/config.json');
  });

  it("with a token but no repository: no lookups, lines without links, a warning naming the repo setting", async () => {
    const gen = generator(ONLINE);
    const line = await gen.getReleaseLine(changeset("Fix"), "patch", null);
    expect(line).toBe("\n\n- `a1b2c3d` - Fix\n");
    expect(gen.calls).toEqual([]);
    expect(gen.warnings).toEqual([
      expect.stringMatching(/^@polyglot-changesets\/changelog: no GitHub repository is known/),
    ]);
  });

  it("takes the repository from the origin remote", async () => {
    const repoDir = join(cwd, "with-remote");
    await mkdir(repoDir);
    const { execFileSync } = await import("node:child_process");
    execFileSync("git", ["init", "-q"], { cwd: repoDir });
    execFileSync("git", ["remote", "add", "origin", "git@ghe.example.com:team/app.git"], { cwd: repoDir });
    const warnings: string[] = [];
    const gen = createChangelogFunctions({ env: {}, cwd: repoDir, warn: (m) => warnings.push(m) });
    const line = await gen.getReleaseLine(changeset("Fix"), "patch", null);
    expect(line).toBe(`\n\n- [\`a1b2c3d\`](https://ghe.example.com/team/app/commit/${SHA}) - Fix\n`);
    expect(warnings).toHaveLength(1);
  });

  it("looks up online with the repository of the origin remote when a token is set", async () => {
    const repoDir = join(cwd, "online-remote");
    await mkdir(repoDir);
    const { execFileSync } = await import("node:child_process");
    execFileSync("git", ["init", "-q"], { cwd: repoDir });
    execFileSync("git", ["remote", "add", "origin", "https://github.com/o/r.git"], { cwd: repoDir });
    const lookups = fakeLookups();
    const gen = createChangelogFunctions({
      env: ONLINE,
      cwd: repoDir,
      warn: expect.fail,
      lookups: lookups.lookups,
    });
    const line = await gen.getReleaseLine(changeset("Fix"), "patch", null);
    expect(line).toContain(`[#7](${GH}/pull/7) [\`a1b2c3d\`](${GH}/commit/${SHA}) Thanks [@octocat]`);
    expect(lookups.calls).toEqual([`commit:${SHA}`]);
  });

  it("accepts pre/ changeset ids and a changeset without a commit", async () => {
    const gen = generator({});
    const line = await gen.getReleaseLine(changeset("Fix", null, "pre/brave-cats"), "patch", { repo: "o/r" });
    expect(line).toBe("\n\n- Fix\n");
  });
});

describe("configuration errors fail the run", () => {
  it("throws for unknown options and template tokens, naming them", async () => {
    const gen = generator(ONLINE);
    await expect(gen.getReleaseLine(changeset("x"), "patch", { repo: "o/r", thanks: false })).rejects.toThrow(
      ChangelogConfigError,
    );
    await expect(gen.getDependencyReleaseLine([], [], { template: "- {summary} {user}" })).rejects.toThrow(
      /\.changeset\/config\.json: .*"template": unknown template token \{user\}/,
    );
    expect(gen.calls).toEqual([]);
  });
});

function dependency(name: string, newVersion: string, dir = cwd, isPrivate = false): ModCompWithPackage {
  return {
    name,
    type: "patch",
    oldVersion: "1.0.0",
    newVersion,
    changesets: [],
    dir,
    packageJson: { name, version: "1.0.0", ...(isPrivate ? { private: true } : {}) },
  } as ModCompWithPackage;
}

describe("getDependencyReleaseLine", () => {
  it("is empty without updated dependencies", async () => {
    expect(await generator(ONLINE).getDependencyReleaseLine([changeset("x")], [], { repo: "o/r" })).toBe("");
  });

  it("online: looked-up commit links, a short sha when GitHub does not know the commit", async () => {
    const gen = generator(ONLINE);
    const unknown = "0000000000000000000000000000000000000000";
    const line = await gen.getDependencyReleaseLine(
      [changeset("a", SHA), changeset("b", null), changeset("c", unknown)],
      [dependency("@s/core", "1.1.0"), dependency("@s/util", "2.0.0")],
      { repo: "o/r" },
    );
    expect(line).toBe(
      `- Updated dependencies [[\`a1b2c3d\`](${GH}/commit/${SHA}), \`0000000\`]:\n  - @s/core@1.1.0\n  - @s/util@2.0.0`,
    );
  });

  it("offline: commit links from the repo URL", async () => {
    const gen = generator({});
    const line = await gen.getDependencyReleaseLine([changeset("a", SHA)], [dependency("@s/core", "1.1.0")], {
      repo: "o/r",
    });
    expect(line).toBe(`- Updated dependencies [[\`a1b2c3d\`](${GH}/commit/${SHA})]:\n  - @s/core@1.1.0`);
  });

  it("lists a Python or Rust bridge package by its own name", async () => {
    const python = join(cwd, "py");
    const rust = join(cwd, "rs");
    await mkdir(python, { recursive: true });
    await mkdir(rust, { recursive: true });
    await writeFile(
      join(python, "pyproject.toml"),
      '[project]\nname = "event-forge-inbox-outbox"\nversion = "1.0.0"\n',
    );
    await writeFile(join(rust, "Cargo.toml"), '[package]\nname = "x0x"\nversion = "1.0.0"\n');
    const gen = generator({});
    const line = await gen.getDependencyReleaseLine(
      [],
      [
        dependency("@ef/python", "1.2.0", python, true),
        dependency("@x0x/crate", "0.3.0", rust, true),
        dependency("@ef/public", "1.0.1", python),
        dependency("@ef/private-js", "0.1.0", join(cwd, "no-manifest"), true),
      ],
      { repo: "o/r" },
    );
    expect(line).toBe(
      "- Updated dependencies []:\n  - event-forge-inbox-outbox 1.2.0 (PyPI)\n  - x0x 0.3.0 (crates.io)\n  - @ef/public@1.0.1\n  - @ef/private-js@0.1.0",
    );
  });

  it("reads no manifest through a symlink leading out of the package folder, nor a FIFO", async () => {
    const linked = join(cwd, "linked");
    const fifo = join(cwd, "fifo");
    await mkdir(linked, { recursive: true });
    await mkdir(fifo, { recursive: true });
    await writeFile(join(cwd, "elsewhere.toml"), '[project]\nname = "read-from-outside"\n');
    await symlink(join(cwd, "elsewhere.toml"), join(linked, "pyproject.toml"));
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [join(fifo, "pyproject.toml")]);
    const gen = generator({});
    const line = await gen.getDependencyReleaseLine(
      [],
      [dependency("@ef/linked", "1.0.0", linked, true), dependency("@ef/fifo", "1.0.0", fifo, true)],
      { repo: "o/r" },
    );
    expect(line).toBe("- Updated dependencies []:\n  - @ef/linked@1.0.0\n  - @ef/fifo@1.0.0");
  });
});

describe("thankCoAuthors", () => {
  it("adds no-reply co-authors of the changeset's commit after the main author", async () => {
    const repoDir = join(cwd, "co-authors");
    await mkdir(repoDir);
    const { execFileSync } = await import("node:child_process");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repoDir, encoding: "utf8" }).trim();
    git("init", "-q");
    git(
      "-c",
      "user.name=a",
      "-c",
      "user.email=a@example.com",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "Work\n\nCo-authored-by: Octo <1+octocat@users.noreply.github.com>\nCo-authored-by: Mona <2+mona@users.noreply.github.com>",
    );
    const sha = git("rev-parse", "HEAD");
    const warnings: string[] = [];
    const gen = createChangelogFunctions({
      env: ONLINE,
      cwd: repoDir,
      warn: (m) => warnings.push(m),
      lookups: fakeLookups().lookups,
    });
    const line = await gen.getReleaseLine(changeset("Fix", sha), "patch", {
      repo: "o/r",
      thankCoAuthors: true,
    });
    expect(line).toContain(
      "Thanks [@octocat](https://github.com/octocat), [@mona](https://github.com/mona)! - Fix",
    );
  });
});

describe("writeWarning", () => {
  it("keeps GitHub's error text on one line and escapes the annotation, so it cannot start a command", () => {
    const written = { stdout: "", stderr: "" };
    const streams = {
      stdout: {
        write: (text: string) => {
          written.stdout += text;
          return true;
        },
      },
      stderr: {
        write: (text: string) => {
          written.stderr += text;
          return true;
        },
      },
    } as unknown as { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
    writeWarning(
      "lookup failed (bad\n::stop-commands::x\r::add-mask::y 100%)",
      { GITHUB_ACTIONS: "true" },
      streams,
    );
    expect(written.stderr).toBe("warning: lookup failed (bad ::stop-commands::x ::add-mask::y 100%)\n");
    expect(written.stdout).toBe(
      "::warning title=Changelog without GitHub lookups::lookup failed (bad%0A::stop-commands::x%0D::add-mask::y 100%25)\n",
    );
  });
});
