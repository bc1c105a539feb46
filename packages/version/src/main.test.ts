import { unlink } from "node:fs/promises";
import path from "node:path";
import { type Pep440Map, toPep440 } from "@polyglot-changesets/core";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHANGESET_CONFIG,
  changesetFile,
  collector,
  createRepo,
  type FileTree,
  json,
  NPM_LOCK,
  type TempRepo,
} from "./__fixtures__/temp-repo.js";
import { main } from "./main.js";

const repos: TempRepo[] = [];

async function repo(files: FileTree): Promise<TempRepo> {
  const created = await createRepo(files);
  repos.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(repos.splice(0).map((created) => created.remove()));
});

/** Runs main in-process; returns the exit code and what it printed. */
async function run(r: TempRepo, ...argv: string[]) {
  const stdout = collector();
  const stderr = collector();
  const code = await main(argv, { cwd: r.dir, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const npmWorkspace = (extra: FileTree = {}): FileTree => ({
  "package.json": json({ name: "root", private: true, workspaces: ["packages/*"] }),
  "package-lock.json": NPM_LOCK,
  ".changeset/config.json": CHANGESET_CONFIG,
  ...extra,
});

const PYPROJECT = `[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "acme-py"
version = "1.2.0"   # kept in step by polyglot-version
dependencies = ["httpx>=0.27"]
`;

/** Bridge mode: a private package.json beside a pyproject.toml. */
const bridge = (pyproject = PYPROJECT): FileTree =>
  npmWorkspace({
    "packages/py/package.json": json({ name: "@acme/py", version: "1.2.0", private: true }),
    "packages/py/pyproject.toml": pyproject,
    ".changeset/brave-cats.md": changesetFile({ "@acme/py": "minor" }, "Add streaming."),
  });

/** Follow mode: event-forge's layout. */
const follow = (config: object = {}): FileTree =>
  npmWorkspace({
    "packages/core/package.json": json({ name: "@event-forge/inbox-outbox-core", version: "1.2.0" }),
    "packages/typeorm/package.json": json({
      name: "@event-forge/inbox-outbox-typeorm",
      version: "1.2.0",
      dependencies: { "@event-forge/inbox-outbox-core": "^1.2.0" },
    }),
    "python/pyproject.toml": '[project]\r\nname = "event-forge-inbox-outbox"\r\nversion = "1.2.0"\r\n',
    "python/src/event_forge/__init__.py": '"""Event Forge."""\n\n__version__ = "1.2.0"\n',
    ".changeset/polyglot.json": json({
      targets: [
        {
          path: "python",
          versionFrom: "@event-forge/inbox-outbox-core",
          versionFiles: ["src/event_forge/__init__.py"],
          changelog: true,
        },
      ],
      ...config,
    }),
    ".changeset/brave-cats.md": changesetFile(
      { "@event-forge/inbox-outbox-core": "minor" },
      "Add the outbox relay.",
    ),
  });

describe("polyglot-version: changeset version, then sync", () => {
  it("bridge mode: versions the package.json and moves only the pyproject version bytes", async () => {
    const r = await repo(bridge());
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(await r.read("packages/py/package.json")).version).toBe("1.3.0");
    expect(await r.read("packages/py/pyproject.toml")).toBe(PYPROJECT.replace('"1.2.0"', '"1.3.0"'));
    expect(result.stderr).toMatch(/synced packages\/py\/pyproject.toml/);
    expect(await r.changedFiles()).toEqual([
      ".changeset/brave-cats.md",
      "packages/py/CHANGELOG.md",
      "packages/py/package.json",
      "packages/py/pyproject.toml",
    ]);
  });

  it("follow mode: pyproject (CRLF kept) and __version__", async () => {
    const r = await repo(follow());
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("python/pyproject.toml")).toBe(
      '[project]\r\nname = "event-forge-inbox-outbox"\r\nversion = "1.3.0"\r\n',
    );
    expect(await r.read("python/src/event_forge/__init__.py")).toBe(
      '"""Event Forge."""\n\n__version__ = "1.3.0"\n',
    );
  });

  it("follow mode with changelog: true mirrors the new CHANGELOG section", async () => {
    const r = await repo(follow());
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    const changelog = await r.read("python/CHANGELOG.md");
    expect(changelog).toMatch(
      /^# event-forge-inbox-outbox\n\n## 1\.3\.0\n\n### Minor Changes\n\n- [0-9a-f]{7}: Add the outbox relay\.\n$/,
    );
    expect(result.stderr).toContain("synced python/CHANGELOG.md (added section ## 1.3.0)");
    const again = await run(r, "--sync-only");
    expect(again.code).toBe(0);
    expect(await r.read("python/CHANGELOG.md")).toBe(changelog);
  });

  it("pre mode: 1.3.0-beta.0 becomes 1.3.0b0, then 1.3.0 after pre exit", async () => {
    const r = await repo(bridge());
    expect((await r.changeset("pre", "enter", "beta")).exitCode).toBe(0);
    expect((await run(r)).code).toBe(0);
    expect(JSON.parse(await r.read("packages/py/package.json")).version).toBe("1.3.0-beta.0");
    expect(await r.read("packages/py/pyproject.toml")).toMatch(/^version = "1\.3\.0b0"/m);
    await r.write({ ".changeset/second.md": changesetFile({ "@acme/py": "patch" }, "Fix.") });
    expect((await run(r)).code).toBe(0);
    expect(await r.read("packages/py/pyproject.toml")).toMatch(/^version = "1\.3\.0b1"/m);
    expect((await r.changeset("pre", "exit")).exitCode).toBe(0);
    expect((await run(r)).code).toBe(0);
    expect(await r.read("packages/py/pyproject.toml")).toMatch(/^version = "1\.3\.0"/m);
  });

  it("--snapshot with a pep440 mapping for the snapshot tag", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/polyglot.json": json({ pep440: { canary: "dev" } }),
    });
    const result = await run(r, "--snapshot", "canary");
    expect(result.code, result.stderr).toBe(0);
    const npmVersion = JSON.parse(await r.read("packages/py/package.json")).version as string;
    expect(npmVersion).toMatch(/^0\.0\.0-canary-\d{14}$/);
    const pyVersion = /^version = "([^"]+)"/m.exec(await r.read("packages/py/pyproject.toml"))?.[1];
    expect(pyVersion).toBe(toPep440(npmVersion, { canary: "dev" }));
    expect(pyVersion).toMatch(/dev/);
  });

  it("works in a pnpm workspace without an install", async () => {
    const files = bridge();
    delete files["package-lock.json"];
    const r = await repo({
      ...files,
      "package.json": json({ name: "root", private: true }),
      "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    });
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("packages/py/pyproject.toml")).toMatch(/^version = "1\.3\.0"/m);
  });

  it("passes a failing changeset version's exit code through and syncs nothing", async () => {
    const r = await repo(bridge());
    const result = await run(r, "--ignore", "@acme/not-here");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/changeset version failed \(exit 1\) and changed no package\.json/);
    expect(await r.changedFiles()).toEqual([]);
  });

  it("a changeset version that fails after bumping says what it changed and how to recover", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/config.json": json({ ...JSON.parse(CHANGESET_CONFIG), format: "prettier" }),
    });
    // Changesets runs the formatter through the package manager (`npx prettier`): under `npx -y` (as CI runs the
    // tests) npx would fetch prettier from the registry. Offline, the formatter is missing, as in the user's repo.
    const stderr = collector();
    const env = { ...process.env, npm_config_yes: "false", npm_config_offline: "true" };
    const code = await main([], { cwd: r.dir, stdout: collector().stream, stderr: stderr.stream, env });
    const result = { code, stderr: stderr.text() };
    expect(result.code).toBe(1);
    expect(await r.changedFiles()).toEqual(["packages/py/CHANGELOG.md", "packages/py/package.json"]);
    expect(result.stderr).toMatch(
      /^polyglot-version: error: changeset version failed \(exit 1\) after changing packages\/py\/package\.json, packages\/py\/CHANGELOG\.md; the changesets are still in \.changeset and no target was synced, so running polyglot-version again now would bump the versions a second time$/m,
    );
    expect(result.stderr).toMatch(
      /^ {2}fix: undo its changes \(git checkout -- packages\/py\/package\.json packages\/py\/CHANGELOG\.md, or git stash\).*polyglot-version --sync-only$/m,
    );
  });

  it("stops before any target is written when changeset version writes another version than predicted", async () => {
    // The repo's own changesets CLI (which polyglot-version runs) stands in for one that versions differently
    // from the release plan, as another Changesets version or a changeset added during the run would.
    const r = await repo(bridge());
    await unlink(path.join(r.dir, "node_modules/@changesets/cli"));
    await r.write({
      "node_modules/@changesets/cli/package.json": json({ name: "@changesets/cli", version: "0.0.0" }),
      "node_modules/@changesets/cli/bin.js": [
        'const fs = require("node:fs");',
        'const file = "packages/py/package.json";',
        'const pkg = JSON.parse(fs.readFileSync(file, "utf8"));',
        'fs.writeFileSync(file, JSON.stringify({ ...pkg, version: "2.0.0" }, null, 2) + "\\n");',
        "",
      ].join("\n"),
    });
    const result = await run(r);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "polyglot-version: error: packages/py/package.json: @acme/py: changeset version wrote 2.0.0 to packages/py/package.json, but the release plan predicted 1.3.0; no target was synced [version]",
    );
    expect(await r.changedFiles()).toEqual(["packages/py/package.json"]);
  });

  it("explains in one line when there are no changesets", async () => {
    const files = bridge();
    delete files[".changeset/brave-cats.md"];
    const r = await repo(files);
    const result = await run(r);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no changesets to version: add one with `changeset add`, or run `polyglot-version --sync-only`/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("polyglot-version warnings about .changeset/config.json", () => {
  it("warns that a private bridge source is not versioned without privatePackages.version", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/config.json": json({
        ...JSON.parse(CHANGESET_CONFIG),
        privatePackages: { version: false, tag: false },
      }),
    });
    const result = await run(r, "--dry-run");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /warning: @acme\/py is private and \.changeset\/config\.json does not set privatePackages\.version to true \(the default is false\).*fix: set "privatePackages": \{ "version": true, "tag": true \}/,
    );
  });

  it("warns about a private bridge source that also has a polyglot.json entry (for versionFiles)", async () => {
    const r = await repo({
      ...bridge(),
      "packages/py/acme_py/__init__.py": '__version__ = "1.2.0"\n',
      ".changeset/config.json": json({
        ...JSON.parse(CHANGESET_CONFIG),
        privatePackages: { version: false, tag: false },
      }),
      ".changeset/polyglot.json": json({
        targets: [{ path: "packages/py", versionFrom: "@acme/py", versionFiles: ["acme_py/__init__.py"] }],
      }),
    });
    const result = await run(r, "--dry-run");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: @acme\/py is private and .*does not set privatePackages\.version to true/,
    );
  });

  it("with commit on and --changeset-cli, warns that the synced files stay uncommitted", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/config.json": json({ ...JSON.parse(CHANGESET_CONFIG), commit: true }),
    });
    const result = await run(r, "--changeset-cli");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: \.changeset\/config\.json has "commit" on/);
    expect(await r.changedFiles()).toEqual(["packages/py/pyproject.toml"]);
  });

  it("with commit on, in-process: one commit holds the versioned and the synced files, no warning", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/config.json": json({ ...JSON.parse(CHANGESET_CONFIG), commit: true }),
    });
    // As CI runs it: in the repo root (in-process needs the directory a changelog generator reads).
    const here = process.cwd();
    process.chdir(r.dir);
    const result = await run(r).finally(() => process.chdir(here));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/running changeset version as a process/);
    expect(result.stderr).not.toMatch(/has "commit" on/);
    expect(await r.changedFiles()).toEqual([]);
    expect(await r.git("show", "--name-only", "--format=%s", "HEAD")).toBe(
      [
        "RELEASING: Releasing 1 package(s)",
        "",
        ".changeset/brave-cats.md",
        "packages/py/CHANGELOG.md",
        "packages/py/package.json",
        "packages/py/pyproject.toml",
      ].join("\n"),
    );
  });
});

describe("polyglot-version --sync-only", () => {
  it("syncs targets to the versions a separate changeset version wrote", async () => {
    const r = await repo(follow());
    expect((await r.changeset("version")).exitCode).toBe(0);
    const result = await run(r, "--sync-only");
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("python/pyproject.toml")).toMatch(/version = "1\.3\.0"/);
    expect(await r.read("python/src/event_forge/__init__.py")).toMatch(/__version__ = "1\.3\.0"/);
    const again = await run(r, "--sync-only");
    expect(again.stderr).toMatch(/every target is in step/);
  });
});

describe("polyglot-version --dry-run", () => {
  it("with changesets pending: prints the planned target diff and the npm bumps, writes nothing", async () => {
    const r = await repo(follow());
    const before = await r.hashes();
    const result = await run(r, "--dry-run");
    expect(result.code, result.stderr).toBe(0);
    expect(await r.hashes()).toEqual(before);
    expect(result.stdout).toContain("--- a/python/pyproject.toml\n+++ b/python/pyproject.toml");
    expect(result.stdout).toContain('-version = "1.2.0"\r\n+version = "1.3.0"\r\n');
    expect(result.stdout).toContain('+__version__ = "1.3.0"');
    expect(result.stderr).toMatch(/would bump @event-forge\/inbox-outbox-core 1\.2\.0 -> 1\.3\.0/);
    expect(result.stderr).toMatch(/would mirror/);
  });

  it("after changeset version: the diff is exactly what --sync-only then writes (git apply)", async () => {
    const r = await repo(follow());
    expect((await r.changeset("version")).exitCode).toBe(0);
    await r.git("add", "-A");
    await r.git("commit", "-qm", "version");
    const before = await r.hashes();
    const dry = await run(r, "--dry-run", "--sync-only");
    expect(await r.hashes()).toEqual(before);
    await execa("git", ["apply", "-"], { cwd: r.dir, input: dry.stdout });
    const applied = await r.hashes();
    await r.git("checkout", "-q", "--", ".");
    await r.git("clean", "-qfd");
    expect((await run(r, "--sync-only")).code).toBe(0);
    expect(await r.hashes()).toEqual(applied);
    expect(applied).not.toEqual(before);
  });
});

describe("polyglot-version --check and --json", () => {
  it("--check exits 1 naming the target out of step, 0 once synced; writes nothing", async () => {
    const r = await repo(follow());
    expect((await r.changeset("version")).exitCode).toBe(0);
    const before = await r.hashes();
    const failing = await run(r, "--check");
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(
      /python \(pypi event-forge-inbox-outbox\) is out of step with @event-forge\/inbox-outbox-core/,
    );
    expect(await r.hashes()).toEqual(before);
    expect((await run(r, "--sync-only")).code).toBe(0);
    const passing = await run(r, "--check");
    expect(passing.code).toBe(0);
    expect(passing.stdout).toBe("polyglot-version: the 1 target is in step with its source\n");
  });

  it("--check notes a bridge-shaped folder outside the workspace globs", async () => {
    const r = await repo({
      ...bridge(),
      "sdk/python/package.json": json({ name: "sdk-py", version: "1.0.0", private: true }),
      "sdk/python/pyproject.toml": PYPROJECT,
    });
    const result = await run(r, "--check");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("polyglot-version: the 1 target is in step with its source\n");
    expect(result.stderr).toMatch(
      /^polyglot-version: note: sdk\/python has a package\.json and a pyproject\.toml but is outside the workspace globs.*fix: add it to the workspace globs, or add \{ "path": "sdk\/python", "versionFrom": "<npm package>" \} to "targets" in \.changeset\/polyglot\.json\)$/m,
    );
  });

  it("--json prints [{file, field, from, to}] and nothing else on stdout", async () => {
    const r = await repo(follow());
    const result = await run(r, "--json");
    expect(result.code, result.stderr).toBe(0);
    const edits = JSON.parse(result.stdout) as { file: string; field: string; from: string; to: string }[];
    expect(edits).toContainEqual(
      expect.objectContaining({ file: "python/pyproject.toml", from: "1.2.0", to: "1.3.0" }),
    );
    expect(edits).toContainEqual(
      expect.objectContaining({ file: "python/src/event_forge/__init__.py", from: "1.2.0", to: "1.3.0" }),
    );
    for (const edit of edits) expect(Object.keys(edit).sort()).toEqual(["field", "file", "from", "to"]);
  });
});

describe("polyglot-version errors: exit 2, file and fix named, every file byte-identical", () => {
  const cases: [string, FileTree, string[], RegExp, string][] = [
    [
      "broken TOML",
      bridge('[project]\nname = "acme-py"\nversion = "1.2.0\n'),
      [],
      /packages\/py\/pyproject.toml:3: invalid TOML/,
      "fix the TOML syntax at line 3",
    ],
    [
      "missing source",
      {
        ...follow(),
        ".changeset/polyglot.json": json({
          targets: [{ path: "python", versionFrom: "@event-forge/inbox-outbox-cor" }],
        }),
      },
      [],
      /\.changeset\/polyglot.json: targets\[0\]\.versionFrom names "@event-forge\/inbox-outbox-cor"/,
      'did you mean "@event-forge/inbox-outbox-core"',
    ],
    [
      "dynamic version without versionFiles",
      bridge('[project]\nname = "acme-py"\ndynamic = ["version"]\n'),
      [],
      /packages\/py\/pyproject.toml: \[project\]\.dynamic lists "version"/,
      '"versionFiles"',
    ],
    [
      "[project] and [tool.poetry] versions disagree",
      bridge('[project]\nname = "acme-py"\nversion = "1.2.0"\n\n[tool.poetry]\nversion = "1.1.0"\n'),
      [],
      /disagree/,
      "make them equal",
    ],
    [
      "schema violation",
      {
        ...follow(),
        ".changeset/polyglot.json": json({
          targets: [{ path: "python", versionFrom: "x", versionFile: [] }],
        }),
      },
      [],
      /\.changeset\/polyglot.json:\d+: unknown setting "versionFile" \[targets\[0\]\.versionFile\]/,
      'did you mean "versionFiles"',
    ],
    ["unknown option", bridge(), ["--frobnicate"], /unknown option --frobnicate/, "polyglot-version --help"],
    [
      "a snapshot tag without a pep440 mapping",
      bridge(),
      ["--snapshot", "canary"],
      /\.changeset\/polyglot\.json: acme-py \(packages\/py\) follows @acme\/py 0\.0\.0-canary-\d{14}: prerelease tag "canary"/,
      '"pep440": { "canary"',
    ],
  ];

  for (const [name, files, argv, message, fix] of cases) {
    it(name, async () => {
      const r = await repo(files);
      const before = await r.hashes();
      const result = await run(r, ...argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain(`fix: `);
      expect(result.stderr).toContain(fix);
      expect(await r.hashes()).toEqual(before);
    });
  }

  it("an unmappable prerelease stops the run before changeset version touches a file", async () => {
    const r = await repo(bridge());
    expect((await r.changeset("pre", "enter", "next")).exitCode).toBe(0);
    const before = await r.hashes();
    const result = await run(r);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/next/);
    expect(result.stderr).toMatch(/pep440/);
    expect(result.stderr).toContain("fix: ");
    expect(await r.hashes()).toEqual(before);
  });
});

describe("polyglot-version: setuptools projects (livekit/agents' shape)", () => {
  const SETUP_PY = `import setuptools

setuptools.setup(
    name="livekit-plugins-foo",
    version="1.2.0",
)
`;
  const livekit = (setupPy: string): FileTree =>
    npmWorkspace({
      "packages/foo/package.json": json({ name: "livekit-plugins-foo", version: "1.2.0", private: true }),
      "packages/foo/pyproject.toml":
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
      "packages/foo/setup.py": setupPy,
      ".changeset/brave-cats.md": changesetFile({ "livekit-plugins-foo": "minor" }, "Add streaming."),
    });

  it("syncs the literal version of setup() and leaves the [build-system] pyproject alone", async () => {
    const r = await repo(livekit(SETUP_PY));
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("packages/foo/setup.py")).toBe(SETUP_PY.replace('"1.2.0"', '"1.3.0"'));
    expect(result.stderr).toContain("synced packages/foo/setup.py (setup().version 1.2.0 -> 1.3.0)");
    expect(await r.changedFiles()).not.toContain("packages/foo/pyproject.toml");
  });

  it("--check on a computed setup() version is an error naming the folder, not 'all 0 targets'", async () => {
    const r = await repo(livekit(SETUP_PY.replace('"1.2.0"', 'about["__version__"]')));
    const result = await run(r, "--check");
    expect(result.code).toBe(2);
    expect(result.stdout).not.toMatch(/targets are in step/);
    expect(result.stderr).toMatch(/packages\/foo: setup\.py computes its version/);
    expect(result.stderr).toMatch(/versionFiles/);
    expect(result.stderr).not.toMatch(/\[project\]/);
  });
});

describe("polyglot-version: a Changesets 2 pre.json (@changesets/pre migrates it in place when it reads it)", () => {
  const legacyPre = (changesets: string[]) =>
    json({ mode: "pre", tag: "beta", initialVersions: { root: "0.0.0", "@acme/py": "1.2.0" }, changesets });

  it("--dry-run leaves every file as it was (the suite predicts on a scratch copy)", async () => {
    const r = await repo({ ...bridge(), ".changeset/pre.json": legacyPre([]) });
    const before = await r.hashes();
    const result = await run(r, "--dry-run");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/would bump @acme\/py 1\.2\.0 -> 1\.3\.0-beta\.0/);
    expect(await r.hashes()).toEqual(before);
  });

  it("names an invalid pre.json without printing it (its text could hold workflow commands)", async () => {
    const r = await repo({
      ...bridge(),
      ".changeset/pre.json": '{"mode":"pre",\n::error title=INJECTED::x\n',
    });
    const result = await run(r);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\.changeset\/pre\.json/);
    expect(result.stderr).toMatch(/invalid JSON/);
    expect(result.stderr).not.toContain("INJECTED");
    expect(await r.changedFiles()).toEqual([]);
  });
});

describe("polyglot-version: the pep440 map keeps PyPI's order", () => {
  const preState = (tag: string) =>
    json({ mode: "pre", tag, initialVersions: { root: "0.0.0", "@acme/py": "1.2.0" }, changesets: [] });
  const inPreMode = (version: string, tag: string, pep440: Pep440Map): FileTree => {
    const files = bridge(PYPROJECT.replace('"1.2.0"', `"${toPep440(version, pep440)}"`));
    return {
      ...files,
      "packages/py/package.json": json({ name: "@acme/py", version, private: true }),
      ".changeset/pre.json": preState(tag),
      ".changeset/polyglot.json": json({ pep440 }),
    };
  };

  it("refuses 1.3.0-beta.2 -> 1.3.0-next.3 under { next: a } (a3 < b2 on PyPI), naming pep440.next", async () => {
    const r = await repo(inPreMode("1.3.0-beta.2", "next", { next: "a" }));
    const result = await run(r);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/1\.3\.0-beta\.2 \(1\.3\.0b2\) to 1\.3\.0-next\.3 \(1\.3\.0a3\)/);
    expect(result.stderr).toMatch(/pep440\.next/);
    expect(await r.changedFiles()).toEqual([]);
  });

  it("warns when pre mode's tag and a tag in use become one PEP 440 letter", async () => {
    const r = await repo(inPreMode("1.3.0-rc.0", "next", { next: "rc" }));
    const result = await run(r, "--dry-run");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^polyglot-version: warning: pep440\.next in \.changeset\/polyglot\.json: the prerelease tags "next" and "rc" in use all become PEP 440 "rc"/m,
    );
  });
});

describe("polyglot-version: Rust crates, maturin, uv.lock and dependencies between targets", () => {
  it("maturin bridge: Cargo.toml and Cargo.lock move, the dynamic pyproject stays, uv.lock follows", async () => {
    const pyproject =
      '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n\n[project]\nname = "x0x"\ndynamic = ["version"]\n';
    const cargoLock =
      'version = 4\n\n[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n[[package]]\nname = "x0x"\nversion = "0.4.0"\ndependencies = [\n "serde",\n]\n';
    const uvLock =
      'version = 1\nrequires-python = ">=3.9"\n\n[[package]]\nname = "x0x"\nversion = "0.4.0"\nsource = { editable = "bindings/python" }\n';
    const r = await repo(
      npmWorkspace({
        "package.json": json({ name: "root", private: true, workspaces: ["bindings/*"] }),
        "bindings/python/package.json": json({ name: "x0x-python", version: "0.4.0", private: true }),
        "bindings/python/Cargo.toml":
          '[package]\nname = "x0x"\nversion = "0.4.0" # crate\nedition = "2021"\n',
        "bindings/python/Cargo.lock": cargoLock,
        "bindings/python/pyproject.toml": pyproject,
        "uv.lock": uvLock,
        ".changeset/minor.md": changesetFile({ "x0x-python": "minor" }, "Faster."),
      }),
    );
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("bindings/python/Cargo.toml")).toBe(
      '[package]\nname = "x0x"\nversion = "0.5.0" # crate\nedition = "2021"\n',
    );
    expect(await r.read("bindings/python/Cargo.lock")).toBe(
      cargoLock.replace('version = "0.4.0"', 'version = "0.5.0"'),
    );
    expect(await r.read("bindings/python/pyproject.toml")).toBe(pyproject);
    expect(await r.read("uv.lock")).toBe(uvLock.replace('"0.4.0"', '"0.5.0"'));
  });

  it("Cargo workspace: crates inheriting [workspace.package].version move it once, with [workspace.dependencies]", async () => {
    const rootToml =
      '[workspace]\nmembers = ["crates/*"]\n\n[workspace.package]\nversion = "1.0.0"\n\n[workspace.dependencies]\nacme-core = { path = "crates/core", version = "1.0.0" }\n';
    const r = await repo(
      npmWorkspace({
        "packages/js/package.json": json({ name: "@acme/js", version: "1.0.0" }),
        "Cargo.toml": rootToml,
        "crates/core/Cargo.toml": '[package]\nname = "acme-core"\nversion.workspace = true\n',
        "crates/cli/Cargo.toml":
          '[package]\nname = "acme-cli"\nversion.workspace = true\n\n[dependencies]\nacme-core.workspace = true\n',
        ".changeset/polyglot.json": json({
          targets: [
            { path: "crates/core", versionFrom: "@acme/js" },
            { path: "crates/cli", versionFrom: "@acme/js" },
          ],
        }),
        ".changeset/major.md": changesetFile({ "@acme/js": "major" }, "Break."),
      }),
    );
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("Cargo.toml")).toBe(rootToml.replaceAll('"1.0.0"', '"2.0.0"'));
    expect(await r.read("crates/core/Cargo.toml")).toBe(
      '[package]\nname = "acme-core"\nversion.workspace = true\n',
    );
  });

  it("crates sharing one workspace version but following different sources is an error", async () => {
    const r = await repo(
      npmWorkspace({
        "packages/a/package.json": json({ name: "a", version: "1.0.0" }),
        "packages/b/package.json": json({ name: "b", version: "1.0.0" }),
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n\n[workspace.package]\nversion = "1.0.0"\n',
        "crates/one/Cargo.toml": '[package]\nname = "one"\nversion.workspace = true\n',
        "crates/two/Cargo.toml": '[package]\nname = "two"\nversion.workspace = true\n',
        ".changeset/polyglot.json": json({
          targets: [
            { path: "crates/one", versionFrom: "a" },
            { path: "crates/two", versionFrom: "b" },
          ],
        }),
        ".changeset/minor.md": changesetFile({ a: "minor" }, "A."),
      }),
    );
    const before = await r.hashes();
    const result = await run(r);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /Cargo.toml: one and two share \[workspace.package\].version but follow different versions/,
    );
    expect(result.stderr).toContain("fix: ");
    expect(await r.hashes()).toEqual(before);
  });

  it("moves a dependency specifier on another synced Python package, keeping its operator", async () => {
    const r = await repo(
      npmWorkspace({
        "packages/core/package.json": json({ name: "core", version: "1.2.0" }),
        "python/a/pyproject.toml": '[project]\nname = "acme_a"\nversion = "1.2.0"\n',
        "python/b/pyproject.toml":
          '[project]\nname = "acme-b"\nversion = "1.2.0"\ndependencies = [\n  "Acme.A >= 1.2.0",\n  "httpx>=0.27",\n]\n',
        ".changeset/polyglot.json": json({
          targets: [
            { path: "python/a", versionFrom: "core" },
            { path: "python/b", versionFrom: "core" },
          ],
        }),
        ".changeset/minor.md": changesetFile({ core: "minor" }, "New."),
      }),
    );
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("python/b/pyproject.toml")).toBe(
      '[project]\nname = "acme-b"\nversion = "1.3.0"\ndependencies = [\n  "Acme.A >= 1.3.0",\n  "httpx>=0.27",\n]\n',
    );
  });

  it("warns when a specifier moves in a target that is not being released", async () => {
    const r = await repo(
      npmWorkspace({
        "packages/a/package.json": json({ name: "npm-a", version: "1.2.0" }),
        "packages/b/package.json": json({ name: "npm-b", version: "2.0.0" }),
        "python/a/pyproject.toml": '[project]\nname = "acme-a"\nversion = "1.2.0"\n',
        "python/b/pyproject.toml":
          '[project]\nname = "acme-b"\nversion = "2.0.0"\ndependencies = ["acme-a>=1.2.0"]\n',
        ".changeset/polyglot.json": json({
          targets: [
            { path: "python/a", versionFrom: "npm-a" },
            { path: "python/b", versionFrom: "npm-b" },
          ],
        }),
        ".changeset/minor.md": changesetFile({ "npm-a": "minor" }, "New."),
      }),
    );
    const result = await run(r);
    expect(result.code, result.stderr).toBe(0);
    expect(await r.read("python/b/pyproject.toml")).toMatch(/"acme-a>=1\.3\.0"/);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning:"));
    expect(warnings).toEqual([
      'polyglot-version: warning: python/b (pypi acme-b) is not being released (its version stays 2.0.0), but its dependency specifier "acme-a>=1.2.0" -> "acme-a>=1.3.0" moved in python/b/pyproject.toml, so no published build carries the change (fix: add a changeset for npm-b, e.g. `changeset add`, and release it)',
    ]);
  });
});

describe("polyglot-version --check with shared lock files", () => {
  it("names the target whose uv.lock entry is out of step, not every target", async () => {
    const uvLock = (a: string, b: string) =>
      `version = 1\n\n[[package]]\nname = "acme-a"\nversion = "${a}"\nsource = { editable = "python/a" }\n\n[[package]]\nname = "acme-b"\nversion = "${b}"\nsource = { editable = "python/b" }\n`;
    const r = await repo(
      npmWorkspace({
        "packages/a/package.json": json({ name: "a", version: "1.0.0" }),
        "packages/b/package.json": json({ name: "b", version: "2.0.0" }),
        "python/a/pyproject.toml": '[project]\nname = "acme-a"\nversion = "1.0.0"\n',
        "python/b/pyproject.toml": '[project]\nname = "acme-b"\nversion = "2.0.0"\n',
        "uv.lock": uvLock("1.0.0", "1.9.0"),
        ".changeset/polyglot.json": json({
          targets: [
            { path: "python/a", versionFrom: "a" },
            { path: "python/b", versionFrom: "b" },
          ],
        }),
      }),
    );
    const result = await run(r, "--check");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /python\/b \(pypi acme-b\) is out of step with b: uv.lock package\[acme-b\]\.version is 1\.9\.0, expected 2\.0\.0/,
    );
    expect(result.stdout).not.toMatch(/acme-a\) is out of step/);
    expect((await run(r, "--sync-only")).code).toBe(0);
    expect(await r.read("uv.lock")).toBe(uvLock("1.0.0", "2.0.0"));
  });
});
