// Shared set-up of the registry proof tests: a scoped npm project pointing at the testkit registry, an
// isolated HOME without any token, and one-shot runs of npm / pnpm with an explicit env.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { type IdTokenServer, type IdTokenServerOptions, startIdTokenServer } from "../id-token.js";
import { type Registry, type RegistryOptions, startRegistry } from "../registry.js";
import { writeFileTree } from "../repo.js";
import { childEnv, linkBundledNpm } from "../tools.js";

export const REPOSITORY = "acme/widgets";
export const WORKFLOW = "release.yml";

/** A trusted publisher for `pattern` from REPOSITORY's WORKFLOW. */
export function trustedPublisher(pattern: string) {
  return { package: pattern, repository: REPOSITORY, workflow: WORKFLOW };
}

export interface ProofServers {
  idTokens: IdTokenServer;
  registry: Registry;
  /** A folder whose `npm` is testkit's own npm (11.21.2), to put first on PATH. */
  npmBin: string;
  close(): Promise<void>;
}

/** The ID-token endpoint, the registry trusting its tokens, and testkit's npm: shared by a proof test file. */
export async function startProofServers(
  registryOptions: Omit<RegistryOptions, "oidc">,
  idTokenOptions: IdTokenServerOptions = {},
): Promise<ProofServers> {
  const idTokens = await startIdTokenServer(idTokenOptions);
  const registry = await startRegistry({ oidc: idTokens, ...registryOptions });
  const npmBin = await linkBundledNpm(await mkdtemp(join(tmpdir(), "polyglot-npm-bin-")));
  return {
    idTokens,
    registry,
    npmBin,
    close: async () => {
      await rm(npmBin, { recursive: true, force: true });
      await registry.close();
      await idTokens.close();
    },
  };
}

export interface RunResult {
  exitCode: number;
  output: string;
}

export interface ProofProject {
  dir: string;
  name: string;
  home: string;
  /** Sets `version` in package.json. */
  setVersion(version: string): Promise<void>;
  /** Runs a command in the project with the isolated env plus `env`; never throws. */
  run(command: string, args: string[], env?: Record<string, string | undefined>): Promise<RunResult>;
  /** A user npmrc holding `token` for the registry (the only place a token is ever written). */
  tokenUserconfig(token: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A temp project publishing `name` to `registry` via publishConfig; HOME has an empty .npmrc. */
export async function createProofProject(
  registry: Registry,
  name: string,
  binDirs: string[],
): Promise<ProofProject> {
  const dir = await mkdtemp(join(tmpdir(), "polyglot-proof-"));
  const home = join(dir, "home");
  const project = join(dir, "project");
  await writeFileTree(dir, {
    "home/.npmrc": "",
    "project/index.js": "export const proof = true;\n",
    "project/package.json": {
      name,
      version: "1.0.0",
      license: "MIT",
      repository: { type: "git", url: `git+https://github.com/${REPOSITORY}.git` },
      publishConfig: { registry: registry.url, access: "public" },
    },
  });
  const packageJson = join(project, "package.json");
  return {
    dir: project,
    name,
    home,
    async setVersion(version) {
      const manifest = JSON.parse(await readFile(packageJson, "utf8"));
      await writeFile(packageJson, `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
    },
    async run(command, args, env = {}) {
      const result = await execa(command, args, {
        cwd: project,
        env: childEnv({ home, path: binDirs, extra: env }),
        extendEnv: false,
        reject: false,
        all: true,
        stdin: "ignore",
        timeout: 90_000,
      });
      return { exitCode: result.exitCode ?? 1, output: result.all ?? "" };
    },
    async tokenUserconfig(token) {
      const file = join(dir, "token.npmrc");
      await writeFile(file, `${registry.npmrcKey}:_authToken=${token}\n`);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The versions of `name` on the registry, from its packument. */
export async function publishedVersions(registry: Registry, name: string): Promise<string[]> {
  const response = await fetch(new URL(name.replace("/", "%2f"), registry.url));
  if (response.status === 404) return [];
  const packument = (await response.json()) as { versions?: Record<string, unknown> };
  return Object.keys(packument.versions ?? {}).sort();
}

/** The env of a publish step under GitHub Actions with `id-token: write`, provenance off (Sigstore is offline). */
export function oidcPublishEnv(
  idTokens: IdTokenServer,
  overrides: Parameters<IdTokenServer["githubEnv"]>[0] = {},
): Record<string, string> {
  return {
    ...idTokens.githubEnv({ repository: REPOSITORY, workflowFile: WORKFLOW, ...overrides }),
    NPM_CONFIG_PROVENANCE: "false",
  };
}

/** The PUT requests that published `name` and the bearer token each carried. */
export function publishAuthorizations(registry: Registry, name: string): string[] {
  const path = `/${name.replace("/", "%2f")}`;
  return registry.requests
    .filter((request) => request.method === "PUT" && request.path === path)
    .map((request) => String(request.headers.authorization ?? ""));
}
