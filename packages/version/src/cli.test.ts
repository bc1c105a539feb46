import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHANGESET_CONFIG,
  changesetFile,
  createRepo,
  json,
  type TempRepo,
  VERSION_CLI,
} from "./__fixtures__/temp-repo.js";

const repos: TempRepo[] = [];

afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

/** The release repo of seed 001 (event-forge): five npm packages, linked, and the Python package following core. */
async function eventForge(): Promise<TempRepo> {
  const names = ["core", "typeorm", "mongoose", "rabbitmq", "nestjs"];
  const packages = Object.fromEntries(
    names.map((name) => [
      `packages/${name}/package.json`,
      json({
        name: `@event-forge/inbox-outbox-${name}`,
        version: "1.2.0",
        ...(name === "core" ? {} : { dependencies: { "@event-forge/inbox-outbox-core": "workspace:*" } }),
      }),
    ]),
  );
  const r = await createRepo({
    "package.json": json({ name: "event-forge", private: true }),
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    ".changeset/config.json": json({
      ...JSON.parse(CHANGESET_CONFIG),
      linked: [["@event-forge/inbox-outbox-*"]],
    }),
    ".changeset/polyglot.json": json({
      targets: [
        {
          path: "packages/python",
          versionFrom: "@event-forge/inbox-outbox-core",
          versionFiles: ["src/event_forge_inbox_outbox/__init__.py"],
        },
      ],
    }),
    ".changeset/relay.md": changesetFile({ "@event-forge/inbox-outbox-core": "minor" }, "Outbox relay."),
    "packages/python/pyproject.toml": '[project]\nname = "event-forge-inbox-outbox"\nversion = "1.2.0"\n',
    "packages/python/src/event_forge_inbox_outbox/__init__.py": '__version__ = "1.2.0"\n',
    ...packages,
  });
  repos.push(r);
  return r;
}

/** The environment changesets/action gives its version script. */
function actionEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "event-forge/event-forge",
    GITHUB_REF: "refs/heads/main",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_WORKFLOW: "Release",
  };
}

describe("polyglot-version as a child process", () => {
  it("as changesets/action's version script: exactly the expected files change", async () => {
    const r = await eventForge();
    const result = await execa(process.execPath, [VERSION_CLI], {
      cwd: r.dir,
      env: actionEnv(),
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
    // workspace:* dependents get a patch bump from changesets; the sync adds exactly the two Python files.
    const npmFiles = ["core", "mongoose", "nestjs", "rabbitmq", "typeorm"].flatMap((name) => [
      `packages/${name}/CHANGELOG.md`,
      `packages/${name}/package.json`,
    ]);
    expect(await r.changedFiles()).toEqual(
      [
        ".changeset/relay.md",
        ...npmFiles,
        "packages/python/pyproject.toml",
        "packages/python/src/event_forge_inbox_outbox/__init__.py",
      ].sort(),
    );
    expect(await r.read("packages/python/pyproject.toml")).toMatch(/^version = "1\.3\.0"$/m);
    expect(await r.read("packages/python/src/event_forge_inbox_outbox/__init__.py")).toBe(
      '__version__ = "1.3.0"\n',
    );
  });

  it("prints an error with its fix and no stack trace, exit 2", async () => {
    const r = await eventForge();
    await r.write({
      "packages/python/pyproject.toml": '[project]\nname = "event-forge-inbox-outbox"\nversion = 1.2.0\n',
    });
    const result = await execa(process.execPath, [VERSION_CLI], { cwd: r.dir, reject: false, all: true });
    expect(result.exitCode).toBe(2);
    expect(result.all).toMatch(/^polyglot-version: error: packages\/python\/pyproject.toml:3: invalid TOML/m);
    expect(result.all).toMatch(/^ {2}fix: /m);
    expect(result.all).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("--version prints the package version", async () => {
    const result = await execa(process.execPath, [VERSION_CLI, "--version"], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("--help exits 0 and unknown options exit 2 with the usage hint", async () => {
    const r = await eventForge();
    const help = await execa(process.execPath, [VERSION_CLI, "--help"], { cwd: r.dir, reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: polyglot-version/);
    const bad = await execa(process.execPath, [VERSION_CLI, "--nope"], { cwd: r.dir, reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --nope/);
    expect(bad.stderr).toMatch(/polyglot-version --help/);
    expect(bad.stderr).toMatch(/^Usage: polyglot-version/m);
  });
});

describe("polyglot-version --json as a child process", () => {
  it("keeps stdout pure JSON while changeset version's own output goes to stderr", async () => {
    const r = await eventForge();
    const result = await execa(process.execPath, [VERSION_CLI, "--json"], { cwd: r.dir, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const edits = JSON.parse(result.stdout) as { file: string; field: string; from: string; to: string }[];
    expect(edits).toEqual([
      { file: "packages/python/pyproject.toml", field: "project.version", from: "1.2.0", to: "1.3.0" },
      {
        file: "packages/python/src/event_forge_inbox_outbox/__init__.py",
        field: "__version__",
        from: "1.2.0",
        to: "1.3.0",
      },
    ]);
    expect(result.stderr).toMatch(/All files have been updated/);
  });
});

describe("polyglot-version as a child process: what new users and real repos hit (#17)", () => {
  const cli = (r: TempRepo, ...args: string[]) =>
    execa(process.execPath, [VERSION_CLI, ...args], { cwd: r.dir, reject: false });
  const livekit = async (setupVersion: string, extra: Record<string, string> = {}) => {
    const r = await createRepo({
      "package.json": json({ name: "agents", private: true }),
      "pnpm-workspace.yaml": "packages:\n  - plugins/*\n",
      ".changeset/config.json": CHANGESET_CONFIG,
      ".changeset/foo.md": changesetFile({ "livekit-plugins-foo": "minor" }, "Streaming."),
      "plugins/foo/package.json": json({ name: "livekit-plugins-foo", version: "1.2.0", private: true }),
      "plugins/foo/pyproject.toml":
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
      "plugins/foo/setup.py": `import setuptools\n\nsetuptools.setup(name="livekit-plugins-foo", version=${setupVersion})\n`,
      ...extra,
    });
    repos.push(r);
    return r;
  };

  it("a setup.py bridge with a computed version: --check exits 2 naming the folder and versionFiles", async () => {
    const r = await livekit('about["__version__"]');
    const result = await cli(r, "--check");
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^polyglot-version: error: .*plugins\/foo: setup\.py computes its version/m,
    );
    expect(result.stderr).toMatch(/^ {2}fix: .*"versionFiles"/m);
    expect(result.stderr).not.toMatch(/\[project\]/);
  });

  it("a setup.py bridge with a literal version is synced; a stray bridge folder is noted", async () => {
    const r = await livekit('"1.2.0"', {
      "examples/py/package.json": json({ name: "example", version: "0.1.0", private: true }),
      "examples/py/setup.cfg": "[metadata]\nname = example\nversion = 0.1.0\n",
    });
    const result = await cli(r);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await r.read("plugins/foo/setup.py")).toMatch(/version="1\.3\.0"\)/);
    expect(result.stderr).toMatch(
      /^polyglot-version: note: examples\/py has a package\.json and a setup\.cfg but is outside the workspace globs/m,
    );
    const check = await cli(r, "--check");
    expect(check.stdout).toBe("polyglot-version: the 1 target is in step with its source");
  });

  it("a changeset version failing after it bumped (in-process): every file it wrote is put back, exit 1", async () => {
    const r = await livekit('"1.2.0"', {
      ".changeset/config.json": json({ ...JSON.parse(CHANGESET_CONFIG), format: "prettier" }),
    });
    const before = await r.git("status", "--porcelain");
    const result = await cli(r);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^polyglot-version: changeset version: .*\(every file was left as it was\)$/m,
    );
    expect(await r.git("status", "--porcelain")).toBe(before);
    expect(await r.read("plugins/foo/package.json")).toMatch(/"version": "1\.2\.0"/);
  });

  it("a changeset version failing after it bumped (--changeset-cli) says which files changed and how to recover", async () => {
    const r = await livekit('"1.2.0"', {
      ".changeset/config.json": json({ ...JSON.parse(CHANGESET_CONFIG), format: "prettier" }),
    });
    const result = await cli(r, "--changeset-cli");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^polyglot-version: error: changeset version failed \(exit 1\) after changing plugins\/foo\/package\.json, plugins\/foo\/CHANGELOG\.md;.*would bump the versions a second time$/m,
    );
    expect(result.stderr).toMatch(/^ {2}fix: undo its changes \(git checkout -- /m);
    expect(await r.read("plugins/foo/setup.py")).toMatch(/version="1\.2\.0"\)/);
  });

  // In a child process in the repo, changeset version runs in-process with the repo's libraries: the checks of
  // .changeset/pre.json must come before those libraries read it (@changesets/pre migrates a Changesets 2 file in
  // place, and prints an invalid one).
  const legacyPre = (changesets: string[]) =>
    json({
      mode: "pre",
      tag: "beta",
      initialVersions: { "@event-forge/inbox-outbox-core": "1.2.0" },
      changesets,
    });

  it("--dry-run with a Changesets 2 pre.json leaves every file as it was", async () => {
    const r = await eventForge();
    await r.write({ ".changeset/pre.json": legacyPre([]) });
    const before = await r.hashes();
    const result = await execa(process.execPath, [VERSION_CLI, "--dry-run"], {
      cwd: r.dir,
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(await r.hashes()).toEqual(before);
  });

  it("refuses a pre.json whose changesets name a path, before a file outside the repo is moved", async () => {
    const r = await eventForge();
    const victim = path.join(path.dirname(r.dir), `${path.basename(r.dir)}-victim.md`);
    await writeFile(victim, "outside the repo\n");
    try {
      await r.write({ ".changeset/pre.json": legacyPre([`../../${path.basename(r.dir)}-victim`]) });
      const before = await r.hashes();
      for (const argv of [["--dry-run"], []]) {
        const result = await execa(process.execPath, [VERSION_CLI, ...argv], {
          cwd: r.dir,
          reject: false,
          all: true,
        });
        expect(result.exitCode).toBe(2);
        expect(result.all).toMatch(/\.changeset\/pre\.json.*not a changeset name/);
        expect(await readFile(victim, "utf8")).toBe("outside the repo\n");
        expect(await r.hashes()).toEqual(before);
      }
    } finally {
      await rm(victim, { force: true });
    }
  });

  it("names an invalid pre.json without printing its text: no line starts a workflow command", async () => {
    const r = await eventForge();
    await r.write({ ".changeset/pre.json": '{"mode":"pre",\n::error title=INJECTED::x\n::add-mask::a\n' });
    const before = await r.hashes();
    const result = await execa(process.execPath, [VERSION_CLI], {
      cwd: r.dir,
      env: actionEnv(),
      reject: false,
      all: true,
    });
    expect(result.exitCode).toBe(2);
    expect(result.all).toMatch(/\.changeset\/pre\.json/);
    expect(result.all).not.toMatch(/^\s*::/m);
    expect(await r.hashes()).toEqual(before);
  });
});
