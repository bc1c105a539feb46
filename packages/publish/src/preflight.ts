import { readFileSync } from "node:fs";
import path from "node:path";
import { type CiInfo, detectCi, type ErrorCode } from "@polyglot-changesets/core";
import { execa } from "execa";
import semver from "semver";
import { gitlabFindings } from "./gitlab.js";
import { redactUrl } from "./http.js";
import { MIN_OIDC_NPM, supportsOidc } from "./npm-cli.js";
import { NpmConfig, type NpmrcFile } from "./npmrc.js";
import { checkExchange, fetchIdToken, npmAudience } from "./oidc.js";
import type { NpmRelease, PublishPlan } from "./plan.js";
import { findTokenSources, type TokenSource } from "./tokens.js";

export type OidcMode = "require" | "auto" | "off";
export type FindingLevel = "error" | "warning" | "info";

/**
 * One preflight result: `code` is stable, shared with the errors of the same problem (docs/troubleshooting.md has
 * a section for each), `fix` says what to do.
 */
export interface Finding {
  code: ErrorCode;
  level: FindingLevel;
  message: string;
  fix?: string;
  file?: string;
  line?: number;
  package?: string;
  /** A passing fault (the CI or a registry did not answer), not a setting to fix: stops with exit 1, not 2. */
  transient?: boolean;
}

export interface PreflightInput {
  plan: PublishPlan;
  env: NodeJS.ProcessEnv;
  oidc: OidcMode;
  provenance: boolean;
  npmrcFiles: NpmrcFile[];
  /** Version of the npm first on PATH (undefined: none). */
  runnerNpm: string | undefined;
  bundledNpm: string;
  /** Skip the token exchange against the registry. */
  skipExchange?: boolean;
  /** Where `::add-mask::` commands go (stderr: the runner reads both streams, stdout may be --json). */
  writeCommand?: (text: string) => void;
}

export interface Preflight {
  ci: CiInfo;
  /** The publish goes through OIDC and long-lived tokens are kept out of it. */
  useOidc: boolean;
  /** npm for the publish: the runner's, or the bundled one when the runner's is older than 11.5.1. */
  npm: "runner" | "bundled";
  tokens: TokenSource[];
  /** The npmrc files the decisions were made from (read once per run). */
  npmrcFiles: NpmrcFile[];
  findings: Finding[];
}

const PROVIDER_NAMES = { "github-actions": "GitHub Actions", gitlab: "GitLab CI", none: "no CI" } as const;

/** Every check of the contract, as findings; performs only reads and (under OIDC) a token exchange per package. */
export async function runPreflight(input: PreflightInput): Promise<Preflight> {
  const ci = detectCi(input.env);
  const useOidc = usesOidc(input.oidc, input.env);
  const tokens = findTokenSources(input.env, input.npmrcFiles);
  const blanksProjectTokens = useOidc && tokens.some((token) => token.fileKind === "project");
  const npm = chooseNpm(input.runnerNpm, input.bundledNpm, blanksProjectTokens);
  const credentialless = useOidc ? [] : releasesWithoutCredentials(input.plan.npm, input);
  const findings: Finding[] = [
    ciFinding(ci),
    ...oidcFindings(ci, input.oidc, input.plan.npm.length === 0 ? "none" : credentialless.length === 0),
    ...credentialFindings(credentialless, ci, input.oidc),
    npmFinding(input.runnerNpm, input.bundledNpm, npm, useOidc),
    ...tokenFindings(tokens, input.oidc, useOidc, credentialless.length > 0),
    ...input.plan.npm.flatMap((release) => packageFindings(release, ci, useOidc, input.provenance)),
    ...(await packageManagerFindings(input.plan, tokens, useOidc, input.env)),
    ...gitlabFindings({
      ci,
      env: input.env,
      npm: input.plan.npm,
      hasPypiTargets: input.plan.pypi.length > 0,
      useOidc,
      provenance: input.provenance,
    }),
  ];
  if (useOidc && ci.idTokenAvailable && !input.skipExchange) {
    findings.push(...(await exchangeFindings(input.plan.npm, input.env, input.writeCommand)));
  }
  return {
    ci,
    useOidc,
    npm,
    tokens,
    npmrcFiles: input.npmrcFiles,
    findings: findings.filter((finding) => finding.message !== ""),
  };
}

/** Whether the publish goes through OIDC: `--oidc require`, or `auto` where the CI offers an ID token. */
export function usesOidc(mode: OidcMode, env: NodeJS.ProcessEnv): boolean {
  return mode === "require" || (mode === "auto" && detectCi(env).idTokenAvailable);
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.level === "error");
}

/** 2 when any error is a setting to fix, 1 when every error is a passing fault worth a re-run. */
export function preflightExitCode(findings: readonly Finding[]): 1 | 2 {
  const errors = findings.filter((finding) => finding.level === "error");
  return errors.every((finding) => finding.transient) ? 1 : 2;
}

function ciFinding(ci: CiInfo): Finding {
  const oidc = ci.idTokenAvailable ? "an OIDC ID token is available" : "no OIDC ID token";
  return { code: "ci-provider", level: "info", message: `CI: ${PROVIDER_NAMES[ci.provider]}; ${oidc}` };
}

/** Releases npm could not authenticate without OIDC: no credential for their registry in npmrc or env. */
function releasesWithoutCredentials(releases: readonly NpmRelease[], input: PreflightInput): NpmRelease[] {
  const config = new NpmConfig(input.npmrcFiles, input.env);
  return releases.filter((release) => {
    const authorization = config.authorizationFor(release.registry);
    return authorization === undefined || /\$\{[^}]*\}/.test(authorization);
  });
}

/** Without OIDC and without a token nothing can publish: npm would fail with ENEEDAUTH after the plan. */
function credentialFindings(releases: readonly NpmRelease[], ci: CiInfo, mode: OidcMode): Finding[] {
  const registries = [...new Set(releases.map((release) => release.registry))];
  const oidcFix =
    mode === "off"
      ? "drop --oidc off to publish through trusted publishing"
      : ci.provider === "github-actions"
        ? "add `permissions: { id-token: write, contents: write }` to the publish job (trusted publishing)"
        : ci.provider === "gitlab"
          ? 'add `id_tokens: { NPM_ID_TOKEN: { aud: "npm:registry.npmjs.org" } }` to the publish job (trusted publishing)'
          : "publish from the CI workflow that npm trusts (trusted publishing)";
  return registries.map((registry) => {
    const names = releases.filter((release) => release.registry === registry).map((release) => release.name);
    const shown = redactUrl(registry);
    return {
      code: "no-credentials",
      level: "error",
      message: `nothing can authenticate the publish of ${names.join(", ")} to ${shown}: no OIDC ID token and no npm token for that registry`,
      fix: `${oidcFix}, or configure a token for ${shown} (an \`_authToken\` line in .npmrc, e.g. setup-node's registry-url with NODE_AUTH_TOKEN)`,
    };
  });
}

/** `hasToken`: whether the publish has a token to fall back on ("none": nothing goes to npm, so no matter). */
function oidcFindings(ci: CiInfo, mode: OidcMode, hasToken: boolean | "none"): Finding[] {
  if (mode === "off" || ci.idTokenAvailable) return [];
  const level: FindingLevel = mode === "require" ? "error" : "warning";
  const fallback =
    mode === "require" || hasToken === "none"
      ? ""
      : hasToken
        ? " (--oidc auto: publishing with the configured token instead)"
        : " (--oidc auto, and no token is configured either)";
  if (ci.provider === "github-actions") {
    return [
      {
        code: "oidc-permission-missing",
        level,
        message: `the job has no \`id-token: write\` permission: GitHub gives it no OIDC ID token${fallback}`,
        fix: "add `permissions: { id-token: write, contents: write }` to the publish job in the workflow file",
      },
    ];
  }
  if (ci.provider === "gitlab") {
    return [
      {
        code: "oidc-unavailable",
        level,
        message: `GitLab CI job without an NPM_ID_TOKEN ID token${fallback}`,
        fix: 'add `id_tokens: { NPM_ID_TOKEN: { aud: "npm:registry.npmjs.org" } }` to the publish job',
      },
    ];
  }
  return [
    {
      code: "oidc-unavailable",
      level: mode === "require" ? "error" : "info",
      message: `not running in a CI with OIDC (GitHub Actions or GitLab)${fallback}`,
      fix: "publish from the CI workflow that npm trusts, or pass --oidc off to publish with a token",
    },
  ];
}

/**
 * The runner's npm when it does OIDC, else the bundled one. npm before 11.21 stores the exchanged token below the
 * project npmrc, so when the project's credential lines are blanked it would find no credential: the bundled npm
 * (which stores it on the command-line layer) publishes then, unless the runner's is at least as new.
 */
export function chooseNpm(
  runner: string | undefined,
  bundled: string,
  blanksProjectTokens: boolean,
): "runner" | "bundled" {
  if (!supportsOidc(runner) || runner === undefined) return "bundled";
  if (blanksProjectTokens && semver.lt(runner, bundled)) return "bundled";
  return "runner";
}

function npmFinding(
  runner: string | undefined,
  bundled: string,
  chosen: "runner" | "bundled",
  useOidc: boolean,
): Finding {
  if (chosen === "runner") return { code: "npm-version", level: "info", message: `npm ${runner} publishes` };
  if (supportsOidc(runner)) {
    return {
      code: "npm-version",
      level: "info",
      message: `npm ${runner} on PATH would let the project .npmrc credential line shadow the OIDC token: the bundled npm ${bundled} publishes`,
    };
  }
  const found = runner ? `npm ${runner} on PATH is older than ${MIN_OIDC_NPM}` : "no npm on PATH";
  return {
    code: "npm-version",
    level: useOidc ? "warning" : "info",
    message: `${found}: the publish uses the bundled npm ${bundled}`,
    fix: `install npm >= ${MIN_OIDC_NPM} on the runner (e.g. \`npm install -g npm@11\`) to use your own`,
  };
}

/** `unused`: no credential line reaches npm (a variable alone, or an unset placeholder): npm will not use it. */
function tokenFindings(
  tokens: readonly TokenSource[],
  mode: OidcMode,
  useOidc: boolean,
  unused: boolean,
): Finding[] {
  return tokens.map((token) => {
    const where = token.kind === "env" ? `env ${token.name}` : `${token.name} in ${token.file}:${token.line}`;
    const what = token.placeholderFor
      ? `${where} is a placeholder for ${token.placeholderFor.join(", ")}${token.unresolved ? " (unset: npm would send the literal text)" : ""}`
      : `long-lived npm token in ${where}`;
    const outcome = useOidc
      ? "kept out of the publish (OIDC)"
      : unused
        ? token.kind === "env"
          ? "not used: no .npmrc `_authToken` line refers to it, and npm reads tokens only from there"
          : "not used: it resolves to no token"
        : mode === "off"
          ? "used for the publish (--oidc off)"
          : "used for the publish (no OIDC ID token)";
    return {
      code: token.placeholderFor ? "npmrc-token-placeholder" : "long-lived-token",
      level: useOidc ? "warning" : "info",
      message: `${what}: ${outcome}`,
      fix: token.placeholderFor
        ? "drop `registry-url` from actions/setup-node (it writes this line) or the line itself; OIDC needs no token"
        : token.kind === "env"
          ? unused && !useOidc
            ? `to publish with it, add \`//<registry host>/:_authToken=\${${token.name}}\` to .npmrc; better, set up trusted publishing and delete the secret`
            : `remove ${token.name} from the publish step and delete the secret once trusted publishing works`
          : `delete the line from ${token.file} and revoke the token on npmjs.com`,
      ...(token.file ? { file: token.file } : {}),
      ...(token.line ? { line: token.line } : {}),
    };
  });
}

function packageFindings(release: NpmRelease, ci: CiInfo, useOidc: boolean, provenance: boolean): Finding[] {
  const findings: Finding[] = [];
  const file = path.posix.join(release.relativeDir, "package.json");
  if (release.firstPublish) {
    findings.push({
      code: "first-publish",
      level: useOidc ? "error" : "info",
      package: release.name,
      message: `${release.name} is not on ${redactUrl(release.registry)} yet${useOidc ? ": a first publish cannot use OIDC (under OIDC the registry is read without a token, so a restricted package that exists is not visible either)" : ""}`,
      fix: `publish ${release.name}@${release.version} once with a token (\`npm publish --access ${release.access}\`), add the trusted publisher on npmjs.com, then re-run${useOidc ? `; if ${release.name} exists but is restricted, publish it with --oidc off and a token that can read it` : ""}`,
      file,
    });
  }
  const repository = repositoryOf(release.packageJson);
  if (ci.repository && ci.provider === "github-actions") {
    if (!repository && provenance) {
      findings.push({
        code: "repository-missing",
        level: useOidc ? "error" : "warning",
        package: release.name,
        message: `${release.name} has no repository.url: npm rejects provenance without one (E422)`,
        fix: `set "repository": {"type": "git", "url": "git+https://github.com/${ci.repository}.git"${release.relativeDir === "." ? "" : `, "directory": "${release.relativeDir}"`}} in ${file}`,
        file,
      });
    } else if (repository && repository.toLowerCase() !== ci.repository.toLowerCase()) {
      findings.push({
        code: "repository-mismatch",
        level: useOidc ? "error" : "warning",
        package: release.name,
        message: `${release.name} repository.url points at ${repository}, but this build runs in ${ci.repository}: provenance and the trusted publisher are rejected`,
        fix: `set repository.url in ${file} to git+https://github.com/${ci.repository}.git`,
        file,
      });
    }
  }
  if (release.name.startsWith("@") && release.access !== "public") {
    findings.push({
      code: "scoped-access",
      level: provenance && useOidc ? "error" : "warning",
      package: release.name,
      message: `${release.name} is scoped without public access: npm publishes it restricted${provenance ? ", and provenance requires a public package" : ""}`,
      fix: `set "publishConfig": {"access": "public"} in ${file} (or "access": "public" in .changeset/config.json)`,
      file,
    });
  }
  return findings;
}

/** `owner/name` of a GitHub repository.url (any of npm's spellings), else the URL as written. */
export function repositoryOf(packageJson: Record<string, unknown>): string | undefined {
  const field = packageJson.repository;
  const url = typeof field === "string" ? field : (field as { url?: unknown } | undefined)?.url;
  if (typeof url !== "string" || url === "") return undefined;
  const github =
    /^(?:git\+)?(?:https?:\/\/|ssh:\/\/git@|git:\/\/|git@)?(?:www\.)?github\.com[/:]([^/]+\/[^/#]+?)(?:\.git)?(?:[/#].*)?$/i.exec(
      url,
    );
  if (github) return github[1];
  const shorthand = /^(?:github:)?([\w.-]+\/[\w.-]+)$/.exec(url);
  return shorthand ? shorthand[1] : url;
}

async function packageManagerFindings(
  plan: PublishPlan,
  tokens: readonly TokenSource[],
  useOidc: boolean,
  env: NodeJS.ProcessEnv,
): Promise<Finding[]> {
  if (plan.npm.length === 0) return [];
  if (plan.tool === "pnpm") {
    const version = await toolVersion("pnpm", plan.root, env);
    if (version && semver.major(version) >= 11 && useOidc) {
      return [
        {
          code: "pnpm-oidc",
          level: "warning",
          message: `pnpm ${version} does its own OIDC exchange (not npm's); versions of pnpm 11 and 12 report E404 for a working trusted publisher`,
          fix: "pin pnpm 10 for the publish step (`packageManager: pnpm@10`), which hands the publish to npm",
        },
      ];
    }
  }
  if (plan.tool === "yarn" && useOidc && (tokens.length > 0 || yarnrcHasToken(plan.root))) {
    return [
      {
        code: "yarn-token",
        level: "warning",
        message:
          "Yarn tries OIDC only when no token is configured (npmAuthToken in .yarnrc.yml or YARN_NPM_AUTH_TOKEN)",
        fix: "remove npmAuthToken from .yarnrc.yml and YARN_NPM_AUTH_TOKEN from the publish step",
      },
    ];
  }
  if (plan.tool === "bun") {
    return [
      {
        code: "bun-no-oidc",
        level: useOidc ? "warning" : "info",
        message: "bun has no trusted publishing; Changesets publishes this workspace with npm",
        fix: "nothing to do if the publish goes through npm; do not replace it with `bun publish`",
      },
    ];
  }
  return [];
}

function yarnrcHasToken(root: string): boolean {
  try {
    return /^\s*npmAuth(Token|Ident)\s*:/m.test(readFileSync(path.join(root, ".yarnrc.yml"), "utf8"));
  } catch {
    return false;
  }
}

async function toolVersion(tool: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const result = await execa(tool, ["--version"], {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  return result.exitCode === 0 ? (semver.valid(result.stdout.trim()) ?? undefined) : undefined;
}

async function exchangeFindings(
  releases: readonly NpmRelease[],
  env: NodeJS.ProcessEnv,
  writeCommand?: (text: string) => void,
): Promise<Finding[]> {
  const existing = releases.filter((release) => !release.firstPublish);
  const idTokens = new Map<string, Promise<string | undefined>>();
  const idTokenFailures = new Map<string, string>();
  const findings = await Promise.all(
    existing.map(async (release): Promise<Finding | undefined> => {
      const audience = npmAudience(release.registry);
      if (!idTokens.has(audience)) {
        idTokens.set(
          audience,
          fetchIdToken(env, audience, writeCommand, (reason) => idTokenFailures.set(audience, reason)),
        );
      }
      const idToken = await idTokens.get(audience);
      if (!idToken) {
        const reason = idTokenFailures.get(audience);
        return {
          code: "oidc-token-failed",
          level: "error",
          transient: true,
          package: release.name,
          message: `the CI refused an ID token for audience ${audience}${reason ? ` (${reason})` : ""}`,
          fix: "re-run the job; if it persists, check that the job has `id-token: write`",
        };
      }
      const result = await checkExchange(release.registry, release.name, idToken, env, writeCommand);
      if (result.status === "ok") {
        return {
          code: "trusted-publisher-ok",
          level: "info",
          package: release.name,
          message: `${release.name}: the trusted publisher on ${release.registry} accepts this job (repository ${env.GITHUB_REPOSITORY ?? env.CI_PROJECT_PATH ?? "?"}, workflow ${workflowFile(env) ?? "?"})`,
          fix: "nothing to do",
        };
      }
      if (result.status === "no-trusted-publisher") {
        return {
          code: "trusted-publisher-mismatch",
          level: "error",
          package: release.name,
          message: `${redactUrl(release.registry)} has no trusted publisher for ${release.name} matching this job (${jobIdentity(env)})`,
          fix:
            env.GITLAB_CI === "true"
              ? `on npmjs.com, ${release.name} > Settings > Trusted publishing: add GitLab CI/CD with namespace and project ${env.CI_PROJECT_PATH ?? "?"}, top-level CI file ${env.CI_CONFIG_PATH ?? ".gitlab-ci.yml"} and the job's environment (claims project_path, ci_config_ref_uri, environment)`
              : `on npmjs.com, ${release.name} > Settings > Trusted publishing: add GitHub Actions with this repository, workflow file and environment (names are case-sensitive)`,
        };
      }
      return {
        code: "trusted-publisher-check-failed",
        level: "warning",
        package: release.name,
        message: `could not check the trusted publisher of ${release.name}: ${result.detail}`,
        fix: "check the registry's status; the publish will try the exchange again",
      };
    }),
  );
  return findings.filter((finding): finding is Finding => finding !== undefined);
}

function jobIdentity(env: NodeJS.ProcessEnv): string {
  if (env.GITLAB_CI === "true") {
    const environment = env.CI_ENVIRONMENT_NAME ? `, environment ${env.CI_ENVIRONMENT_NAME}` : "";
    return `project_path ${env.CI_PROJECT_PATH ?? "?"}, CI file ${env.CI_CONFIG_PATH ?? ".gitlab-ci.yml"}${environment}`;
  }
  return `repository ${env.GITHUB_REPOSITORY ?? "?"}, workflow ${workflowFile(env) ?? "?"}`;
}

function workflowFile(env: NodeJS.ProcessEnv): string | undefined {
  return /\.github\/workflows\/([^@]+)@/.exec(env.GITHUB_WORKFLOW_REF ?? "")?.[1];
}
