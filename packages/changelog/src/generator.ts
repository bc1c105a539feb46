import { getCommitInfo, getPullRequestInfo } from "@changesets/get-github-info";
import type {
  ChangelogFunctions,
  ModCompWithPackage,
  NewChangesetWithCommit,
  VersionType,
} from "@changesets/types";
import { coAuthorLogins, readCommitMessage } from "./co-authors.js";
import { describeDependency } from "./dependency.js";
import { readGithubEnv } from "./env.js";
import { CONFIG_FILE } from "./errors.js";
import { commitLink, pullLink, userLink } from "./links.js";
import { type ChangelogOptions, parseOptions } from "./options.js";
import { type LineLinks, renderDependencyLines, renderReleaseLine } from "./render.js";
import { DEFAULT_SERVER_URL, type ResolvedRepo, readOriginRemote, resolveRepo } from "./repo.js";
import { type ParsedSummary, parseSummary } from "./summary.js";

/** The GitHub lookups of @changesets/get-github-info (batched through its DataLoader, 50 per GraphQL request). */
export interface GithubLookups {
  getCommitInfo: typeof getCommitInfo;
  getPullRequestInfo: typeof getPullRequestInfo;
}

/** What the generator reads from its surroundings; every field defaults to the real process. */
export interface GeneratorSurroundings {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives the run's single warning. Default: a line on stderr. */
  warn?: (message: string) => void;
  lookups?: GithubLookups;
}

/** Everything decided once per run (per options object). */
interface RunContext {
  options: ChangelogOptions;
  repo?: ResolvedRepo;
  /** Web server for user links: the repo's, else GITHUB_SERVER_URL, else github.com. */
  serverUrl: string;
  online: boolean;
}

interface Thanked {
  login: string;
  link: string;
}

const PACKAGE_NAME = "@polyglot-changesets/changelog";
const TOKEN_FIX =
  "For PR links and thanks, set GITHUB_TOKEN (a token with read:user and repo:status; in GitHub Actions, pass secrets.GITHUB_TOKEN to the version step).";

/**
 * One stderr line; in GitHub Actions also an annotation, so the degraded changelog shows on the run's page. The
 * message carries GitHub's error text (an untrusted answer): it is kept on one line, so no part of it can start a
 * workflow command, and its data is escaped as the runner expects.
 */
export function writeWarning(
  message: string,
  env: NodeJS.ProcessEnv,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): void {
  const oneLine = message.replace(/[\r\n\u0085\u2028\u2029]+/g, " ");
  streams.stderr.write(`warning: ${oneLine}\n`);
  if (env.GITHUB_ACTIONS === "true") {
    const data = message.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
    streams.stdout.write(`::warning title=Changelog without GitHub lookups::${data}\n`);
  }
}

/**
 * A fresh generator with its own run state (one warning, one network verdict). Changesets loads the module once
 * per `changeset version`, so the module's default instance is one run.
 */
export function createChangelogFunctions(surroundings: GeneratorSurroundings = {}): ChangelogFunctions {
  const lookups = surroundings.lookups ?? { getCommitInfo, getPullRequestInfo };
  const warn =
    surroundings.warn ?? ((message: string) => writeWarning(message, surroundings.env ?? process.env));
  const contexts = new Map<string, Promise<RunContext>>();
  let warned = false;
  let networkFailure: string | undefined;

  function warnOnce(message: string): void {
    if (warned) return;
    warned = true;
    warn(`${PACKAGE_NAME}: ${message}`);
  }

  function context(options: ChangelogOptions): Promise<RunContext> {
    const key = JSON.stringify(options);
    let run = contexts.get(key);
    if (!run) {
      run = createContext(options);
      contexts.set(key, run);
    }
    return run;
  }

  async function createContext(options: ChangelogOptions): Promise<RunContext> {
    const cwd = surroundings.cwd ?? process.cwd();
    const env = await readGithubEnv(surroundings.env ?? process.env, cwd);
    const repo = await resolveRepo(options.repo, env, () => readOriginRemote(cwd));
    const serverUrl = repo?.serverUrl ?? env.serverUrl ?? DEFAULT_SERVER_URL;
    const offlineReason = options.offline
      ? `"offline": true is set in ${CONFIG_FILE}`
      : !env.token
        ? "GITHUB_TOKEN is not set"
        : undefined;
    if (offlineReason || !repo) warnOnce(offlineWarning(offlineReason, repo, options.offline));
    return { options, repo, serverUrl, online: !offlineReason && repo !== undefined };
  }

  function recordNetworkFailure(error: unknown): void {
    networkFailure ??= describeFailure(error);
    warnOnce(
      `the GitHub API lookup failed (${networkFailure}), so changelog lines from here on are written without GitHub lookups: commit links, and PR links and thanks only where the changeset names them (pr:, author:). The version run goes on. For the full output, check GITHUB_TOKEN (read:user and repo:status), the network and the API rate limit, then run the version step again.`,
    );
  }

  /** Runs a lookup unless the network already failed in this run; undefined result means "fall back offline". */
  async function lookUp<T>(lookup: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (networkFailure) return undefined;
    try {
      return { value: await lookup() };
    } catch (error) {
      recordNetworkFailure(error);
      return undefined;
    }
  }

  async function onlineLinks(
    summary: ParsedSummary,
    commit: string | undefined,
    run: RunContext & { repo: ResolvedRepo },
  ): Promise<{ links: LineLinks; author?: Thanked } | undefined> {
    const repo = run.repo.slug;
    if (summary.pull !== undefined) {
      const pull = summary.pull;
      const found = await lookUp(() => lookups.getPullRequestInfo({ pull, repo }));
      if (!found) return undefined;
      const info = found.value;
      const links = { pull: info?.pull.markdownLink, commit: info?.commit?.markdownLink };
      if (summary.commit) links.commit = commitLink(summary.commit, run.repo);
      return { links, author: thankedFrom(info?.author) };
    }
    if (!commit) return { links: {} };
    const found = await lookUp(() => lookups.getCommitInfo({ commit, repo }));
    if (!found) return undefined;
    const info = found.value;
    return {
      links: { pull: info?.pull?.markdownLink, commit: info?.commit.markdownLink },
      author: thankedFrom(info?.author),
    };
  }

  function offlineLinks(summary: ParsedSummary, commit: string | undefined, run: RunContext): LineLinks {
    return {
      pull: summary.pull !== undefined && run.repo ? pullLink(summary.pull, run.repo) : undefined,
      commit: commit ? commitLink(commit, run.repo) : undefined,
    };
  }

  async function coAuthors(commit: string | undefined, run: RunContext): Promise<Thanked[]> {
    if (!run.options.thankCoAuthors || run.options.disableThanks || !commit) return [];
    const message = await readCommitMessage(commit, surroundings.cwd ?? process.cwd());
    return coAuthorLogins(message).map((login) => ({ login, link: userLink(login, run.serverUrl) }));
  }

  async function getReleaseLine(
    changeset: NewChangesetWithCommit,
    _type: VersionType,
    rawOptions: Record<string, unknown> | null,
  ): Promise<string> {
    const run = await context(parseOptions(rawOptions));
    const summary = parseSummary(changeset.summary);
    const commit = summary.commit || changeset.commit;
    // Both start before either is awaited, so every line's lookup joins the same DataLoader batch.
    const online =
      run.online && run.repo ? onlineLinks(summary, commit, { ...run, repo: run.repo }) : undefined;
    const extraAuthors = coAuthors(commit, run);
    const found = await online;
    const links = found?.links ?? offlineLinks(summary, commit, run);
    const users = thankedUsers(summary, found?.author, await extraAuthors, run);
    return renderReleaseLine(summary, { ...links, users }, run.repo, run.options.template);
  }

  async function dependencyCommitLink(commit: string, run: RunContext): Promise<string> {
    if (run.online && run.repo) {
      const repo = run.repo.slug;
      const found = await lookUp(() => lookups.getCommitInfo({ commit, repo }));
      if (found) return found.value?.commit.markdownLink ?? commitLink(commit, undefined);
    }
    return commitLink(commit, run.repo);
  }

  async function getDependencyReleaseLine(
    changesets: NewChangesetWithCommit[],
    dependenciesUpdated: ModCompWithPackage[],
    rawOptions: Record<string, unknown> | null,
  ): Promise<string> {
    const options = parseOptions(rawOptions);
    if (dependenciesUpdated.length === 0) return "";
    const run = await context(options);
    const commits = changesets.flatMap((changeset) => (changeset.commit ? [changeset.commit] : []));
    const [links, dependencies] = await Promise.all([
      Promise.all(commits.map((commit) => dependencyCommitLink(commit, run))),
      Promise.all(dependenciesUpdated.map(describeDependency)),
    ]);
    return renderDependencyLines(links, dependencies);
  }

  return { getReleaseLine, getDependencyReleaseLine };
}

function thankedFrom(author: { login: string; markdownLink: string } | undefined): Thanked | undefined {
  return author ? { login: author.login, link: author.markdownLink } : undefined;
}

/** `author:` lines win over the looked-up author (as in changelog-github); co-authors are added once each. */
function thankedUsers(
  summary: ParsedSummary,
  lookedUp: Thanked | undefined,
  coAuthors: Thanked[],
  run: RunContext,
): string | undefined {
  if (run.options.disableThanks) return undefined;
  const fromSummary = summary.authors.map((login) => ({ login, link: userLink(login, run.serverUrl) }));
  const thanked = fromSummary.length > 0 ? fromSummary : lookedUp ? [lookedUp] : [];
  const known = new Set(thanked.map((user) => user.login.toLowerCase()));
  for (const coAuthor of coAuthors) {
    if (known.has(coAuthor.login.toLowerCase())) continue;
    known.add(coAuthor.login.toLowerCase());
    thanked.push(coAuthor);
  }
  return thanked.length > 0 ? thanked.map((user) => user.link).join(", ") : undefined;
}

const NO_REPO = `no GitHub repository is known (no "repo" option in ${CONFIG_FILE}, no GITHUB_REPOSITORY, no parsable origin remote)`;
const NO_REPO_FIX = `Set "repo": "owner/name" in ${CONFIG_FILE} for links.`;

function offlineWarning(reason: string | undefined, repo: ResolvedRepo | undefined, offline = false): string {
  if (!reason) {
    return `${NO_REPO}, so changelog lines are written without links or GitHub lookups. ${NO_REPO_FIX} The version run goes on.`;
  }
  const fix = offline
    ? `Remove "offline" from ${CONFIG_FILE} and set GITHUB_TOKEN for PR links and thanks.`
    : TOKEN_FIX;
  if (!repo) {
    return `${reason} and ${NO_REPO}, so changelog lines are written without links; thanks only where the changeset names them (author:). ${NO_REPO_FIX} ${fix}`;
  }
  return `${reason}, so changelog lines are written without GitHub lookups: commit links, and PR links and thanks only where the changeset names them (pr:, author:). ${fix}`;
}

/**
 * The error and its causes on one line, at most 300 characters: get-github-info wraps fetch errors
 * ("Failed to fetch data from GitHub" < "fetch failed" < "getaddrinfo ENOTFOUND ...") and puts response bodies
 * (e.g. a rate-limit message) on later lines of its message.
 */
function describeFailure(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  const text = parts.join(": ").replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
