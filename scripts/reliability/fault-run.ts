// Shared by the fault tests: run polyglot-publish as the release job would and read what it reported.
import { rm } from "node:fs/promises";
import { parseGithubOutput, type RunResult, runPublish } from "./helpers.js";
import { type ReleaseRepo, readText, registryVersions, type Servers } from "./publish-fixture.js";
import { expectNoSecrets, secretsOf } from "./secrets.js";

export interface PublishedPackage {
  name: string;
  version: string;
}

export interface PublishRun {
  result: RunResult;
  outputs: Record<string, string>;
  published: PublishedPackage[];
  shown: string;
}

/** Runs polyglot-publish as the release job would (fresh output files), checking that no secret leaked. */
export async function publishRun(
  servers: Servers,
  repo: ReleaseRepo,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<PublishRun> {
  await rm(repo.outputFile, { force: true });
  await rm(repo.summaryFile, { force: true });
  await rm(repo.changesetsOutput, { force: true });
  const result = await runPublish(repo.dir, args, env);
  const outputs = parseGithubOutput(await readText(repo.outputFile));
  const published: PublishedPackage[] = outputs["published-packages"]
    ? JSON.parse(outputs["published-packages"])
    : [];
  await expectNoSecrets(secretsOf(servers, env), result, repo, env);
  const shown = `exit ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;
  return { result, outputs, published, shown };
}

/** The npm packages of `repo` whose `version` is on the registry now. */
export async function landed(servers: Servers, repo: ReleaseRepo, version: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of repo.names)
    if ((await registryVersions(servers, name)).includes(version)) out.push(name);
  return out;
}

export const names = (list: PublishedPackage[]) => list.map((p) => p.name).sort();
export const npmNames = (repo: ReleaseRepo, list: PublishedPackage[]) =>
  names(list).filter((n) => repo.names.includes(n));
export const NO_STACK = /\n\s+at .+:\d+:\d+/;
export const TOKEN_ARGS = ["--oidc", "off", "--no-provenance"];
export const OIDC_ARGS = ["--oidc", "require", "--no-provenance"];
