// Snapshot (canary) releases (issue 17, item 4): `polyglot-version --snapshot canary` then
// `polyglot-publish --tag canary --no-git-tag` publishes throw-away versions under their own dist-tag and leaves
// no git tag behind; the Python target gets a PEP 440 development release.
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { publishRun, TOKEN_ARGS } from "./fault-run.js";
import { runVersion } from "./helpers.js";
import {
  actionsEnv,
  createReleaseRepo,
  prepublish,
  readText,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";

describe("snapshot releases", () => {
  let servers: Servers;
  const dirs = useServers((started) => (servers = started));

  test("publish under the snapshot dist-tag, create no git tag, hand PyPI a .devN at a ref that exists", async () => {
    const repo = await createReleaseRepo(servers, { count: 2, npmrcToken: servers.token });
    dirs.push(repo.dir);
    await prepublish(servers, repo);
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo.dir, encoding: "utf8" });
    const config = JSON.parse(await readFile(join(repo.dir, ".changeset/config.json"), "utf8"));
    config.snapshot = { prereleaseTemplate: "{tag}-{datetime}" };
    await writeFile(join(repo.dir, ".changeset/config.json"), JSON.stringify(config, null, 2));
    const polyglot = JSON.parse(await readFile(join(repo.dir, ".changeset/polyglot.json"), "utf8"));
    await writeFile(
      join(repo.dir, ".changeset/polyglot.json"),
      JSON.stringify({ ...polyglot, pep440: { canary: "dev" } }, null, 2),
    );
    await writeFile(
      join(repo.dir, ".changeset/canary.md"),
      `---\n"${repo.names[0]}": minor\n"@${repo.scope}/py": minor\n---\n\nTry this.\n`,
    );
    git("add", "-A");
    git("commit", "-qm", "pending changeset", "--no-verify");

    const env = actionsEnv(servers, repo);
    const version = await runVersion(repo.dir, ["--snapshot", "canary"], env);
    expect(version.code, version.stdout + version.stderr).toBe(0);
    const snapshot = JSON.parse(
      await readFile(join(repo.dir, "packages/pkg-0/package.json"), "utf8"),
    ).version;
    expect(snapshot).toMatch(/^0\.0\.0-canary-\d{14}$/);
    const pyproject = await readFile(join(repo.dir, "python/py/pyproject.toml"), "utf8");
    expect(pyproject).toContain(`version = "0.0.0.dev${snapshot.slice(-14)}"`);
    const tagsBefore = git("tag", "--list");

    const run = await publishRun(servers, repo, [...TOKEN_ARGS, "--tag", "canary", "--no-git-tag"], env);
    expect(run.result.code, run.shown).toBe(0);
    expect(await registryVersions(servers, repo.names[0]!)).toContain(snapshot);
    const packument = await (
      await fetch(new URL(repo.names[0]!.replace("/", "%2f"), servers.registry.url))
    ).json();
    expect(packument["dist-tags"]).toMatchObject({ latest: "1.0.0", canary: snapshot });
    expect(git("tag", "--list")).toBe(tagsBefore);
    expect(await readText(repo.changesetsOutput)).toBe("");
    expect(run.published.map((entry) => `${entry.name}@${entry.version}`)).toContain(
      `${repo.names[0]}@${snapshot}`,
    );
    const pypi = JSON.parse(run.outputs["pypi-packages"] ?? "[]");
    expect(pypi).toEqual([
      expect.objectContaining({
        version: `0.0.0.dev${snapshot.slice(-14)}`,
        tag: git("rev-parse", "HEAD").trim(),
      }),
    ]);
  });
});
