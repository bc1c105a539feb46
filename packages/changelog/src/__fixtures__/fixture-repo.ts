import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTempRepo, type FileTree } from "@polyglot-changesets/testkit";

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const REPO_ROOT = resolve(PACKAGE_DIR, "../..");
const BIN_DIR = join(REPO_ROOT, "node_modules/.bin");
const CHANGESET_BIN = join(BIN_DIR, "changeset");

/** The generators a fixture can name in `.changeset/config.json`, linked into its node_modules. */
const LINKED_PACKAGES = {
  "@polyglot-changesets/changelog": PACKAGE_DIR,
  "@changesets/changelog-github": join(PACKAGE_DIR, "node_modules/@changesets/changelog-github"),
};

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FixtureRepo {
  dir: string;
  git(...args: string[]): Promise<string>;
  /** Writes the files and commits them; returns the new commit's sha. */
  commit(files: FileTree, message?: string): Promise<string>;
  /** Adds `.changeset/<id>.md` in its own commit; returns that commit's sha. */
  addChangeset(id: string, releases: Record<string, string>, summary: string): Promise<string>;
  /** Commits `.changeset/config.json` naming `changelog` (commits keep it across `restore()`). */
  writeConfig(changelog: unknown): Promise<void>;
  changesetVersion(env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** Any `changeset` command, e.g. `["pre", "enter", "next"]`. */
  changeset(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  read(path: string): Promise<string>;
  /** Throws away every change since the last commit (a second run on the same changesets). */
  restore(): Promise<void>;
  remove(): Promise<void>;
}

function run(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ exitCode, stdout, stderr });
    });
  });
}

/** The environment of a `changeset version` child: Node 22 first on PATH and no GitHub variables of our own. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("GITHUB_") && name !== "CI") env[name] = value;
  }
  return { ...env, PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, NO_COLOR: "1", ...extra };
}

export function changesetFile(releases: Record<string, string>, summary: string): string {
  const header = Object.entries(releases)
    .map(([name, type]) => `"${name}": ${type}`)
    .join("\n");
  return `---\n${header}\n---\n\n${summary}\n`;
}

export const BASE_CONFIG = {
  $schema: "https://unpkg.com/@changesets/config@3.1.1/schema.json",
  commit: false,
  format: false,
  fixed: [],
  linked: [],
  access: "public",
  baseBranch: "main",
  updateInternalDependencies: "patch",
  ignore: [],
  privatePackages: { version: true, tag: true },
};

/** testkit's temp git repo (branch main, one commit) holding `files`, with both generators linked into node_modules. */
export async function createFixtureRepo(files: FileTree): Promise<FixtureRepo> {
  const temp = await createTempRepo(files, { prefix: "changelog-fixture-", link: LINKED_PACKAGES });
  const repo: FixtureRepo = {
    dir: temp.dir,
    git: temp.git,
    read: temp.read,
    async commit(tree, message = "change") {
      await temp.write(tree);
      return temp.commit(message);
    },
    addChangeset: (id, releases, summary) =>
      repo.commit({ [`.changeset/${id}.md`]: changesetFile(releases, summary) }, `changeset ${id}`),
    async writeConfig(changelog) {
      await repo.commit({ ".changeset/config.json": { ...BASE_CONFIG, changelog } }, "config");
    },
    changesetVersion: (env = {}) => run(CHANGESET_BIN, ["version"], temp.dir, childEnv(env)),
    changeset: (args, env = {}) => run(CHANGESET_BIN, args, temp.dir, childEnv(env)),
    async restore() {
      await temp.git("reset", "-q", "--hard");
      await temp.git("clean", "-qfd");
    },
    remove: temp.cleanup,
  };
  return repo;
}
