import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { parseTomlDocument, tomlValueAt } from "@polyglot-changesets/core";
import semver from "semver";
import type { Finding, OidcMode } from "../preflight.js";
import { usesOidc } from "../preflight.js";
import { exchangeForCratesToken, fetchCratesIdToken, revokeCratesToken } from "./auth.js";
import type { CratesPlan } from "./plan.js";
import type { CratesRegistry } from "./registry.js";

/** Sparse registries are on by default from cargo 1.70 and readable from 1.68. */
export const MIN_CARGO = "1.68.0";

export interface CratesPreflightInput {
  plan: CratesPlan;
  env: NodeJS.ProcessEnv;
  oidc: OidcMode;
  /** A real publish keeps the trusted-publishing token (and must `release()` it); a check revokes it at once. */
  keepToken: boolean;
  /** Where `::add-mask::` commands go. */
  writeCommand: (text: string) => void;
}

export interface CratesPreflight {
  findings: Finding[];
  /** The crates go through trusted publishing (the token below is the only credential cargo gets). */
  useOidc: boolean;
  /** The exchanged trusted-publishing token, while it is held. */
  token: string | undefined;
  /** Revokes the token (idempotent); the reason when the registry did not take the revocation. */
  release(): Promise<string | undefined>;
}

/** Every crates check: cargo, manifests, dependencies, credentials, and (under OIDC) the token exchange itself. */
export async function runCratesPreflight(input: CratesPreflightInput): Promise<CratesPreflight> {
  const { plan, env } = input;
  const findings: Finding[] = [
    ...toolFindings(plan),
    ...manifestFindings(plan),
    ...unpublishedFindings(plan),
  ];
  const useOidc = usesOidc(input.oidc, env);
  const none: CratesPreflight = { findings, useOidc, token: undefined, release: async () => undefined };
  if (plan.crates.length === 0 || !plan.registry) return none;
  const registry = plan.registry;
  const stored = storedTokens(env, registry);
  if (!useOidc) {
    findings.push(...tokenModeFindings(plan, registry, stored, input.oidc));
    return none;
  }
  findings.push(...firstPublishFindings(plan, registry));
  if (stored.length > 0) {
    findings.push({
      code: "crates-long-lived-token",
      level: "warning",
      message: `a long-lived cargo token is set (${stored.join(", ")}); it is kept out of cargo's publish, which gets only the trusted-publishing token`,
      fix: `remove the token secret from the workflow (and ${registry.tokenEnv} from the job's env) once trusted publishing works`,
    });
  }
  const idToken = await fetchCratesIdToken(env, registry.audience, input.writeCommand);
  if ("reason" in idToken) {
    findings.push({
      code: "crates-oidc-unavailable",
      level: "error",
      message: `trusted publishing to ${registryName(registry)} needs an OIDC ID token: ${idToken.reason}`,
      fix: "add `permissions: { id-token: write, contents: write }` to the publish job; or publish with a token: --oidc off and CARGO_REGISTRY_TOKEN",
      // The job has the permission but its token endpoint failed: a re-run, not a setting.
      ...(idToken.transient ? { transient: true } : {}),
    });
    return { ...none, findings };
  }
  const exchanged = await exchangeForCratesToken(registry, idToken.token, env, input.writeCommand);
  if (!exchanged.ok) {
    findings.push(exchangeFinding(registry, exchanged.detail, exchanged.refused, plan));
    return { ...none, findings };
  }
  findings.push({
    code: "crates-trusted-publisher-ok",
    level: "info",
    message: `${registryName(registry)} exchanged the job's ID token for a short-lived publish token`,
  });
  let token: string | undefined = exchanged.token;
  const release = async () => {
    if (token === undefined) return undefined;
    const held = token;
    token = undefined;
    return revokeCratesToken(registry, held);
  };
  const keep = input.keepToken && !findings.some((finding) => finding.level === "error");
  if (!keep) {
    await release();
    return { findings, useOidc, token: undefined, release };
  }
  return { findings, useOidc, token, release };
}

export function registryName(registry: CratesRegistry): string {
  return registry.isCratesIo ? "crates.io" : `the registry ${registry.cargoName}`;
}

function toolFindings(plan: CratesPlan): Finding[] {
  if (plan.unplanned.length > 0) {
    return [
      {
        code: "cargo-missing",
        level: "error",
        message: `cargo is not on PATH, and the Cargo targets ${plan.unplanned.join(", ")} may be publishable`,
        fix: "install the Rust toolchain in the publish job (e.g. dtolnay/rust-toolchain@stable), or set `publish = false` in the crates not meant for a registry",
      },
    ];
  }
  const version = plan.cargo.version;
  if (plan.registry && plan.cargo.path && version && semver.lt(version, MIN_CARGO)) {
    return [
      {
        code: "cargo-too-old",
        level: "error",
        message: `cargo ${version} cannot read sparse registries (${MIN_CARGO} or newer can)`,
        fix: "install a current stable toolchain in the publish job (rustup update stable)",
      },
    ];
  }
  return [];
}

function manifestFindings(plan: CratesPlan): Finding[] {
  const broken = plan.manifestErrors.map((error): Finding => {
    const inherited = /inheriting `version`|workspace\.package\.version/.test(error.message);
    return {
      code: inherited ? "cargo-workspace-version" : "crates-manifest-invalid",
      level: "error",
      message: `cargo cannot read ${error.file}: ${error.message}`,
      file: error.file,
      fix: inherited
        ? "add `version` to [workspace.package] of the Cargo workspace root, or give the crate a literal [package].version"
        : "fix the manifest (run `cargo metadata --no-deps` to see the error), or set `publish = false`",
    };
  });
  const dependencies = plan.dependencyProblems.map(
    (problem): Finding =>
      problem.problem === "no-version"
        ? {
            code: "crates-path-dependency-version",
            level: "error",
            message: `${problem.crate} depends on ${problem.dependency} by path without a version: cargo refuses to publish it`,
            file: problem.file,
            fix: `give the dependency a version: ${problem.dependency} = { path = "...", version = "x.y.z" } (polyglot-version keeps it in step)`,
          }
        : {
            code: "crates-path-dependency-registry",
            level: "error",
            message: `${problem.crate} depends on ${problem.dependency} by path without \`registry\`: cargo would look it up on crates.io`,
            file: problem.file,
            fix: `add registry = "${plan.registry?.cargoName ?? "<name>"}" to the ${problem.dependency} dependency`,
          },
  );
  return [...broken, ...dependencies];
}

function unpublishedFindings(plan: CratesPlan): Finding[] {
  return plan.unpublished
    .filter((crate) => crate.sourcePublished)
    .map((crate) => ({
      code: "crates-publish-false",
      level: "info" as const,
      message: `${crate.name} (${crate.path}) follows the published package ${crate.source} but is not published to ${plan.registry ? registryName(plan.registry) : "the registry"} (publish = false)`,
      file: path.posix.join(crate.path, "Cargo.toml"),
      fix: "nothing to do if the crate is internal (bindings usually are); remove `publish = false` to publish it",
    }));
}

function firstPublishFindings(plan: CratesPlan, registry: CratesRegistry): Finding[] {
  return plan.crates
    .filter((crate) => crate.firstPublish)
    .map((crate) => ({
      code: "crates-first-publish",
      level: "error" as const,
      message: `${crate.name} is not on ${registryName(registry)} yet: trusted publishing cannot create a crate`,
      file: path.posix.join(crate.path, "Cargo.toml"),
      fix: `publish it once with a token (cargo publish -p ${crate.name}), then add the trusted publisher on ${settingsPage(registry, crate.name)}; or publish this release with --oidc off and CARGO_REGISTRY_TOKEN`,
    }));
}

function settingsPage(registry: CratesRegistry, name: string): string {
  return registry.isCratesIo
    ? `https://crates.io/crates/${name}/settings`
    : `the crate's settings on ${registry.api}`;
}

function exchangeFinding(
  registry: CratesRegistry,
  detail: string,
  refused: boolean,
  plan: CratesPlan,
): Finding {
  if (!refused) {
    return {
      code: "crates-exchange-failed",
      level: "error",
      message: `the trusted-publishing token exchange with ${registryName(registry)} failed: ${detail}`,
      fix: "re-run the job; if it persists, check the registry's status",
      transient: true,
    };
  }
  const crates = plan.crates.map((crate) => crate.name).join(", ");
  return {
    code: "crates-trusted-publisher-mismatch",
    level: "error",
    message: `${registryName(registry)} refused the trusted-publishing exchange: ${detail}`,
    fix: `on each crate's settings page (${crates}) add a GitHub trusted publisher with this repository's owner and name, the workflow file that runs polyglot-publish, and its environment if the job has one`,
  };
}

/** Token mode: CARGO_REGISTRY_TOKEN (or the registry's variable, or credentials.toml) as cargo reads it. */
function tokenModeFindings(
  plan: CratesPlan,
  registry: CratesRegistry,
  stored: string[],
  mode: OidcMode,
): Finding[] {
  const firstPublished = plan.crates.filter((crate) => crate.firstPublish).map((crate) => crate.name);
  const first: Finding[] =
    firstPublished.length > 0
      ? [
          {
            code: "crates-first-publish",
            level: "info",
            message: `first publish of ${firstPublished.join(", ")} to ${registryName(registry)}, with the token`,
            fix: `afterwards add the trusted publisher on ${settingsPage(registry, firstPublished[0] ?? "")} and drop the token`,
          },
        ]
      : [];
  if (stored.length > 0) return first;
  return [
    ...first,
    {
      code: "crates-no-credentials",
      level: "error",
      message: `nothing can authenticate cargo's publish to ${registryName(registry)}: no ID token (trusted publishing) and no ${registry.tokenEnv}`,
      fix:
        mode === "off"
          ? `drop --oidc off to publish through trusted publishing, or set ${registry.tokenEnv}`
          : `add \`permissions: { id-token: write }\` to the publish job (trusted publishing), or set ${registry.tokenEnv} from a secret`,
    },
  ];
}

/** Where a long-lived cargo token sits: the registry's variable, or cargo's credentials file (names only). */
export function storedTokens(env: NodeJS.ProcessEnv, registry: CratesRegistry): string[] {
  const found = env[registry.tokenEnv] ? [registry.tokenEnv] : [];
  const home = env.CARGO_HOME || path.join(env.HOME || homedir(), ".cargo");
  for (const name of ["credentials.toml", "credentials"]) {
    const file = path.join(home, name);
    if (credentialsHoldToken(file, registry)) found.push(file);
  }
  return found;
}

function credentialsHoldToken(file: string, registry: CratesRegistry): boolean {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return false;
  }
  try {
    const data = parseTomlDocument(text, file).data;
    const where = registry.isCratesIo ? ["registry", "token"] : ["registries", registry.cargoName, "token"];
    return typeof tomlValueAt(data, where) === "string";
  } catch {
    return false;
  }
}
