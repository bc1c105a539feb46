import { realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { execa } from "execa";
import { repoRoot } from "./tools.js";

/** This monorepo's own `@changesets/cli` (v3), the one the temp repos link. */
export const CHANGESETS_CLI = realpathSync(join(repoRoot() ?? process.cwd(), "node_modules/@changesets/cli"));

/** Files by repo-relative path; objects are written as JSON (2-space indent, trailing newline). */
export type FileTree = Record<string, string | object>;

export interface TempRepoOptions {
  /** URL of the `origin` remote, e.g. `https://github.com/owner/repo.git`. */
  remote?: string;
  /** Message of the first commit. Default `initial commit`. */
  message?: string;
  /** Prefix of the temp directory name. Default `polyglot-repo-`. */
  prefix?: string;
  /**
   * Packages to symlink into the repo's `node_modules` (name -> folder), e.g. `{ "@changesets/cli": CHANGESETS_CLI }`
   * for a repo whose `changeset` commands run the real CLI. `node_modules` is git-ignored then.
   */
  link?: Record<string, string>;
}

export interface TempRepo {
  /** Absolute, symlink-free path of the work tree. */
  dir: string;
  /** Runs git in the repo and returns its trimmed stdout; throws (with stderr) when git fails. */
  git(...args: string[]): Promise<string>;
  write(files: FileTree): Promise<void>;
  read(path: string): Promise<string>;
  /** Stages everything and commits; returns the new commit's sha. */
  commit(message: string): Promise<string>;
  cleanup(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Keeps the developer's global and system git config (signing, hooks, templates) out of test repos. */
const HERMETIC_GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

const LOCAL_CONFIG: Array<[string, string]> = [
  ["user.name", "Polyglot Test"],
  ["user.email", "test@polyglot.invalid"],
  ["commit.gpgsign", "false"],
  ["tag.gpgsign", "false"],
  ["core.autocrlf", "false"],
];

/** A temp git repo on branch `main` holding `files` in its first commit. */
export async function createTempRepo(files: FileTree, options: TempRepoOptions = {}): Promise<TempRepo> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), options.prefix ?? "polyglot-repo-")));
  const git = async (...args: string[]) =>
    (await execa("git", args, { cwd: dir, env: HERMETIC_GIT_ENV })).stdout.trim();
  const commit = async (message: string) => {
    await git("add", "-A");
    await git("commit", "-q", "--allow-empty", "--no-verify", "-m", message);
    return git("rev-parse", "HEAD");
  };
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await git("init", "-q", "-b", "main");
    for (const [key, value] of LOCAL_CONFIG) await git("config", key, value);
    if (options.remote) await git("remote", "add", "origin", options.remote);
    const links = Object.entries(options.link ?? {});
    await writeFileTree(dir, links.length > 0 ? { ".gitignore": "node_modules\n", ...files } : files);
    for (const [name, target] of links) {
      const at = join(dir, "node_modules", insideRepo(name));
      await mkdir(dirname(at), { recursive: true });
      await symlink(target, at);
    }
    await commit(options.message ?? "initial commit");
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    dir,
    git,
    write: (more) => writeFileTree(dir, more),
    read: async (path) => readFile(join(dir, insideRepo(path)), "utf8"),
    commit,
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
}

/** Writes each entry of `files` below `dir`, creating folders; objects become JSON. */
export async function writeFileTree(dir: string, files: FileTree): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, insideRepo(path));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

function insideRepo(path: string): string {
  const relative = normalize(path);
  if (isAbsolute(relative) || relative === ".." || relative.startsWith(`..${sep}`)) {
    throw new Error(`FileTree paths must stay inside the repo: ${path}`);
  }
  return relative;
}
