import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** File path (relative to the repo root) -> content. */
export type FileTree = Record<string, string>;

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

/** A git repo (branch main, one commit) holding `files`, with both generators linked into node_modules. */
export async function createFixtureRepo(files: FileTree): Promise<FixtureRepo> {
  const dir = await mkdtemp(join(tmpdir(), "changelog-fixture-"));
  const git = async (...args: string[]) => {
    const result = await run("git", args, dir);
    if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const writeFiles = async (tree: FileTree) => {
    for (const [path, content] of Object.entries(tree)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  };
  for (const [name, target] of Object.entries(LINKED_PACKAGES)) {
    await mkdir(dirname(join(dir, "node_modules", name)), { recursive: true });
    await symlink(target, join(dir, "node_modules", name), "dir");
  }
  await writeFiles({ ".gitignore": "node_modules/\n", ...files });
  await git("init", "-q", "-b", "main");
  await git("config", "user.name", "Fixture");
  await git("config", "user.email", "fixture@example.com");
  await git("config", "commit.gpgsign", "false");
  await git("add", "-A");
  await git("commit", "-q", "-m", "initial");

  const repo: FixtureRepo = {
    dir,
    git,
    async commit(tree, message = "change") {
      await writeFiles(tree);
      await git("add", "-A");
      await git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    addChangeset: (id, releases, summary) =>
      repo.commit({ [`.changeset/${id}.md`]: changesetFile(releases, summary) }, `changeset ${id}`),
    async writeConfig(changelog) {
      const config = `${JSON.stringify({ ...BASE_CONFIG, changelog }, null, 2)}\n`;
      await repo.commit({ ".changeset/config.json": config }, "config");
    },
    changesetVersion: (env = {}) => run(CHANGESET_BIN, ["version"], dir, childEnv(env)),
    changeset: (args, env = {}) => run(CHANGESET_BIN, args, dir, childEnv(env)),
    read: (path) => readFile(join(dir, path), "utf8"),
    async restore() {
      await git("reset", "-q", "--hard");
      await git("clean", "-qfd", "-e", "node_modules");
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return repo;
}
