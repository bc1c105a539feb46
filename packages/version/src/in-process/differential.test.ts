// The in-process `changeset version` against the real one: on generated repos (fast-check) and the examples,
// bare `changeset version` (the real CLI, a process) and `versionInProcess` run on two copies of the same repo,
// and every byte of the two result trees must be equal (plus the exit code, and the commit when `commit` is on).
import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getPackages } from "@manypkg/get-packages";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { ChangesetVersionOptions } from "../args.js";
import { parseVersionArgs } from "../args.js";
import { loadChangesetsRuntime } from "./changesets-runtime.js";
import { prepareInProcessVersion, versionInProcess } from "./index.js";

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const cliDir = path.join(workspaceRoot, "node_modules", "@changesets", "cli");
const cliBin = path.join(cliDir, "bin.js");
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const gitEnv = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
};
const childEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...gitEnv, NO_COLOR: "1" };
  for (const key of Object.keys(env)) if (/^(GITHUB_|ACTIONS_|CI$)/.test(key)) delete env[key];
  return env;
})();

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: childEnv, encoding: "utf8" });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Every repo shares the workspace's one install: its node_modules entries are symlinked in. */
function linkTools(dir: string): void {
  mkdirSync(path.join(dir, "node_modules", "@changesets"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules", "@polyglot-changesets"), { recursive: true });
  symlinkSync(cliDir, path.join(dir, "node_modules", "@changesets", "cli"));
  symlinkSync(
    path.join(workspaceRoot, "packages", "changelog"),
    path.join(dir, "node_modules", "@polyglot-changesets", "changelog"),
  );
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

function commitAll(dir: string): void {
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "initial", "--no-verify");
}

function copy(template: string, prefix: string): string {
  const dir = tempDir(prefix);
  cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** Snapshot datetimes and timestamps differ by the second between two runs: the only bytes normalized. */
const normalize = (text: string) =>
  text.replace(/\b\d{14}\b/g, "<datetime>").replace(/\b1\d{12}\b/g, "<timestamp>");

function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = normalize(readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/** What a run leaves in git: the commit message and tree of HEAD, and the uncommitted changes. */
function gitStateOf(dir: string): string {
  const message = git(dir, "log", "-1", "--format=%B");
  const tree = git(dir, "ls-tree", "-r", "HEAD");
  return normalize(`${message}\n${tree}\n${git(dir, "status", "--porcelain")}`);
}

function runCli(dir: string, args: readonly string[]): number {
  const result = spawnSync(process.execPath, [cliBin, "version", ...args], { cwd: dir, env: childEnv });
  return result.status ?? 1;
}

async function runInProcess(dir: string, argv: readonly string[]): Promise<number> {
  const options: ChangesetVersionOptions = parseVersionArgs(argv, dir).changeset;
  const prepared = await prepareInProcessVersion(dir, options);
  if ("fallback" in prepared) throw new Error(`unexpected fallback: ${prepared.fallback}`);
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const packages = await getPackages(dir);
  // The git processes the apply starts (changelog commit lookups, the commit) see the same identity and dates.
  // The same environment as the CLI child (childEnv): git identity and dates, no GitHub or CI variables.
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (!(key in childEnv)) delete process.env[key];
  Object.assign(process.env, gitEnv);
  // The CLI runs in the repo root, where changelog generators read git and `.env`: so does the in-process run.
  const here = process.cwd();
  process.chdir(dir);
  try {
    const result = await versionInProcess(packages as never, options, prepared.runtime, {
      stdout: sink,
      stderr: sink,
    });
    if ("exitCode" in result) return result.exitCode;
    await result.ok.commit([]);
    return 0;
  } finally {
    process.chdir(here);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** Runs both on copies of `template` and checks the exit codes, the trees and git are the same. */
async function expectSameResult(template: string, argv: readonly string[]): Promise<number> {
  const bare = copy(template, "diff-bare-");
  const ours = copy(template, "diff-ours-");
  const bareCode = runCli(bare, argv);
  const ourCode = await runInProcess(ours, argv);
  expect(ourCode, `exit code, args ${argv.join(" ")}`).toBe(bareCode);
  expect(treeOf(ours)).toEqual(treeOf(bare));
  expect(gitStateOf(ours)).toBe(gitStateOf(bare));
  rmSync(bare, { recursive: true, force: true });
  rmSync(ours, { recursive: true, force: true });
  return bareCode;
}

// ---------------------------------------------------------------------------------------------------------------
// The generator: a workspace of 2-6 packages with internal dependencies of every kind, a config drawn from the
// settings `changeset version` reads, changesets, a pre state, and the command line.

const VERSIONS = ["1.0.0", "0.1.0", "2.3.4", "1.0.0-beta.0"];
const RANGE_KINDS = [
  "^",
  "~",
  "",
  ">=",
  "workspace:*",
  "workspace:^",
  "workspace:~",
  "workspace:^v",
  "range",
] as const;
const DEP_FIELDS = ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"] as const;
const CHANGELOGS = [
  false,
  "@changesets/cli/changelog",
  "./custom-changelog.mjs",
  ["./custom-changelog.mjs", { style: "x" }],
];
const COMMITS = [false, true, "./custom-commit.mjs"];

const CUSTOM_CHANGELOG = `export default {
  getReleaseLine: async (changeset, type, options) =>
    \`\\n- [\${type}] \${changeset.summary.split("\\n")[0]} (\${changeset.id}\${changeset.commit ? " " + changeset.commit.slice(0, 7) : ""})\${options ? " " + JSON.stringify(options) : ""}\`,
  getDependencyReleaseLine: async (changesets, deps) =>
    deps.length ? \`- deps: \${deps.map((d) => d.name + "@" + d.newVersion).join(", ")}\` : "",
};
`;
const CUSTOM_COMMIT = `export const getVersionMessage = async (plan) =>
  "custom: " + plan.releases.filter((r) => r.type !== "none").map((r) => r.name + "@" + r.newVersion).join(" ");
`;

/** `rare` one time in four, else `usual`: refusals (conflicting options, pre mode + snapshot) stay a minority. */
function sometimes<T, U>(rare: fc.Arbitrary<T>, usual: U): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 1, arbitrary: rare }, { weight: 3, arbitrary: fc.constant(usual) });
}

const packageArb = fc.record({
  version: fc.constantFrom(...VERSIONS),
  private: fc.boolean(),
  deps: fc.array(
    fc.record({
      on: fc.nat(5),
      field: fc.constantFrom(...DEP_FIELDS),
      kind: fc.constantFrom(...RANGE_KINDS),
    }),
    { maxLength: 3 },
  ),
});

const repoArb = fc
  .record({
    packages: fc.array(packageArb, { minLength: 2, maxLength: 6 }),
    groupKind: fc.constantFrom("none", "linked", "fixed"),
    group: fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 2 }),
    ignoreInConfig: sometimes(fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1, maxLength: 1 }), []),
    ignoreOnCli: sometimes(fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1, maxLength: 1 }), []),
    privateVersion: fc.boolean(),
    updateInternalDependencies: fc.constantFrom("patch", "minor"),
    workspaceProtocolOnly: fc.boolean(),
    peersOutOfRangeOnly: fc.boolean(),
    changelog: fc.constantFrom(...CHANGELOGS),
    commit: fc.constantFrom(...COMMITS),
    format: fc.constantFrom(false, "auto"),
    changesets: fc.array(
      fc.record({
        releases: fc.uniqueArray(
          fc.record({ pkg: fc.nat(5), type: fc.constantFrom("patch", "minor", "major", "none") }),
          { minLength: 1, maxLength: 3, selector: (release) => release.pkg },
        ),
        summary: fc.constantFrom("Fix a bug", "Add a feature\n\nWith a body.", "Breaking: rename `x`"),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    pre: sometimes(fc.constantFrom("pre", "exit"), "none"),
    snapshot: sometimes(fc.constantFrom(true, "canary"), undefined),
    template: fc.constantFrom(
      undefined,
      "{tag}-{commit-short}",
      "{tag}-{datetime}",
      "{commit}",
      "x-{timestamp}",
    ),
  })
  .map((repo) => ({ ...repo, count: repo.packages.length }));

type RepoModel = typeof repoArb extends fc.Arbitrary<infer T> ? T : never;

const name = (i: number) => `pkg-${String.fromCharCode(97 + i)}`;

function rangeFor(kind: (typeof RANGE_KINDS)[number], version: string): string {
  switch (kind) {
    case "workspace:^v":
      return `workspace:^${version}`;
    case "range":
      return `>=${version} <9.0.0`;
    case "workspace:*":
    case "workspace:^":
    case "workspace:~":
      return kind;
    default:
      return `${kind}${version}`;
  }
}

function repoFiles(model: RepoModel): Record<string, string> {
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify({ name: "root", private: true }, null, 2)}\n`,
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    ".changeset/custom-changelog.mjs": CUSTOM_CHANGELOG,
    ".changeset/custom-commit.mjs": CUSTOM_COMMIT,
    ".gitignore": "node_modules\n",
  };
  model.packages.forEach((pkg, i) => {
    const json: Record<string, unknown> = { name: name(i), version: pkg.version };
    if (pkg.private) json.private = true;
    for (const dep of pkg.deps) {
      const on = dep.on % model.count;
      if (on === i) continue;
      json[dep.field] ??= {};
      const field = json[dep.field] as Record<string, string>;
      field[name(on)] = rangeFor(dep.kind, model.packages[on]!.version);
    }
    files[`packages/${name(i)}/package.json`] = `${JSON.stringify(json, null, 2)}\n`;
    if (i % 2 === 0) files[`packages/${name(i)}/CHANGELOG.md`] = `# ${name(i)}\n\n## 0.0.1\n\n- Earlier.\n`;
  });
  const inRepo = (list: readonly number[]) => [...new Set(list.map((i) => i % model.count))].map(name);
  const group = inRepo(model.group);
  const config = {
    changelog: model.changelog,
    commit: model.commit,
    format: model.format,
    fixed: model.groupKind === "fixed" && group.length > 1 ? [group] : [],
    linked: model.groupKind === "linked" && group.length > 1 ? [group] : [],
    access: "restricted",
    baseBranch: "main",
    updateInternalDependencies: model.updateInternalDependencies,
    ignore: inRepo(model.ignoreInConfig),
    privatePackages: { version: model.privateVersion, tag: model.privateVersion },
    bumpVersionsWithWorkspaceProtocolOnly: model.workspaceProtocolOnly,
    ___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH: {
      onlyUpdatePeerDependentsWhenOutOfRange: model.peersOutOfRangeOnly,
    },
  };
  files[".changeset/config.json"] = `${JSON.stringify(config, null, 2)}\n`;
  model.changesets.forEach((changeset, c) => {
    const seen = new Set<number>();
    const lines = changeset.releases
      .filter((release) => !seen.has(release.pkg % model.count) && seen.add(release.pkg % model.count))
      .map((release) => `"${name(release.pkg % model.count)}": ${release.type}`);
    files[`.changeset/change-${c}.md`] = `---\n${lines.join("\n")}\n---\n\n${changeset.summary}\n`;
  });
  if (model.pre !== "none") {
    files[".changeset/pre.json"] = `${JSON.stringify({ mode: model.pre, tag: "beta" }, null, 2)}\n`;
    if (model.pre === "exit")
      files[".changeset/pre/earlier.md"] = `---\n"${name(0)}": minor\n---\n\nA change released in beta.\n`;
  }
  return files;
}

function argvFor(model: RepoModel): string[] {
  const argv: string[] = [];
  if (model.snapshot !== undefined)
    argv.push("--snapshot", ...(model.snapshot === true ? [] : [model.snapshot]));
  if (model.snapshot !== undefined && model.template)
    argv.push("--snapshot-prerelease-template", model.template);
  for (const i of new Set(model.ignoreOnCli.map((j) => j % model.count))) argv.push("--ignore", name(i));
  return argv;
}

describe("versionInProcess is byte-for-byte `changeset version`", () => {
  const runs = Number(process.env.DIFFERENTIAL_RUNS ?? 12);
  const outcomes = new Map<number, number>();

  it(
    `on ${runs} generated repos (linked, fixed, ignore, private packages, dependency ranges, pre mode, snapshots, commit, changelog and format settings)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(repoArb, async (model) => {
          const template = tempDir("diff-template-");
          writeTree(template, repoFiles(model));
          linkTools(template);
          commitAll(template);
          const code = await expectSameResult(template, argvFor(model));
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
          rmSync(template, { recursive: true, force: true });
        }),
        { numRuns: runs },
      );
      if (process.env.DIFFERENTIAL_RUNS)
        console.log("exit codes of the generated runs:", Object.fromEntries(outcomes));
      // The generator must reach the success path, not only the CLI's refusals.
      expect(outcomes.get(0) ?? 0).toBeGreaterThan(0);
    },
    runs * 15_000,
  );

  it.each(["event-forge", "x0x"])("on the example %s with changesets for every package", async (example) => {
    const template = tempDir(`diff-${example}-`);
    cpSync(path.join(workspaceRoot, "examples", example), template, {
      recursive: true,
      filter: (src) => !/[/\\](node_modules|target|dist)$/.test(src),
    });
    linkTools(template);
    const packages = await getPackages(template);
    const releases = packages.packages.map(
      (pkg, i) => `"${pkg.packageJson.name}": ${["patch", "minor"][i % 2]}`,
    );
    writeTree(template, {
      ".changeset/first.md": `---\n${releases.join("\n")}\n---\n\nEverything moves.\n`,
      ".changeset/second.md": `---\n${releases[0]}\n---\n\nOne more fix.\n`,
    });
    commitAll(template);
    expect(await expectSameResult(template, [])).toBe(0);
  });

  it("on a --snapshot with a {datetime} template and commit on (the commit is skipped for snapshots)", async () => {
    const template = tempDir("diff-snapshot-");
    writeTree(template, {
      "package.json": '{ "name": "root", "private": true }\n',
      "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
      "packages/a/package.json": '{\n  "name": "a",\n  "version": "1.0.0"\n}\n',
      "packages/b/package.json":
        '{\n  "name": "b",\n  "version": "1.0.0",\n  "dependencies": { "a": "^1.0.0" }\n}\n',
      ".changeset/config.json":
        '{ "commit": true, "changelog": false, "access": "public", "baseBranch": "main" }\n',
      ".changeset/one.md": '---\n"a": minor\n---\n\nSnapshot me.\n',
    });
    linkTools(template);
    commitAll(template);
    expect(
      await expectSameResult(template, [
        "--snapshot",
        "pr-1",
        "--snapshot-prerelease-template",
        "{tag}-{datetime}",
      ]),
    ).toBe(0);
  });
});

describe("what the in-process path leaves to the CLI", () => {
  it("names an unknown argument, a numeric value and a missing CLI in one line", async () => {
    const dir = tempDir("diff-fallback-");
    writeTree(dir, { "package.json": '{ "name": "root" }\n' });
    const withArg = await prepareInProcessVersion(dir, parseVersionArgs(["--", "--extra"], dir).changeset);
    expect(withArg).toEqual({ fallback: 'the argument "--extra" is passed to changeset version as given' });
    const numeric = await prepareInProcessVersion(
      dir,
      parseVersionArgs(["--snapshot", "007"], dir).changeset,
    );
    expect(numeric).toEqual({ fallback: 'the numeric option value "007" is parsed by the CLI itself' });
    expect(await loadChangesetsRuntime(dir)).toEqual({
      fallback: "@changesets/cli is not installed where Node resolves it from the repo root",
    });
  });

  it("refuses a CLI major it has not been proven against", async () => {
    const dir = tempDir("diff-major-");
    writeTree(dir, {
      "package.json": '{ "name": "root" }\n',
      "node_modules/@changesets/cli/package.json": '{ "name": "@changesets/cli", "version": "4.0.0" }\n',
    });
    expect(await loadChangesetsRuntime(dir)).toEqual({
      fallback: "@changesets/cli 4.0.0 is not a 3.x release, the versions proven equivalent in-process",
    });
  });

  it("rolls back every file when the changelog generator fails, and exits 1 as the CLI does", async () => {
    const dir = tempDir("diff-rollback-");
    writeTree(dir, {
      "package.json": '{ "name": "root", "private": true }\n',
      "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
      "packages/a/package.json": '{\n  "name": "a",\n  "version": "1.0.0"\n}\n',
      ".changeset/config.json":
        '{ "changelog": "./broken.mjs", "commit": false, "access": "public", "baseBranch": "main" }\n',
      ".changeset/broken.mjs":
        'export const getReleaseLine = () => { throw new Error("generator broke"); };\nexport const getDependencyReleaseLine = () => "";\n',
      ".changeset/one.md": '---\n"a": minor\n---\n\nA change.\n',
    });
    linkTools(dir);
    commitAll(dir);
    const before = treeOf(dir);
    const bare = copy(dir, "diff-rollback-bare-");
    expect(runCli(bare, [])).toBe(1);
    expect(await runInProcess(dir, [])).toBe(1);
    expect(treeOf(dir)).toEqual(before);
    expect(existsSync(path.join(dir, ".changeset", "one.md"))).toBe(true);
  });
});
