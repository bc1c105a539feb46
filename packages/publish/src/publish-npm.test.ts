import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IdTokenServer, startIdTokenServer } from "../../testkit/src/id-token.js";
import { type PypiServer, startPypi } from "../../testkit/src/pypi.js";
import { type Registry, startRegistry } from "../../testkit/src/registry.js";
import {
  createWorkspaceRepo,
  jobFiles,
  npmPackage,
  registryVersions,
  runCliInProcess,
  seedPackage,
  stepEnv,
} from "./__fixtures__/harness.js";

// End to end on the npm workspace flavour: real git, the real Changesets CLI, real npm, testkit Verdaccio with the
// OIDC exchange, the GitHub ID-token stand-in and the PyPI stand-in, shared by every test of this file.
let ids: IdTokenServer;
let registry: Registry;
let pypi: PypiServer;
let token: string;
const CANARY = "npm_CANARYtokenValue0123456789abcdef";

beforeAll(async () => {
  ids = await startIdTokenServer();
  registry = await startRegistry({
    oidc: { issuer: ids.issuer, jwks: ids.jwks },
    trustedPublishers: [{ package: "@acme/*", repository: "octo-org/octo-repo", workflow: "release.yml" }],
  });
  pypi = await startPypi();
  token = await registry.createUser("maintainer");
  for (const name of [
    "@acme/core",
    "@acme/cli",
    "@acme/c1",
    "@acme/c2",
    "@acme/c3",
    "@acme/wrong-repo",
    "@acme/solo",
  ]) {
    await seedPackage(registry, token, name, "1.0.0");
  }
});

afterAll(async () => {
  await Promise.all([registry?.close(), ids?.close(), pypi?.close()]);
});

/** An npm workspace whose project .npmrc has setup-node's placeholder line and points at the testkit registry. */
function npmWorkspace(packages: Record<string, object>, extra: Record<string, string | object> = {}) {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${registry.url}\n${registry.npmrcKey}:_authToken=\${NODE_AUTH_TOKEN}\n`,
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
    for (const exchange of exchanges) {
      if (!exchange.token) continue;
      const leaks = run.everything
        .split("\n")
        .filter((line) => line.includes(exchange.token ?? "") && !line.startsWith("::add-mask::"));
      expect(leaks).toEqual([]);
    }
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
});
