// `polyglot-publish doctor --workflows`: the CI files that will run the release, checked statically.
import { readdirSync } from "node:fs";
import path from "node:path";
import { findPackages, type PolyglotConfig, RepoFiles, readPolyglotConfig } from "@polyglot-changesets/core";
import type { Finding } from "../preflight.js";
import { checkGithubWorkflow, type WorkflowContext } from "./github.js";
import { checkGitlabPipeline } from "./gitlab.js";
import { parseYamlFile, type YamlFile } from "./yaml-file.js";

export { fileName, jobsOf, type WorkflowContext } from "./github.js";
export { parseYamlFile, type YamlFile } from "./yaml-file.js";

const WORKFLOWS_DIR = ".github/workflows";
const GITLAB_FILE = ".gitlab-ci.yml";
/** CI files are small; anything larger is not a workflow worth reading. */
const MAX_CI_FILE_BYTES = 1024 * 1024;

/** The repo's CI files: `.github/workflows/*.yml|yaml` and `.gitlab-ci.yml`, repo-relative. */
export function ciFiles(root: string): string[] {
  const files: string[] = [];
  try {
    const names = readdirSync(path.join(root, WORKFLOWS_DIR)).filter((name) => /^[\w.-]+\.ya?ml$/.test(name));
    files.push(...names.sort().map((name) => `${WORKFLOWS_DIR}/${name}`));
  } catch {
    // no .github/workflows
  }
  if (new RepoFiles(root).read(GITLAB_FILE, undefined, MAX_CI_FILE_BYTES) !== undefined)
    files.push(GITLAB_FILE);
  return files;
}

/** What the checks need from the repo: `.changeset/polyglot.json` and the root package.json's scripts. */
export function workflowContext(
  config: PolyglotConfig,
  rootPackageJson: Record<string, unknown>,
): WorkflowContext {
  const scripts = Object.fromEntries(
    Object.entries((rootPackageJson.scripts ?? {}) as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
  return {
    scripts,
    ...(config.trustedPublisher ? { trustedPublisher: config.trustedPublisher } : {}),
    ...(config.pypi.workflow ? { pypiWorkflow: config.pypi.workflow } : {}),
  };
}

/** Reads and parses each CI file (inside the repo, bounded in size). */
export function readCiFiles(root: string, files = ciFiles(root)): YamlFile[] {
  const repo = new RepoFiles(root);
  return files.flatMap((file) => {
    const text = repo.read(file, undefined, MAX_CI_FILE_BYTES);
    return text === undefined ? [] : [parseYamlFile(file, text)];
  });
}

/** Every finding of the repo's CI files; one info finding when none of them publishes. */
export function checkCiFiles(files: readonly YamlFile[], context: WorkflowContext): Finding[] {
  const findings: Finding[] = [];
  let publishes = false;
  for (const file of files) {
    if (file.error) {
      findings.push({
        code: "workflow-yaml-invalid",
        level: "error",
        message: `${file.file} is not valid YAML: ${file.error.message}`,
        fix: "fix the YAML at that line (actionlint or your editor's YAML support shows the problem)",
        file: file.file,
        line: file.error.line,
      });
      continue;
    }
    const own = contextFor(file.file, files, context);
    const result =
      file.file === GITLAB_FILE ? checkGitlabPipeline(file, own) : checkGithubWorkflow(file, own);
    publishes ||= result.publishes;
    findings.push(...result.findings);
  }
  if (files.length > 0 && !publishes && findings.length === 0) {
    findings.push({
      code: "workflow-no-release-job",
      level: "info",
      message: `none of ${files.map((file) => file.file).join(", ")} publishes to npm or PyPI`,
      fix: "run polyglot-publish init to write a release workflow",
    });
  }
  return findings;
}

/** The findings of the repo's CI files (none when it has none), for `doctor` and `doctor --workflows`. */
export async function workflowFindings(cwd: string): Promise<Finding[]> {
  const root = (await findPackages(cwd)).rootDir;
  const files = ciFiles(root);
  if (files.length === 0) return [];
  const config = await readPolyglotConfig(root);
  const rootPackageJson = JSON.parse(new RepoFiles(root).read("package.json") ?? "{}") as Record<
    string,
    unknown
  >;
  return checkCiFiles(readCiFiles(root, files), workflowContext(config, rootPackageJson));
}

/**
 * A repo with both a GitHub workflow and a GitLab pipeline records one trusted publisher: it is checked against the
 * CI whose file it names when that file exists (the other CI's file is not compared with it), else against all.
 */
function contextFor(file: string, files: readonly YamlFile[], context: WorkflowContext): WorkflowContext {
  const recorded = context.trustedPublisher?.workflow;
  if (recorded === undefined) return context;
  const recordedIsGitlab = recorded === GITLAB_FILE;
  const named = files.some((candidate) =>
    recordedIsGitlab ? candidate.file === GITLAB_FILE : candidate.file === `${WORKFLOWS_DIR}/${recorded}`,
  );
  if (!named || (file === GITLAB_FILE) === recordedIsGitlab) return context;
  const { trustedPublisher: _other, ...rest } = context;
  return rest;
}
