// End to end, the release gates of issue 13: real git, the real Changesets CLI, real npm, the testkit Verdaccio
// (OIDC exchange and npm's staged publishing) and the PyPI stand-in, shared by every test of this file.
import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  type IdTokenServer,
  type PypiServer,
  type Registry,
  startIdTokenServer,
  startPypi,
  startRegistry,
} from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspaceRepo,
  jobFiles,
  npmPackage,
  registryVersions,
  runCliInProcess,
  seedPackage,
  stepEnv,
  successfulPuts,
} from "../__fixtures__/harness.js";

let ids: IdTokenServer;
let registry: Registry;
let pypi: PypiServer;
let token: string;

beforeAll(async () => {
  ids = await startIdTokenServer();
  registry = await startRegistry({
    oidc: { issuer: ids.issuer, jwks: ids.jwks },
    trustedPublishers: [{ package: "@acme/*", repository: "octo-org/octo-repo", workflow: "release.yml" }],
  });
  pypi = await startPypi();
  token = await registry.createUser("maintainer");
  for (const name of ["@acme/gated", "@acme/stamped", "@acme/broken", "@acme/staged"]) {
    await seedPackage(registry, token, name, "1.0.0");
  }
});

afterAll(async () => {
  await Promise.all([registry?.close(), ids?.close(), pypi?.close()]);
});

/** An npm workspace publishing to the testkit registry through OIDC (no token anywhere). */
function workspace(
  packages: Record<string, Record<string, string | object>>,
  extra: Record<string, string | object> = {},
) {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${registry.url}\n`,
    ".changeset/polyglot.json": { pypi: { index: pypi.url } },
    ...Object.fromEntries(
      Object.entries(packages).flatMap(([dir, files]) =>
        Object.entries(files).map(([file, content]) => [`packages/${dir}/${file}`, content]),
      ),
    ),
    ...extra,
  });
}

function oidcRun(argv: string[], dir: string) {
  const files = jobFiles();
  const command = argv[0] === "doctor" ? ["doctor"] : [];
  return runCliInProcess(
    [...command, "--no-provenance", ...argv.slice(command.length)],
    dir,
    stepEnv(files, ids.githubEnv()),
    files,
  );
}

describe("clean tree", () => {
  it("stops on a dirty tracked file and on an untracked generated file with nothing published; --allow-dirty lets the expected one pass", async () => {
    const repo = await workspace({
      gated: {
        "package.json": npmPackage("@acme/gated", "1.1.0", { main: "index.js" }),
        "index.js": "module.exports = 'gated';\n",
      },
    });
    const puts = successfulPuts(registry, "@acme/gated");

    writeFileSync(
      path.join(repo.dir, "packages/gated/index.js"),
      "module.exports = 'changed by the build';\n",
    );
    const dirtyTracked = await oidcRun([], repo.dir);
    expect(dirtyTracked.exitCode).toBe(2);
    expect(dirtyTracked.stdout).toContain("[tree-dirty]");
    expect(dirtyTracked.stdout).toContain("packages/gated/index.js (modified)");
    expect(dirtyTracked.stdout).toContain("nothing was published");
    expect(dirtyTracked.summary).toContain("- [ ] Tree clean: FAILED");

    await repo.git("checkout", "--", "packages/gated/index.js");
    writeFileSync(path.join(repo.dir, "packages/gated/generated.js"), "// generated\n");
    const untracked = await oidcRun([], repo.dir);
    expect(untracked.exitCode).toBe(2);
    expect(untracked.stdout).toContain("packages/gated/generated.js (untracked)");
    expect(untracked.stdout).toContain("--allow-dirty");
    expect(successfulPuts(registry, "@acme/gated")).toBe(puts);
    expect(await registryVersions(registry, "@acme/gated")).toEqual(["1.0.0"]);

    // The expected generated file passes; the same run proves the read-back, the urls output and --smoke.
    const allowed = await oidcRun(
      [
        "--reproducible",
        "--allow-dirty",
        "packages/gated/generated.js",
        "--smoke",
        `node -e "if (require('@acme/gated') !== 'gated') process.exit(3)"`,
        "--json",
      ],
      repo.dir,
    );
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(await registryVersions(registry, "@acme/gated")).toEqual(["1.0.0", "1.1.0"]);
    expect(allowed.stderr).toContain(
      "verified @acme/gated@1.1.0 on the registry (integrity equals the packed tarball)",
    );
    expect(allowed.stderr).toContain("smoke test passed");
    const packument = (await (await fetch(`${registry.url}@acme%2fgated`)).json()) as {
      versions: Record<string, { dist: { tarball: string } }>;
    };
    const urls = [
      {
        ecosystem: "npm",
        name: "@acme/gated",
        version: "1.1.0",
        url: `${registry.url}@acme%2fgated`,
        tarball: packument.versions["1.1.0"]?.dist.tarball,
        state: "published",
      },
    ];
    expect(JSON.parse(allowed.outputs.urls ?? "")).toEqual(urls);
    expect(JSON.parse(allowed.stdout).urls).toEqual(urls);
    expect(allowed.summary).toContain("**URLs**");
    expect(allowed.summary).toMatch(
      /\(tarball: \[.*gated-1\.1\.0\.tgz\]\(http:\/\/127\.0\.0\.1:\d+\/.*gated-1\.1\.0\.tgz\)\)/,
    );
    for (const line of [
      "- [x] Tree clean: the working tree is clean \\(1 change\\(s\\) allowed by --allow-dirty\\)",
      "- [x] Packages reproducible",
      "- [x] Versions free on npm",
      "- [x] Trusted publishers OK",
      "- [x] Published and verified",
      "- [x] Smoke test",
      "- [x] URLs",
    ]) {
      expect(allowed.summary).toContain(line);
    }
  }, 240_000);
});

describe("reproducible packages", () => {
  it("names the file that differs between two packs, publishes nothing, and shows the failed gate in doctor", async () => {
    const stamp = `require('fs').writeFileSync('stamp.txt', String(process.hrtime.bigint()))`;
    const repo = await workspace(
      {
        stamped: {
          "package.json": npmPackage("@acme/stamped", "1.1.0", {
            files: ["index.js", "same.txt", "stamp.txt"],
            scripts: { prepack: `node -e "${stamp}"` },
          }),
          "index.js": "module.exports = 1;\n",
          "same.txt": "stable\n",
        },
      },
      { ".gitignore": "node_modules\nstamp.txt\n" },
    );
    const run = await oidcRun(["--reproducible"], repo.dir);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain(
      "[package-not-reproducible] @acme/stamped packed twice gives two different tarballs: stamp.txt differ",
    );
    expect(run.stdout).not.toMatch(/same\.txt|index\.js differ/);
    expect(await registryVersions(registry, "@acme/stamped")).toEqual(["1.0.0"]);

    const doctor = await oidcRun(["doctor", "--reproducible"], repo.dir);
    expect(doctor.exitCode).toBe(2);
    expect(doctor.stdout).toContain("[ ] Packages reproducible: FAILED: @acme/stamped");
    expect(doctor.stdout).toContain("[x] Tree clean");
    expect(doctor.summary).toContain("- [ ] Packages reproducible: FAILED: @acme/stamped");
  }, 240_000);
});

describe("--smoke", () => {
  it("fails the run when the published package cannot be required, and holds back the PyPI hand-off", async () => {
    const repo = await workspace(
      {
        broken: {
          "package.json": npmPackage("@acme/broken", "1.1.0", { main: "index.js" }),
          "index.js": "throw new Error('the build shipped a broken entry point');\n",
        },
        py: { "package.json": { name: "acme-broken-py", version: "1.1.0", private: true } },
      },
      {
        "packages/py/pyproject.toml": '[project]\nname = "acme-broken-py"\nversion = "1.1.0"\n',
        ".changeset/polyglot.json": {
          pypi: { index: pypi.url },
          targets: [{ path: "packages/py", versionFrom: "@acme/broken" }],
        },
      },
    );
    const run = await oidcRun(["--smoke", `node -e "require('@acme/broken')"`], repo.dir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("smoke test failed: the --smoke command exited 1");
    expect(run.stdout).toContain("  | ");
    expect(run.stdout).toContain("the build shipped a broken entry point");
    expect(run.stdout).toContain("the PyPI hand-off is held back");
    expect(run.outputs.pypi).toBe("false");
    expect(run.summary).toContain("- [ ] Smoke test: FAILED");
    // Published (live), verified, and reported: the fix is a rollback or a new patch.
    expect(await registryVersions(registry, "@acme/broken")).toEqual(["1.0.0", "1.1.0"]);
  }, 240_000);
});

describe("--stage, then approval", () => {
  it("stages with npm stage publish (nothing live, no tag, no hand-off) and finishes after approval with --after-approval", async () => {
    const repo = await workspace(
      {
        staged: { "package.json": npmPackage("@acme/staged", "1.1.0"), "index.js": "module.exports = 1;\n" },
        py: { "package.json": { name: "acme-staged-py", version: "1.1.0", private: true } },
      },
      {
        "packages/py/pyproject.toml": '[project]\nname = "acme-staged-py"\nversion = "1.1.0"\n',
        ".changeset/polyglot.json": {
          pypi: { index: pypi.url },
          targets: [{ path: "packages/py", versionFrom: "@acme/staged" }],
        },
      },
    );
    const staged = await oidcRun(["--stage"], repo.dir);
    expect(staged.exitCode, staged.stdout + staged.stderr).toBe(0);
    const [item] = registry.staged().filter((entry) => entry.packageName === "@acme/staged");
    expect(item).toMatchObject({ version: "1.1.0", actorType: "oidc", state: "staged" });
    // Staged with the token of the OIDC exchange, in the publish environment (as `changeset publish` would).
    const stagePost = registry.requests
      .filter((request) => request.method === "POST" && request.path === "/-/stage/package/@acme%2fstaged")
      .at(-1);
    const exchanged = registry.exchanges
      .filter((exchange) => exchange.package === "@acme/staged" && exchange.status === 201)
      .at(-1);
    expect(stagePost?.headers.authorization).toBe(`Bearer ${exchanged?.token}`);
    expect(staged.stdout).toContain(
      `staged @acme/staged@1.1.0 (stage id ${item?.id}); not live until approved`,
    );
    expect(staged.stdout).toContain(`npm stage approve ${item?.id}`);
    expect(JSON.parse(staged.outputs.staged ?? "")).toEqual([
      { name: "@acme/staged", version: "1.1.0", stageId: item?.id },
    ]);
    expect(staged.outputs.published).toBe("false");
    expect(staged.outputs.pypi).toBe("false");
    expect(staged.summary).toContain("- [x] Staged, awaiting approval");
    expect(await registryVersions(registry, "@acme/staged")).toEqual(["1.0.0"]);
    expect(await repo.git("tag", "--list")).toBe("");

    const again = await oidcRun(["--stage"], repo.dir);
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toMatch(/error: could not stage @acme\/staged@1\.1\.0: .*already staged/);
    expect(again.summary).toContain(
      "- [ ] Staged, awaiting approval: FAILED: not staged: @acme/staged@1.1.0",
    );
    expect(registry.staged().filter((entry) => entry.packageName === "@acme/staged")).toHaveLength(1);

    const early = await oidcRun(["--after-approval"], repo.dir);
    expect(early.exitCode).toBe(1);
    expect(early.stdout).toContain("not live yet (still staged, or rejected): @acme/staged@1.1.0");
    expect(await registryVersions(registry, "@acme/staged")).toEqual(["1.0.0"]);
    expect(await repo.git("tag", "--list")).toBe("");

    await registry.approve(item?.id ?? "");
    const after = await oidcRun(["--after-approval"], repo.dir);
    expect(after.exitCode, after.stdout + after.stderr).toBe(0);
    expect(await registryVersions(registry, "@acme/staged")).toEqual(["1.0.0", "1.1.0"]);
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual([
      "@acme/staged@1.1.0",
      "acme-staged-py@1.1.0",
    ]);
    expect(after.outputs.pypi).toBe("true");
    expect(JSON.parse(after.outputs["pypi-packages"] ?? "")).toEqual([
      expect.objectContaining({ name: "acme-staged-py", version: "1.1.0" }),
    ]);
    expect(registry.staged().find((entry) => entry.id === item?.id)?.state).toBe("approved");
  }, 240_000);
});
