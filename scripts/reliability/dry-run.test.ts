// `--dry-run` of polyglot-version and polyglot-publish writes nothing: the tree (with .git, so no tag and no
// commit either) and the registries are byte-identical afterwards.
import { expect, test } from "vitest";
import { versionRepo } from "../bench/generate.mjs";
import { createRepo } from "../bench/lib.mjs";
import { runPublish, runVersion, snapshot } from "./helpers.js";
import { actionsEnv, createReleaseRepo, registryState, type Servers, useServers } from "./publish-fixture.js";
import { canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

test("polyglot-version --dry-run prints the edits and leaves the repo byte-identical", async () => {
  const { files } = versionRepo({ npm: 6, python: 4, changesets: 5 });
  const dir = await createRepo(files, { prefix: "pc-rel-dry-version-" });
  dirs.push(dir);
  const before = await snapshot(dir, { git: true });
  const result = await runVersion(dir, ["--dry-run"]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/pyproject\.toml/);
  expect(await snapshot(dir, { git: true })).toEqual(before);
  const json = await runVersion(dir, ["--dry-run", "--json"]);
  expect(json.code, json.stderr).toBe(0);
  const edits = JSON.parse(json.stdout) as { file: string; field: string; from: string; to: string }[];
  expect(edits.length).toBeGreaterThan(0);
  expect(await snapshot(dir, { git: true })).toEqual(before);
});

test("polyglot-publish --dry-run leaves the repo, the npm registry and the PyPI index untouched", async () => {
  const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
  dirs.push(repo.dir);
  const beforeTree = await snapshot(repo.dir, { git: true });
  const beforeRegistry = await registryState(servers, repo.names);
  const uploads = servers.pypi.uploads.length;
  const pypiBefore = JSON.stringify(servers.pypi.project(repo.python) ?? null);
  const registryWrites = () =>
    servers.registry.requests?.filter((r: { method: string }) => r.method !== "GET").length;
  const writesBefore = registryWrites();
  for (const args of [
    ["--dry-run", "--oidc", "off"],
    ["--dry-run", "--json", "--oidc", "off"],
  ]) {
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    const result = await runPublish(repo.dir, args, env);
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(`${result.stdout}\n${result.stderr}`).toContain(repo.names[0]);
    await expectNoSecrets(secretsOf(servers, env), result, repo, env);
  }
  // GITHUB_OUTPUT / the summary live outside the tree (.out/ is ignored); nothing else moved.
  const afterTree = await snapshot(repo.dir, { git: true });
  for (const key of Object.keys(afterTree)) if (key.startsWith(".out")) delete afterTree[key];
  for (const key of Object.keys(beforeTree)) if (key.startsWith(".out")) delete beforeTree[key];
  expect(afterTree).toEqual(beforeTree);
  expect(await registryState(servers, repo.names)).toEqual(beforeRegistry);
  expect(servers.pypi.uploads.length).toBe(uploads);
  expect(JSON.stringify(servers.pypi.project(repo.python) ?? null)).toBe(pypiBefore);
  expect(registryWrites()).toBe(writesBefore);
});
