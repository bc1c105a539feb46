// Proof that the registry stand-in and the ID-token endpoint are real enough for npm's trusted publishing:
// the npm CLI itself (11.21.2, testkit's own) publishes through the token exchange with no token anywhere.
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
let project: ProofProject;
let binDir: string;
let servers: ProofServers;
const NAME = "@acme/npm-proof";
const SYSTEM_NPM_CLI = "/usr/lib/node_modules/npm/bin/npm-cli.js";
/**
 * Sigstore is offline here. A refused proxy makes its calls fail at once instead of hanging on connect, and
 * no retries: npm hands its fetch-retry settings to sigstore (by default the failure takes ~70 s).
 */
const SIGSTORE_UNREACHABLE = {
  https_proxy: "http://127.0.0.1:9",
  no_proxy: "127.0.0.1",
  npm_config_fetch_retries: "0",
};

beforeAll(async () => {
  servers = await startProofServers({ trustedPublishers: [trustedPublisher("@acme/*")] });
  ({ idTokens, registry, npmBin: binDir } = servers);
  project = await createProofProject(registry, NAME, [binDir]);
  // Trusted publishing cannot create a package: the first version goes out with a user token.
  const userconfig = await project.tokenUserconfig(await registry.createUser("first-publisher"));
  const first = await project.run("npm", ["publish"], { npm_config_userconfig: userconfig });
  expect(first.output).toContain(`+ ${NAME}@1.0.0`);
});

afterAll(async () => {
  await project?.cleanup();
  await servers?.close();
});

describe("npm trusted publishing against the testkit registry", () => {
  it("runs the npm that does OIDC, with no token configured anywhere", async () => {
    const version = await project.run("npm", ["--version"]);
    expect(version.output.trim()).toBe("11.21.2");
    const config = await project.run("npm", ["config", "list", "--json"]);
    expect(config.output).not.toMatch(/_authToken|_auth"/);
  });

  it("publishes the next version through the token exchange", async () => {
    await project.setVersion("1.0.1");
    const result = await project.run("npm", ["publish"], oidcPublishEnv(idTokens));
    expect(result.exitCode, result.output).toBe(0);
    const exchange = registry.exchanges.at(-1);
    expect(exchange).toMatchObject({ package: NAME, status: 201, reason: "ok" });
    expect(publishAuthorizations(registry, NAME).at(-1)).toBe(`Bearer ${exchange?.token}`);
    expect(await publishedVersions(registry, NAME)).toEqual(["1.0.0", "1.0.1"]);
    expect(result.output).not.toContain(exchange?.token);
  });

  it("is refused when the workflow file differs from the trusted publisher's", async () => {
    await project.setVersion("1.0.2");
    const exchangesBefore = registry.exchanges.length;
    const result = await project.run(
      "npm",
      ["publish"],
      oidcPublishEnv(idTokens, { workflowFile: "ci.yml" }),
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/ENEEDAUTH|E404/);
    expect(registry.exchanges.slice(exchangesBefore)).toEqual([
      {
        package: NAME,
        status: 404,
        reason: expect.stringMatching(/workflow ci\.yml is not release\.yml/),
        claims: { repository: REPOSITORY, workflow: "ci.yml" },
      },
    ]);
    expect(await publishedVersions(registry, NAME)).not.toContain("1.0.2");
  });

  it("is refused when the repository differs from the trusted publisher's", async () => {
    await project.setVersion("1.0.2");
    const result = await project.run(
      "npm",
      ["publish"],
      oidcPublishEnv(idTokens, { repository: "evil/fork" }),
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/ENEEDAUTH|E404/);
    expect(registry.exchanges.at(-1)).toMatchObject({
      status: 404,
      reason: expect.stringMatching(/repository evil\/fork is not acme\/widgets/),
    });
    expect(await publishedVersions(registry, NAME)).not.toContain("1.0.2");
  });

  it("is refused for a package that does not exist yet (a first publish cannot use OIDC)", async () => {
    const fresh = await createProofProject(registry, "@acme/never-published", [binDir]);
    try {
      const result = await fresh.run("npm", ["publish"], oidcPublishEnv(idTokens));
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toMatch(/ENEEDAUTH/);
      expect(registry.exchanges.at(-1)).toMatchObject({
        package: "@acme/never-published",
        status: 404,
        reason: "package @acme/never-published not found",
      });
    } finally {
      await fresh.cleanup();
    }
  });

  it("falls back to setup-node's placeholder token when the exchange fails: E404, as on npmjs.com", async () => {
    await project.setVersion("1.0.2");
    const npmrc = join(project.dir, ".npmrc");
    await writeFile(npmrc, `${registry.npmrcKey}:_authToken=\${NODE_AUTH_TOKEN}\n`);
    try {
      const placeholder = { NODE_AUTH_TOKEN: "XXXXX-XXXXX-XXXXX-XXXXX" };
      const refused = await project.run("npm", ["publish"], {
        ...oidcPublishEnv(idTokens, { workflowFile: "ci.yml" }),
        ...placeholder,
      });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.output).toMatch(/E404/);
      expect(registry.exchanges.at(-1)).toMatchObject({ package: NAME, status: 404 });
      // With a matching publisher the exchanged token replaces the placeholder.
      const published = await project.run("npm", ["publish"], {
        ...oidcPublishEnv(idTokens),
        ...placeholder,
      });
      expect(published.exitCode, published.output).toBe(0);
      expect(await publishedVersions(registry, NAME)).toContain("1.0.2");
    } finally {
      await rm(npmrc, { force: true });
    }
  });

  it("makes npm try provenance when asked (it then fails: Sigstore is unreachable offline)", async () => {
    await project.setVersion("1.0.3");
    const result = await project.run("npm", ["publish"], {
      ...oidcPublishEnv(idTokens),
      ...SIGSTORE_UNREACHABLE,
      NPM_CONFIG_PROVENANCE: "true",
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/fulcio\.sigstore\.dev/);
    expect(registry.exchanges.at(-1)).toMatchObject({ package: NAME, status: 201 });
    expect(await publishedVersions(registry, NAME)).not.toContain("1.0.3");
    // npm asked the ID-token endpoint for a Sigstore token before calling Fulcio.
    expect(idTokens.requests.at(-1)?.query.get("audience")).toBe("sigstore");
  });

  it("makes npm switch provenance on by itself for a public repo and package, as on github.com", async () => {
    await project.setVersion("1.0.3");
    const { NPM_CONFIG_PROVENANCE: _, ...env } = oidcPublishEnv(idTokens);
    const result = await project.run("npm", ["publish"], { ...env, ...SIGSTORE_UNREACHABLE });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/fulcio\.sigstore\.dev/);
    expect(
      registry.requests.some(
        (request) => request.path === `/-/package/${NAME.replace("/", "%2f")}/visibility`,
      ),
    ).toBe(true);
    expect(await publishedVersions(registry, NAME)).not.toContain("1.0.3");
  });
});

describe("other npm versions", () => {
  it("the system npm (11.x, as on runners) publishes through the exchange too", async (context) => {
    if (!existsSync(SYSTEM_NPM_CLI)) return context.skip(`no system npm at ${SYSTEM_NPM_CLI}`);
    const systemBin = await mkdtemp(join(tmpdir(), "polyglot-system-npm-"));
    try {
      await symlink(SYSTEM_NPM_CLI, join(systemBin, "npm"));
      const other = await createProofProject(registry, "@acme/system-npm", [systemBin]);
      try {
        const npmVersion = (await other.run("npm", ["--version"])).output.trim();
        expect(npmVersion).toMatch(/^11\./);
        const userconfig = await other.tokenUserconfig(await registry.createUser("system-npm"));
        expect((await other.run("npm", ["publish"], { npm_config_userconfig: userconfig })).exitCode).toBe(0);
        await other.setVersion("1.0.1");
        const result = await other.run("npm", ["publish"], oidcPublishEnv(idTokens));
        expect(result.exitCode, result.output).toBe(0);
        expect(registry.exchanges.at(-1)).toMatchObject({ package: "@acme/system-npm", status: 201 });
        expect(await publishedVersions(registry, "@acme/system-npm")).toEqual(["1.0.0", "1.0.1"]);
      } finally {
        await other.cleanup();
      }
    } finally {
      await rm(systemBin, { recursive: true, force: true });
    }
  });

  it("npm 10 (< 11.5.1) never calls the exchange: ENEEDAUTH without a token", async () => {
    const npm10 = await ensureTool("npm@10.9.8");
    const old = await createProofProject(registry, NAME, [npm10]);
    try {
      expect((await old.run("npm", ["--version"])).output.trim()).toBe("10.9.8");
      await old.setVersion("1.0.9");
      const exchangesBefore = registry.exchanges.length;
      const result = await old.run("npm", ["publish"], oidcPublishEnv(idTokens));
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toMatch(/ENEEDAUTH/);
      expect(registry.exchanges.length).toBe(exchangesBefore);
    } finally {
      await old.cleanup();
    }
  }, 120_000);
});
