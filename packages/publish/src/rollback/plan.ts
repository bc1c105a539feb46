import { toPep440, type Workspace } from "@polyglot-changesets/core";
import semver from "semver";
import { httpRequest, isObject, parseJsonAnswer, redactUrl } from "../http.js";
import { escapePackageName } from "../lookup.js";
import { NpmConfig, readNpmrcFiles } from "../npmrc.js";
import type { ReleasedPackage } from "./release.js";

/** npm lets a version be unpublished within 72 hours of its publish (later only with no dependents; ask npm). */
export const UNPUBLISH_WINDOW_HOURS = 72;

/** One step of a rollback: a command to run, or a manual step with its URL. */
export interface RollbackStep {
  ecosystem: "npm" | "PyPI" | "crates.io";
  package: string;
  version: string;
  action: "deprecate" | "dist-tag" | "unpublish" | "yank" | "skip";
  /** What is run (argv), absent for manual steps. */
  command?: string[];
  /** For the log: what the step does, or why it is manual or skipped. */
  detail: string;
  url?: string;
  /** npm steps: the registry they write to. */
  registry?: string;
}

export interface RollbackPlan {
  target: string;
  packages: ReleasedPackage[];
  steps: RollbackStep[];
  advice: string[];
}

export interface PlanInput {
  workspace: Workspace;
  target: string;
  packages: ReleasedPackage[];
  message?: string;
  unpublish: boolean;
  env: NodeJS.ProcessEnv;
  now?: Date;
}

interface Packument {
  versions: Record<string, { deprecated?: unknown }>;
  distTags: Record<string, string>;
  time: Record<string, string>;
}

/** Every step of rolling `packages` back, read from the registries; changes nothing. */
export async function planRollback(input: PlanInput): Promise<RollbackPlan> {
  const npmConfig = new NpmConfig(readNpmrcFiles(input.workspace.root, input.env), input.env);
  const steps: RollbackStep[] = [];
  for (const released of input.packages) {
    const pkg = input.workspace.packages.find((entry) => entry.name === released.name);
    if (pkg && !pkg.private) {
      const publishConfig = isObject(pkg.packageJson.publishConfig) ? pkg.packageJson.publishConfig : {};
      const registry = npmConfig.registryFor(pkg.name, publishConfig);
      steps.push(...(await npmSteps(released, registry, npmConfig.authorizationFor(registry), input)));
    }
    for (const target of input.workspace.targets.filter((entry) => entry.source === released.name)) {
      if (target.ecosystem === "pypi") {
        steps.push(
          await pypiStep(target.name, toPep440(released.version, input.workspace.config.pep440), input),
        );
      } else {
        steps.push({
          ecosystem: "crates.io",
          package: target.name,
          version: released.version,
          action: "yank",
          command: ["cargo", "yank", "--version", released.version, target.name],
          detail:
            "cargo yank: the version stays downloadable for existing Cargo.lock files, new resolutions skip it",
          url: `https://crates.io/crates/${target.name}/${released.version}`,
        });
      }
    }
  }
  return { target: input.target, packages: input.packages, steps, advice: advice(input, steps) };
}

async function npmSteps(
  released: ReleasedPackage,
  registry: string,
  authorization: string | undefined,
  input: PlanInput,
): Promise<RollbackStep[]> {
  const { name, version } = released;
  const base = { ecosystem: "npm" as const, package: name, version, registry: redactUrl(registry) };
  const packument = await readPackument(name, registry, authorization);
  if (typeof packument === "string") return [{ ...base, action: "skip", detail: packument }];
  if (!packument.versions[version]) {
    return [
      {
        ...base,
        action: "skip",
        detail: `${name}@${version} is not on ${redactUrl(registry)}: nothing to undo`,
      },
    ];
  }
  const steps: RollbackStep[] = [];
  const spec = `${name}@${version}`;
  const previous = previousVersion(packument, version);
  for (const [tag, tagged] of Object.entries(packument.distTags)) {
    if (tagged !== version) continue;
    const back = tag === "latest" ? previous.stable : previous.any;
    if (back) {
      steps.push({
        ...base,
        action: "dist-tag",
        command: ["npm", "dist-tag", "add", `${name}@${back}`, tag, `--registry=${registry}`],
        detail: `move the dist-tag ${tag} back to ${back}, so \`npm install ${name}\` stops getting ${version}`,
      });
    } else if (tag !== "latest") {
      steps.push({
        ...base,
        action: "dist-tag",
        command: ["npm", "dist-tag", "rm", name, tag, `--registry=${registry}`],
        detail: `remove the dist-tag ${tag} (no earlier version to point it at)`,
      });
    }
  }
  const publishedAt = Date.parse(packument.time[version] ?? "");
  const hours = Number.isNaN(publishedAt)
    ? undefined
    : ((input.now ?? new Date()).getTime() - publishedAt) / 3_600_000;
  const withinWindow = hours !== undefined && hours < UNPUBLISH_WINDOW_HOURS;
  const only = Object.keys(packument.versions).length === 1;
  if (input.unpublish && withinWindow && !only) {
    steps.push({
      ...base,
      action: "unpublish",
      command: ["npm", "unpublish", spec, `--registry=${registry}`],
      detail: `unpublish ${spec} (published ${Math.floor(hours ?? 0)} h ago, within npm's ${UNPUBLISH_WINDOW_HOURS} h); the version number can never be used again`,
    });
    return steps;
  }
  const message =
    input.message ??
    `${spec} was rolled back${previous.stable ? `: use ${previous.stable} or a later fixed version` : ""}`;
  steps.push({
    ...base,
    action: "deprecate",
    command: ["npm", "deprecate", spec, message, `--registry=${registry}`],
    detail: `${input.unpublish ? `${unpublishRefusal(only, hours)}: ` : ""}deprecate ${spec}: installs warn with "${message}"`,
  });
  return steps;
}

/** Why `--unpublish` falls back to a deprecation. */
function unpublishRefusal(only: boolean, hours: number | undefined): string {
  if (only) {
    return "not unpublished: it is the only version, and unpublishing it removes the whole package (`npm unpublish <name> --force`, by hand if that is meant)";
  }
  const age = hours === undefined ? "at an unknown time" : `${Math.floor(hours)} h ago`;
  return `cannot unpublish (published ${age}, npm allows it only within ${UNPUBLISH_WINDOW_HOURS} h)`;
}

/** The highest version below `version` not deprecated: any, and stable (no prerelease) for `latest`. */
function previousVersion(packument: Packument, version: string): { stable?: string; any?: string } {
  const older = Object.entries(packument.versions)
    .filter(
      ([candidate, manifest]) =>
        semver.valid(candidate) && semver.lt(candidate, version) && !manifest.deprecated,
    )
    .map(([candidate]) => candidate)
    .sort(semver.rcompare);
  const stable = older.find((candidate) => semver.prerelease(candidate) === null);
  return { ...(stable ? { stable } : {}), ...(older[0] ? { any: older[0] } : {}) };
}

async function readPackument(
  name: string,
  registry: string,
  authorization: string | undefined,
): Promise<Packument | string> {
  const url = `${registry}${escapePackageName(name)}`;
  try {
    const answer = await httpRequest(url, {
      headers: { accept: "application/json", ...(authorization ? { authorization } : {}) },
    });
    if (answer.status === 404) return `${name} is not on ${redactUrl(registry)}: nothing to undo`;
    const parsed = parseJsonAnswer(answer);
    if (answer.status !== 200 || !parsed.ok || !isObject(parsed.value) || parsed.value.name !== name) {
      return `could not read ${name} from ${redactUrl(registry)} (HTTP ${answer.status}): re-run`;
    }
    const { versions, time } = parsed.value;
    const distTags = parsed.value["dist-tags"];
    return {
      versions: (isObject(versions) ? versions : {}) as Packument["versions"],
      distTags: Object.fromEntries(
        Object.entries(isObject(distTags) ? distTags : {}).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      ),
      time: Object.fromEntries(
        Object.entries(isObject(time) ? time : {}).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      ),
    };
  } catch (error) {
    return `could not read ${name} from ${redactUrl(registry)} (${(error as Error).message}): re-run`;
  }
}

/** PyPI has no yank API: the release's manage page (Options > Yank) and the files it marks, from the JSON API. */
async function pypiStep(name: string, version: string, input: PlanInput): Promise<RollbackStep> {
  const index = input.workspace.config.pypi.index.replace(/\/+$/, "");
  const manage = `${index}/manage/project/${encodeURIComponent(name)}/release/${encodeURIComponent(version)}/`;
  const files = await pypiFiles(index, name, version);
  const listed =
    files === undefined
      ? "the index did not list its files"
      : files.length === 0
        ? "not on the index: nothing to yank"
        : `files: ${files.join(", ")}`;
  return {
    ecosystem: "PyPI",
    package: name,
    version,
    action: files?.length === 0 ? "skip" : "yank",
    detail: `yank on PyPI by hand (no API): open the URL, Options > Yank, give the reason; ${listed}`,
    url: redactUrl(manage),
  };
}

async function pypiFiles(index: string, name: string, version: string): Promise<string[] | undefined> {
  try {
    const answer = await httpRequest(
      `${index}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`,
      {
        headers: { accept: "application/json" },
      },
    );
    if (answer.status === 404) return [];
    const parsed = parseJsonAnswer(answer);
    if (!parsed.ok || !isObject(parsed.value) || !Array.isArray(parsed.value.urls)) return undefined;
    return parsed.value.urls
      .map((file) => (isObject(file) && typeof file.filename === "string" ? file.filename : ""))
      .filter((file) => /^[\w.+-]+$/.test(file));
  } catch {
    return undefined;
  }
}

function advice(input: PlanInput, steps: RollbackStep[]): string[] {
  const lines: string[] = [];
  if (steps.some((step) => step.ecosystem === "npm" && step.command)) {
    lines.push(
      "npm: deprecating, dist-tags and unpublishing need an interactive `npm login` (2FA) or a token with write access: the OIDC token of trusted publishing can only publish",
    );
  }
  if (steps.some((step) => step.ecosystem === "PyPI" && step.action === "yank")) {
    lines.push(
      "PyPI: a yanked file stays installable by exact pin (==); its file name can never be uploaded again",
    );
  }
  lines.push(
    `fix forward: add a patch changeset that reverts or fixes the change, merge the Version Packages PR, and release ${input.packages.map((entry) => `${entry.name}@${semver.inc(entry.version, "patch") ?? "next"}`).join(", ")}`,
  );
  return lines;
}
