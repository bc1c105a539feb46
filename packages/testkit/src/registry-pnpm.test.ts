import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProofProject,
  oidcPublishEnv,
  type ProofProject,
  type ProofServers,
  publishAuthorizations,
  publishedVersions,
  REPOSITORY,
  startProofServers,
  trustedPublisher,
} from "./__fixtures__/registry-proof.js";
import type { IdTokenServer } from "./id-token.js";
import type { Registry } from "./registry.js";
import { ensureTool } from "./tools.js";

let idTokens: IdTokenServer;
let registry: Registry;
let npmBin: string;
let firstPublisherToken: string;
let servers: ProofServers;

beforeAll(async () => {
  servers = await startProofServers({ trustedPublishers: [trustedPublisher("@acme/pnpm-*")] });
  ({ idTokens, registry, npmBin } = servers);
  firstPublisherToken = await registry.createUser("first-publisher");
});

afterAll(async () => {
  await servers?.close();
});

/** One package per pnpm version; its 1.0.0 is published with a user token (OIDC cannot create a package). */
async function projectWithFirstVersion(name: string, pnpmBin: string): Promise<ProofProject> {
  const project = await createProofProject(registry, name, [pnpmBin, npmBin]);
  const userconfig = await project.tokenUserconfig(firstPublisherToken);
  const first = await project.run("pnpm", ["publish", "--no-git-checks"], {
    npm_config_userconfig: userconfig,
  });
  expect(first.exitCode, first.output).toBe(0);
  expect(await publishedVersions(registry, name)).toEqual(["1.0.0"]);
  return project;
}

/** pnpm 11+ reads `pnpm_config_*`, not `npm_config_*`: only this keeps its provenance off. */
const PNPM_PROVENANCE_OFF = { pnpm_config_provenance: "false" };

describe.each([
  { pnpm: "pnpm@10.34.8", name: "@acme/pnpm-ten", provenanceOff: {} },
  { pnpm: "pnpm@12.21.0", name: "@acme/pnpm-twelve", provenanceOff: PNPM_PROVENANCE_OFF },
])("$pnpm publish with trusted publishing", ({ pnpm, name, provenanceOff }) => {
  let project: ProofProject;

  beforeAll(async () => {
    const pnpmBin = await ensureTool(pnpm);
    project = await projectWithFirstVersion(name, pnpmBin);
    const version = await project.run("pnpm", ["--version"]);
    expect(version.output.trim()).toBe(pnpm.split("@")[1]);
  }, 180_000);

  afterAll(() => project?.cleanup());

  it("publishes the next version through the exchange, with no token configured", async () => {
    await project.setVersion("1.0.1");
    const result = await project.run("pnpm", ["publish", "--no-git-checks"], {
      ...oidcPublishEnv(idTokens),
      ...provenanceOff,
    });
    expect(result.exitCode, result.output).toBe(0);
    const exchange = registry.exchanges.at(-1);
    expect(exchange).toMatchObject({ package: name, status: 201, reason: "ok" });
    expect(publishAuthorizations(registry, name).at(-1)).toBe(`Bearer ${exchange?.token}`);
    expect(await publishedVersions(registry, name)).toEqual(["1.0.0", "1.0.1"]);
  });

  it("is refused when the trusted publisher names another workflow", async () => {
    await project.setVersion("1.0.2");
    const exchangesBefore = registry.exchanges.length;
    const result = await project.run("pnpm", ["publish", "--no-git-checks"], {
      ...oidcPublishEnv(idTokens, { workflowFile: "nightly.yml" }),
      ...provenanceOff,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/ENEEDAUTH|E404|E401|401|404/);
    expect(registry.exchanges.slice(exchangesBefore)).toContainEqual({
      package: name,
      status: 404,
      reason: expect.stringMatching(/workflow nightly\.yml is not release\.yml/),
      claims: { repository: REPOSITORY, workflow: "nightly.yml" },
    });
    expect(await publishedVersions(registry, name)).toEqual(["1.0.0", "1.0.1"]);
  });
});

describe("pnpm 12 and provenance", () => {
  it("ignores NPM_CONFIG_PROVENANCE=false and signs for a public repo, which fails offline", async () => {
    const project = await createProofProject(registry, "@acme/pnpm-provenance", [
      await ensureTool("pnpm@12.21.0"),
      npmBin,
    ]);
    try {
      const userconfig = await project.tokenUserconfig(firstPublisherToken);
      await project.run("pnpm", ["publish", "--no-git-checks"], { npm_config_userconfig: userconfig });
      await project.setVersion("1.0.1");
      const result = await project.run("pnpm", ["publish", "--no-git-checks"], oidcPublishEnv(idTokens));
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toMatch(/ERR_PNPM_PROVENANCE_SIGN|sigstore/);
      expect(registry.exchanges.at(-1)).toMatchObject({ package: "@acme/pnpm-provenance", status: 201 });
      expect(idTokens.requests.at(-1)?.query.get("audience")).toBe("sigstore");
      expect(await publishedVersions(registry, "@acme/pnpm-provenance")).toEqual(["1.0.0"]);
    } finally {
      await project.cleanup();
    }
  });
});
