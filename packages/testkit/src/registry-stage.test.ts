// Proof that the registry stand-in stages as npm's registry does: the real npm (testkit's bundled 11.21.2) stages
// with `npm stage publish` (a user token, and through the trusted-publishing exchange), the staged version is not
// visible or installable, `npm stage list/view` show it, and only a person's `npm stage approve` makes it live.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProofProject,
  oidcPublishEnv,
  type ProofProject,
  type ProofServers,
  publishedVersions,
  startProofServers,
  trustedPublisher,
} from "./__fixtures__/registry-proof.js";
import type { IdTokenServer } from "./id-token.js";
import type { Registry } from "./registry.js";

let servers: ProofServers;
let idTokens: IdTokenServer;
let registry: Registry;
let project: ProofProject;
let userconfig: string;
const NAME = "@acme/stage-proof";

beforeAll(async () => {
  servers = await startProofServers({ trustedPublishers: [trustedPublisher("@acme/*")] });
  ({ idTokens, registry } = servers);
  project = await createProofProject(registry, NAME, [servers.npmBin]);
  userconfig = await project.tokenUserconfig(await registry.createUser("maintainer"));
  const first = await project.run("npm", ["publish"], { npm_config_userconfig: userconfig });
  expect(first.exitCode, first.output).toBe(0);
});

afterAll(async () => {
  await project?.cleanup();
  await servers?.close();
});

function stageIdOf(output: string): string {
  const id = /staged with id ([0-9a-f-]{36})/.exec(output)?.[1];
  if (!id) throw new Error(`no stage id in: ${output}`);
  return id;
}

describe("npm staged publishing against the testkit registry", () => {
  it("stages through the trusted-publishing exchange; the version is invisible and not installable until approved", async () => {
    await project.setVersion("1.1.0");
    const staged = await project.run("npm", ["stage", "publish"], oidcPublishEnv(idTokens));
    expect(staged.exitCode, staged.output).toBe(0);
    const id = stageIdOf(staged.output);
    expect(registry.exchanges.at(-1)).toMatchObject({ package: NAME, status: 201 });
    expect(registry.staged()).toEqual([
      expect.objectContaining({
        id,
        packageName: NAME,
        version: "1.1.0",
        actorType: "oidc",
        state: "staged",
      }),
    ]);

    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0"]);
    const consumer = await mkdtemp(join(tmpdir(), "polyglot-consumer-"));
    try {
      await writeFile(join(consumer, "package.json"), '{"name":"consumer","version":"1.0.0"}\n');
      const install = await project.run("npm", [
        "install",
        `${NAME}@1.1.0`,
        `--registry=${registry.url}`,
        `--prefix=${consumer}`,
      ]);
      expect(install.exitCode).not.toBe(0);
      expect(install.output).toMatch(/ETARGET|No matching version/);
    } finally {
      await rm(consumer, { recursive: true, force: true });
    }

    const list = await project.run("npm", ["stage", "list", NAME, "--json", `--registry=${registry.url}`], {
      npm_config_userconfig: userconfig,
    });
    expect(list.exitCode, list.output).toBe(0);
    expect(JSON.parse(list.output)).toEqual([expect.objectContaining({ id, version: "1.1.0" })]);

    const byCi = await project.run("npm", ["stage", "approve", id, `--registry=${registry.url}`], {
      ...oidcPublishEnv(idTokens),
    });
    expect(byCi.exitCode).not.toBe(0);
    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0"]);

    const approved = await project.run("npm", ["stage", "approve", id, `--registry=${registry.url}`], {
      npm_config_userconfig: userconfig,
    });
    expect(approved.exitCode, approved.output).toBe(0);
    expect(approved.output).toContain("approved and published");
    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0", "1.1.0"]);
    expect(registry.staged().find((item) => item.id === id)?.state).toBe("approved");
  });

  it("refuses to stage a version that is live, rejects with npm stage reject, and approves through the helper", async () => {
    await project.setVersion("1.1.0");
    const over = await project.run("npm", ["stage", "publish"], { npm_config_userconfig: userconfig });
    expect(over.exitCode).not.toBe(0);
    expect(over.output).toMatch(/previously published/);

    await project.setVersion("1.2.0");
    const rejectedId = stageIdOf(
      (await project.run("npm", ["stage", "publish"], { npm_config_userconfig: userconfig })).output,
    );
    const rejected = await project.run("npm", ["stage", "reject", rejectedId, `--registry=${registry.url}`], {
      npm_config_userconfig: userconfig,
    });
    expect(rejected.exitCode, rejected.output).toBe(0);
    expect(registry.staged().find((item) => item.id === rejectedId)?.state).toBe("rejected");

    const again = await project.run("npm", ["stage", "publish"], { npm_config_userconfig: userconfig });
    const id = stageIdOf(again.output);
    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0", "1.1.0"]);
    await registry.approve(id);
    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    await expect(registry.approve(id)).rejects.toThrow(/404/);
  });
});
