// The trusted publisher each package of the workspace needs, as data: npm (created with `npm trust`), PyPI and
// crates.io (values to enter on their settings pages; neither has an API for it).
import { PolyglotError, RepoFiles, toRelative, type Workspace } from "@polyglot-changesets/core";
import { isCleartextRemote, redactUrl } from "../http.js";
import { NpmConfig, type NpmrcFile, readNpmrcFiles, withTrailingSlash } from "../npmrc.js";
import { repositoryOf } from "../preflight.js";
import { jobsOf, parseYamlFile, workflowContext } from "../workflows/index.js";

export type Provider = "github" | "gitlab";

/** What a registry must trust: a CI workflow file of a repository, optionally in an environment. */
export interface Publisher {
  provider: Provider;
  /** `owner/repo` (GitHub) or `group/project` (GitLab). */
  repository: string;
  workflow: string;
  environment?: string;
}

export interface NpmNeed {
  package: string;
  /** Absolute folder (npm trust reads its package.json). */
  dir: string;
  /** publishConfig.registry, when the package publishes elsewhere than the user's default registry. */
  registry?: string;
  publisher: Publisher;
}

export interface FormNeed {
  name: string;
  publisher: Publisher;
}

export interface TrustNeeds {
  npm: NpmNeed[];
  pypi: FormNeed[];
  crates: FormNeed[];
  pypiIndex: string;
}

const REPOSITORY = /^[\w.-]+(\/[\w.-]+)+$/;

/** `env`: where npm's user config and `npm_config_*` come from, to check the registry npm will use. */
export function trustNeeds(
  workspace: Workspace,
  originRepository: string | undefined,
  env: NodeJS.ProcessEnv = {},
): TrustNeeds {
  const recorded = workspace.config.trustedPublisher;
  if (!recorded) {
    throw new PolyglotError("no trusted publisher is recorded in .changeset/polyglot.json", {
      code: "trust-no-trusted-publisher",
      file: ".changeset/polyglot.json",
      setting: "trustedPublisher",
      fix: 'run polyglot-publish init, or add "trustedPublisher": { "workflow": "release.yml", "environment": "npm" } (the workflow file that publishes and its job\'s environment)',
      exitCode: 2,
    });
  }
  const provider: Provider = recorded.workflow === ".gitlab-ci.yml" ? "gitlab" : "github";
  const published = workspace.packages.filter((pkg) => !pkg.private);
  const repositoryFor = (packageJson: Record<string, unknown>) => {
    const repository = recorded.repository ?? repositoryOf(packageJson) ?? originRepository;
    return repository && REPOSITORY.test(repository) ? repository : undefined;
  };
  const npm = published.map((pkg): NpmNeed => {
    const repository = repositoryFor(pkg.packageJson);
    if (!repository) {
      throw new PolyglotError(`cannot tell the repository of ${pkg.name}`, {
        code: "repository-missing",
        file: `${pkg.relativeDir}/package.json`,
        setting: "repository",
        fix: 'set "repository" in the package.json (the provenance check needs it too), or trustedPublisher.repository in .changeset/polyglot.json',
        exitCode: 2,
      });
    }
    const registry = (pkg.packageJson.publishConfig as { registry?: unknown } | undefined)?.registry;
    requireSecureRegistries(workspace.root, pkg, env);
    return {
      package: pkg.name,
      dir: pkg.dir,
      ...(typeof registry === "string" && /^https?:\/\//.test(registry) ? { registry } : {}),
      publisher: {
        provider,
        repository,
        workflow: recorded.workflow,
        ...(recorded.environment ? { environment: recorded.environment } : {}),
      },
    };
  });
  const repository = recorded.repository ?? npm[0]?.publisher.repository ?? originRepository ?? "OWNER/REPO";
  const pypiWorkflow = workspace.config.pypi.workflow ?? recorded.workflow;
  const pypiEnvironment = pypiJobEnvironment(workspace, provider, pypiWorkflow);
  const form = (name: string, workflow: string, environment: string | undefined): FormNeed => ({
    name,
    publisher: { provider, repository, workflow, ...(environment ? { environment } : {}) },
  });
  return {
    npm,
    pypi: workspace.targets
      .filter((target) => target.ecosystem === "pypi")
      .map((target) => form(target.name, pypiWorkflow, pypiEnvironment)),
    crates: workspace.targets
      .filter((target) => target.ecosystem === "cargo")
      .map((target) => form(target.name, recorded.workflow, recorded.environment)),
    pypiIndex: workspace.config.pypi.index,
  };
}

/** The environment of the job that uploads to PyPI in the registered workflow, read from the file itself. */
function pypiJobEnvironment(workspace: Workspace, provider: Provider, workflow: string): string | undefined {
  const file = provider === "github" ? `.github/workflows/${workflow}` : ".gitlab-ci.yml";
  const text = new RepoFiles(workspace.root).read(file, undefined, 1024 * 1024);
  if (text === undefined) return "pypi";
  if (provider === "gitlab") {
    const parsed = parseYamlFile(file, text).data as Record<
      string,
      { environment?: unknown; id_tokens?: Record<string, unknown> }
    >;
    const job = Object.values(parsed ?? {}).find((body) => body?.id_tokens?.PYPI_ID_TOKEN !== undefined);
    const environment = job?.environment;
    return typeof environment === "string" ? environment : undefined;
  }
  const rootPackageJson = workspace.packages.find((pkg) => pkg.dir === workspace.root)?.packageJson ?? {};
  const context = workflowContext(workspace.config, rootPackageJson);
  return jobsOf(parseYamlFile(file, text), context.scripts).find((job) => job.publishes.has("pypi"))
    ?.environment;
}

/**
 * `npm trust` sends the maintainer's login and one-time password to the registry npm resolves for the package:
 * a plain-http one (set by the repo: publishConfig, a project or package .npmrc) would carry both in clear text.
 * Checked as npm resolves it from the repo root and from the package's folder (npm trust runs there). Loopback
 * registries (local test servers) may be http.
 */
function requireSecureRegistries(
  root: string,
  pkg: Workspace["packages"][number],
  env: NodeJS.ProcessEnv,
): void {
  const publishConfig = (pkg.packageJson.publishConfig ?? {}) as Record<string, unknown>;
  for (const folder of pkg.dir === root ? [root] : [root, pkg.dir]) {
    const files = readNpmrcFiles(folder, env);
    const registry = new NpmConfig(files, env).registryFor(pkg.name, publishConfig);
    if (!isCleartext(registry)) continue;
    throw new PolyglotError(
      `${pkg.name} publishes to ${redactUrl(registry)}, which is not https: npm trust would send your login and one-time password to it in clear text`,
      {
        code: "trust-registry-insecure",
        ...registrySetting(root, pkg.relativeDir, registry, publishConfig, files),
        fix: "use the registry's https URL (publishConfig.registry, or registry= in the .npmrc), or remove the setting to publish to the default registry",
        exitCode: 2,
      },
    );
  }
}

function isCleartext(registry: string): boolean {
  return URL.canParse(registry) && isCleartextRemote(new URL(registry));
}

/** Where `registry` was set: the package.json's publishConfig, else the first npmrc file setting a registry. */
function registrySetting(
  root: string,
  relativeDir: string,
  registry: string,
  publishConfig: Record<string, unknown>,
  files: readonly NpmrcFile[],
): { file: string; setting: string } {
  const inPackageJson = Object.values(publishConfig).some(
    (value) => typeof value === "string" && withTrailingSlash(value) === registry,
  );
  const npmrc = files.find((file) => file.entries.some((entry) => /(^|:)registry$/.test(entry.key)));
  if (inPackageJson || !npmrc)
    return { file: `${relativeDir}/package.json`, setting: "publishConfig.registry" };
  return { file: npmrc.kind === "project" ? toRelative(root, npmrc.path) : npmrc.path, setting: "registry" };
}
