import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { IdTokenServer, PypiServer, Registry } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspaceRepo,
  jobFiles,
  npmPackage,
  type PublishServers,
  placeholderNpmrc,
  registryVersions,
  runCliInProcess,
  startPublishServers,
  stepEnv,
} from "./__fixtures__/harness.js";

// End to end on the npm workspace flavour: real git, the real Changesets CLI, real npm, testkit Verdaccio with the
// OIDC exchange, the GitHub ID-token stand-in and the PyPI stand-in, shared by every test of this file.
let ids: IdTokenServer;
let registry: Registry;
let pypi: PypiServer;
let token: string;
let servers: PublishServers;
const CANARY = "npm_CANARYtokenValue0123456789abcdef";

beforeAll(async () => {
  servers = await startPublishServers([
    "@acme/core",
    "@acme/cli",
    "@acme/c1",
    "@acme/c2",
    "@acme/c3",
    "@acme/wrong-repo",
    "@acme/solo",
    "@acme/token-path",
  ]);
  ({ ids, registry, pypi, token } = servers);
});

afterAll(async () => {
  await servers?.close();
});

/** An npm workspace whose project .npmrc has setup-node's placeholder line and points at the testkit registry. */
function npmWorkspace(packages: Record<string, object>, extra: Record<string, string | object> = {}) {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": placeholderNpmrc(registry),
    ".changeset/polyglot.json": { pypi: { index: pypi.url } },
    ...Object.fromEntries(
      Object.entries(packages).map(([dir, json]) => [`packages/${dir}/package.json`, json]),
    ),
    ...extra,
  });
}

describe("polyglot-publish on an npm workspace", () => {
  it("publishes through OIDC with no token although a stale NODE_AUTH_TOKEN and the .npmrc placeholder are present", async () => {
    const repo = await npmWorkspace(
      {
        core: npmPackage("@acme/core", "1.1.0", { publishConfig: { access: "public" } }),
        cli: npmPackage("@acme/cli", "1.1.0", {
          publishConfig: { access: "public" },
          dependencies: { "@acme/core": "^1.1.0" },
        }),
        py: { name: "acme-py", version: "0.3.0", private: true },
      },
      { "packages/py/pyproject.toml": '[project]\nname = "Acme_Py"\nversion = "0.3.0"\n' },
    );
    const files = jobFiles();
    const env = stepEnv(files, { ...ids.githubEnv(), NODE_AUTH_TOKEN: CANARY, NPM_TOKEN: CANARY });
    const exchangesBefore = registry.exchanges.length;

    const run = await runCliInProcess(["--no-provenance", "--json"], repo.dir, env, files);

    expect(run.stderr).not.toMatch(/error/i);
    expect(run.exitCode).toBe(0);
    const exchanges = registry.exchanges.slice(exchangesBefore);
    // The preflight proves the trusted publisher, then npm exchanges once per package.
    expect(
      exchanges
        .filter((exchange) => exchange.status === 201)
        .map((exchange) => exchange.package)
        .sort(),
    ).toEqual(["@acme/cli", "@acme/cli", "@acme/core", "@acme/core"]);
    expect(await registryVersions(registry, "@acme/core")).toEqual(["1.0.0", "1.1.0"]);
    expect(await registryVersions(registry, "@acme/cli")).toEqual(["1.0.0", "1.1.0"]);
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual([
      "@acme/cli@1.1.0",
      "@acme/core@1.1.0",
      "acme-py@0.3.0",
    ]);

    expect(run.outputs.published).toBe("true");
    expect(JSON.parse(run.outputs["published-packages"] ?? "")).toEqual(
      expect.arrayContaining([
        { name: "@acme/core", version: "1.1.0" },
        { name: "@acme/cli", version: "1.1.0" },
        { name: "acme-py", version: "0.3.0" },
      ]),
    );
    expect(run.outputs.pypi).toBe("true");
    expect(JSON.parse(run.outputs["pypi-packages"] ?? "")).toEqual([
      { name: "acme-py", version: "0.3.0", path: "packages/py", tag: "acme-py@0.3.0" },
    ]);
    const json = JSON.parse(run.stdout);
    expect(json["published-packages"]).toEqual(JSON.parse(run.outputs["published-packages"] ?? ""));
    expect(run.summary).toContain("| @acme/core | npm | 1.1.0 |");
    expect(run.summary).toContain("| acme-py | PyPI | 0.3.0 |");
    // changesets/action v2 reads the caller's CHANGESETS_OUTPUT.
    const events = readFileSync(files.changesetsOutput, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.tag).sort()).toEqual([
      "@acme/cli@1.1.0",
      "@acme/core@1.1.0",
      "acme-py@0.3.0",
    ]);
    // Findings name what was kept out, never the value.
    expect(run.stderr + run.stdout).toContain("NODE_AUTH_TOKEN");
    expect(run.everything).not.toContain(CANARY);
    // Minted registry tokens and the job's ID tokens appear only in ::add-mask:: commands.
    const secrets = [
      ...exchanges.flatMap((exchange) => (exchange.token ? [exchange.token] : [])),
      ...ids.issued,
    ];
    expect(secrets.length).toBeGreaterThan(4);
    const lines = run.everything.split("\n");
    for (const secret of secrets) {
      expect(lines.filter((line) => line.includes(secret) && !line.startsWith("::add-mask::"))).toEqual([]);
    }
    expect(lines.filter((line) => line.startsWith("::add-mask::")).length).toBeGreaterThan(0);
    // A second run finds nothing to do and starts no Changesets; the PyPI target, still not on the index, is
    // handed to the PyPI job again (a re-run after a failed PyPI job needs that).
    const again = await runCliInProcess(["--no-provenance"], repo.dir, env, files);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to publish or tag (2 already published)");
    expect(again.everything).not.toContain("changeset v3");
    expect(again.outputs.published).toBe("false");
    expect(JSON.parse(again.outputs["pypi-packages"] ?? "")).toEqual(
      JSON.parse(run.outputs["pypi-packages"] ?? ""),
    );
    await repo.cleanup();
  });

  it.each([
    {
      finding: "trusted-publisher-mismatch",
      name: "@acme/solo",
      claims: { workflowFile: "other.yml" },
      args: [] as string[],
      says: "no trusted publisher for @acme/solo",
    },
    {
      finding: "oidc-permission-missing",
      name: "@acme/solo",
      claims: "no-id-token" as const,
      args: ["--oidc", "require"],
      says: "id-token: write",
    },
    {
      finding: "first-publish",
      name: "@acme/brand-new",
      claims: {},
      args: [],
      says: "a first publish cannot use OIDC",
    },
    {
      finding: "repository-mismatch",
      name: "@acme/wrong-repo",
      claims: {},
      args: [],
      repository: "git+https://github.com/someone/else.git",
      says: "points at someone/else",
    },
  ])("stops before publishing with $finding", async ({ finding, name, claims, args, says, ...rest }) => {
    const repository = "repository" in rest ? { repository: { type: "git", url: rest.repository } } : {};
    const repo = await npmWorkspace({
      pkg: npmPackage(name, "1.1.0", { publishConfig: { access: "public" }, ...repository }),
    });
    const files = jobFiles();
    const job = claims === "no-id-token" ? withoutIdToken(ids.githubEnv()) : ids.githubEnv(claims);
    const before = await registryVersions(registry, name);

    const run = await runCliInProcess(["--no-provenance", ...args], repo.dir, stepEnv(files, job), files);

    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain(`[${finding}]`);
    expect(run.stdout).toContain(says);
    expect(run.stdout).toMatch(/fix: \S/);
    expect(run.stdout).toContain("nothing was published");
    expect(await registryVersions(registry, name)).toEqual(before);
    expect(await repo.git("tag", "--list")).toBe("");
    expect(run.outputs).toMatchObject({ published: "false", "published-packages": "[]", pypi: "false" });
    await repo.cleanup();
  });

  it("after a registry fault on the 2nd of 3 packages, tags and reports the others, exits 1, and a re-run publishes only the missing one", async () => {
    const names = ["@acme/c1", "@acme/c2", "@acme/c3"];
    const repo = await npmWorkspace(
      Object.fromEntries(
        names.map((name) => [
          name.slice(6),
          npmPackage(name, "1.1.0", { publishConfig: { access: "public" } }),
        ]),
      ),
    );
    const files = jobFiles();
    // npm would retry a 500 with a 10 s back-off: no retries keeps the test fast (the fault is the same).
    const env = stepEnv(files, { ...ids.githubEnv(), npm_config_fetch_retries: "0" });
    const firstRequest = registry.requests.length;
    registry.faults.add({ path: "/@acme%2fc2", method: "PUT", status: 500 });

    const first = await runCliInProcess(["--no-provenance"], repo.dir, env, files);
    registry.faults.clear();

    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("not published: @acme/c2@1.1.0");
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual([
      "@acme/c1@1.1.0",
      "@acme/c3@1.1.0",
    ]);
    expect(JSON.parse(first.outputs["published-packages"] ?? "").sort(byName)).toEqual([
      { name: "@acme/c1", version: "1.1.0" },
      { name: "@acme/c3", version: "1.1.0" },
    ]);
    expect(first.summary).toContain("| @acme/c2 | npm | 1.1.0 |");
    expect(first.summary).toContain("| failed |");

    const afterFirst = registry.requests.length;
    const second = await runCliInProcess(["--no-provenance"], repo.dir, env, files);

    expect(second.exitCode).toBe(0);
    expect(JSON.parse(second.outputs["published-packages"] ?? "")).toEqual([
      { name: "@acme/c2", version: "1.1.0" },
    ]);
    for (const name of names) expect(await registryVersions(registry, name)).toEqual(["1.0.0", "1.1.0"]);
    const puts = (from: number, to: number | undefined, name: string) =>
      registry.requests
        .slice(from, to)
        .filter((request) => request.method === "PUT" && request.path === `/${name.replace("/", "%2f")}`)
        .length;
    // c1 and c3 were each published exactly once over both runs; the re-run sent one PUT, for c2 only.
    expect(puts(firstRequest, undefined, "@acme/c1")).toBe(1);
    expect(puts(firstRequest, undefined, "@acme/c3")).toBe(1);
    expect(names.map((name) => puts(afterFirst, undefined, name))).toEqual([0, 1, 0]);
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual([
      "@acme/c1@1.1.0",
      "@acme/c2@1.1.0",
      "@acme/c3@1.1.0",
    ]);
    await repo.cleanup();
  });

  it("--dry-run plans and checks but leaves the tree and the registry unchanged", async () => {
    const repo = await npmWorkspace({
      pkg: npmPackage("@acme/solo", "1.1.0", { publishConfig: { access: "public" } }),
    });
    const files = jobFiles();
    const firstRequest = registry.requests.length;

    const run = await runCliInProcess(
      ["--dry-run", "--json", "--no-provenance"],
      repo.dir,
      stepEnv(files, ids.githubEnv()),
      files,
    );

    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ "dry-run": true, published: false, "published-packages": [] });
    expect(report.rows).toEqual([
      expect.objectContaining({ package: "@acme/solo", status: "would publish (latest)" }),
    ]);
    expect(run.outputs.published).toBe("false");
    expect(
      registry.requests
        .slice(firstRequest)
        .filter((request) => request.method !== "GET" && !request.path.includes("/oidc/")),
    ).toEqual([]);
    expect(await registryVersions(registry, "@acme/solo")).toEqual(["1.0.0"]);
    expect(await repo.git("tag", "--list")).toBe("");
    expect(await repo.git("status", "--porcelain")).toBe("");
    expect(run.everything).not.toContain("changeset v3");
    await repo.cleanup();
  });
});

describe("polyglot-publish without OIDC, doctor, and an old runner npm", () => {
  it("--oidc auto without an ID token publishes with the configured token, as Changesets does", async () => {
    const repo = await npmWorkspace({
      tok: npmPackage("@acme/token-path", "1.1.0", { publishConfig: { access: "public" } }),
    });
    const files = jobFiles();
    const exchangesBefore = registry.exchanges.length;

    const run = await runCliInProcess([], repo.dir, stepEnv(files, { NODE_AUTH_TOKEN: token }), files);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("used for the publish (no OIDC ID token)");
    expect(await registryVersions(registry, "@acme/token-path")).toEqual(["1.0.0", "1.1.0"]);
    expect(registry.exchanges.length).toBe(exchangesBefore);
    expect(run.everything).not.toContain(token);
    await repo.cleanup();
  });

  it("uses the bundled npm when the runner's is older than 11.5.1", async () => {
    const repo = await npmWorkspace({
      solo: npmPackage("@acme/solo", "1.1.0", { publishConfig: { access: "public" } }),
    });
    const files = jobFiles();
    const oldNpm = fakeNpm("10.9.2");

    const run = await runCliInProcess(
      ["--no-provenance"],
      repo.dir,
      stepEnv(files, ids.githubEnv(), [oldNpm]),
      files,
    );

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /npm 10\.9\.2 on PATH is older than 11\.5\.1: the publish uses the bundled npm 11\.\d+\.\d+/,
    );
    expect(await registryVersions(registry, "@acme/solo")).toEqual(["1.0.0", "1.1.0"]);
    await repo.cleanup();
  });

  it("doctor reports every finding with its fix, names tokens without their values, and exits 2 on errors", async () => {
    const repo = await npmWorkspace({
      doc: npmPackage("@acme/doctor-only", "1.0.0", { publishConfig: { access: "restricted" } }),
    });
    const files = jobFiles();
    const userconfig = `${files.home}/.npmrc`;
    writeFileSync(userconfig, `${registry.npmrcKey}:_authToken=${CANARY}\n`);

    const run = await runCliInProcess(
      ["doctor", "--oidc", "require", "--json"],
      repo.dir,
      stepEnv(files, { NPM_TOKEN: CANARY }),
      files,
    );

    expect(run.exitCode).toBe(2);
    const { findings } = JSON.parse(run.stdout) as {
      findings: Array<{ code: string; level: string; fix?: string; file?: string }>;
    };
    const byId = Object.fromEntries(findings.map((finding) => [finding.code, finding]));
    expect(byId["ci-provider"]).toMatchObject({ level: "info" });
    expect(byId["oidc-unavailable"]).toMatchObject({
      level: "error",
      fix: expect.stringContaining("--oidc off"),
    });
    expect(byId["first-publish"]).toMatchObject({ level: "error", file: "packages/doc/package.json" });
    expect(byId["scoped-access"]).toMatchObject({
      level: "error",
      fix: expect.stringContaining('"access": "public"'),
    });
    expect(
      findings
        .filter((finding) => finding.code === "long-lived-token")
        .map((finding) => finding.file ?? "env"),
    ).toEqual(["env", userconfig]);
    expect(findings.every((finding) => finding.level === "info" || finding.fix)).toBe(true);
    expect(run.everything).not.toContain(CANARY);
    expect(await registryVersions(registry, "@acme/doctor-only")).toEqual([]);
    await repo.cleanup();
  });
});

/** An `npm` that only answers `--version` (with `version`) and fails anything else. */
function fakeNpm(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "old-npm-"));
  const file = path.join(dir, "npm");
  writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo ${version}; exit 0; fi\necho "old npm must not publish" >&2\nexit 1\n`,
  );
  chmodSync(file, 0o755);
  return dir;
}

function withoutIdToken(env: Record<string, string>): Record<string, string> {
  const { ACTIONS_ID_TOKEN_REQUEST_URL: _url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _token, ...rest } = env;
  return rest;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}
