// Faults during an npm release: the registry failing (500, dropped connection, timeout) on the k-th publish, the
// OIDC exchange failing, the ID-token endpoint failing (PyPI and GitHub faults: faults-services.test.ts). Each run must end with a clear
// message, the right exit code, outputs that match what actually landed, no secret anywhere, and a re-run
// (faults gone) must complete without publishing anything twice.
import { describe, expect, test } from "vitest";
import {
  landed,
  NO_STACK,
  names,
  npmNames,
  OIDC_ARGS,
  type PublishedPackage,
  publishRun,
  TOKEN_ARGS,
} from "./fault-run.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { canaryEnv } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

const publish = (repo: ReleaseRepo, args: string[], env: NodeJS.ProcessEnv) =>
  publishRun(servers, repo, args, env);
const landedNow = (repo: ReleaseRepo, version: string) => landed(servers, repo, version);
/** npm gives up on a slow registry after 3 s and does not retry (so a timeout is a timeout). */
const FAST_TIMEOUT = { npm_config_fetch_timeout: "3000", npm_config_fetch_retries: "0" };
/** npm retries a 5xx or a reset twice with 10-60 s back-off: the k-th publish fails for good without retries. */
const NO_RETRY = { npm_config_fetch_retries: "0" };

/** stdout of a --json run, parsed (a failure shows what else was printed on stdout). */
function parseJson(
  stdout: string,
  shown: string,
): { published?: boolean; "published-packages"?: PublishedPackage[] } {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`--json printed more than one JSON document on stdout\n${shown}`);
  }
}

/** The registry path of the k-th package of the repo (0-based), as npm PUTs it: `/@scope%2fpkg-k`. */
const kth = (repo: ReleaseRepo, k: number) => new RegExp(`^/@${repo.scope}(%2f|/)pkg-${k}$`, "i");

interface NpmFaultCase {
  name: string;
  oidc: boolean;
  fault: (servers: Servers, repo: ReleaseRepo) => void;
  env?: Record<string, string>;
  /** What the message must say. */
  message: RegExp;
  /** Accepted exit codes of the failed run (default [1]). */
  exit?: number[];
}

const npmCases: NpmFaultCase[] = [
  {
    name: "registry answers 500 to the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", status: 500, times: 1000 }),
    env: NO_RETRY,
    message: /500|Internal Server Error|publish/i,
  },
  {
    name: "registry drops the connection on the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", drop: true, times: 1000 }),
    env: NO_RETRY,
    message: /ECONNRESET|socket|network|connection|publish/i,
  },
  {
    name: "registry times out on the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", delayMs: 6000 }),
    env: FAST_TIMEOUT,
    message: /timeout|timed out|ETIMEDOUT|ESOCKETTIMEDOUT|network|publish/i,
  },
  {
    name: "OIDC token exchange answers 500",
    oidc: true,
    fault: (s) => s.registry.faults.add({ path: "/-/npm/v1/oidc/token/exchange", status: 500, times: 1000 }),
    message: /OIDC|trusted publish|exchange|token/i,
  },
  {
    name: "OIDC token exchange drops the connection",
    oidc: true,
    fault: (s) => s.registry.faults.add({ path: "/-/npm/v1/oidc/token/exchange", drop: true, times: 1000 }),
    message: /OIDC|trusted publish|exchange|token/i,
  },
  {
    // npm and polyglot-publish's trusted-publisher check give the exchange more time than a test can wait:
    // the exchange hangs 1.5 s and then drops the connection, every time.
    name: "OIDC token exchange hangs, then drops the connection",
    oidc: true,
    fault: (s) =>
      s.registry.faults.add({
        path: "/-/npm/v1/oidc/token/exchange",
        delayMs: 1500,
        drop: true,
        times: 1000,
      }),
    env: FAST_TIMEOUT,
    message: /OIDC|trusted publish|exchange|token/i,
  },
  {
    name: "ID-token endpoint answers 500",
    oidc: true,
    fault: (s) => s.idToken.faults.add({ path: "/", status: 500, times: 1000 }),
    message: /ID token|id-token|OIDC|ACTIONS_ID_TOKEN/i,
  },
  {
    // polyglot-publish gives an HTTP request 30 s (3 attempts): a real client timeout would cost 90 s here, so the
    // endpoint hangs 1.5 s and then drops the connection, every time.
    name: "ID-token endpoint hangs, then drops the connection",
    oidc: true,
    fault: (s) => s.idToken.faults.add({ path: "/", delayMs: 1500, drop: true, times: 1000 }),
    message: /ID token|id-token|OIDC|ACTIONS_ID_TOKEN|timeout|timed out/i,
  },
];

describe("npm publish faults", () => {
  for (const c of npmCases) {
    test(c.name, async () => {
      let repo: ReleaseRepo;
      let version = "1.0.0";
      if (c.oidc) {
        // Trusted publishing cannot create a package: 1.0.0 goes out with a token first, 1.1.0 through OIDC.
        repo = await createReleaseRepo(servers);
        await prepublish(servers, repo);
        version = "1.1.0";
        await bumpAll(repo, version);
      } else {
        repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
      }
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { oidc: c.oidc, extra: { ...canaryEnv(), ...c.env } });
      const args = c.oidc ? OIDC_ARGS : TOKEN_ARGS;

      c.fault(servers, repo);
      // --json on the failing run: stdout must stay one JSON document that agrees with GITHUB_OUTPUT.
      const first = await publish(repo, [...args, "--json"], env);
      servers.registry.faults.clear();
      servers.idToken.faults.clear();
      // A transient failure is exit 1, also when the preflight stops on it before publishing.
      expect(c.exit ?? [1], first.shown).toContain(first.result.code);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(c.message);
      expect(first.result.stderr, "no stack trace").not.toMatch(NO_STACK);
      // The outputs say exactly what landed (npm packages; the private bridge is reported when it is tagged).
      const afterFirst = await landedNow(repo, version);
      expect(npmNames(repo, first.published), first.shown).toEqual(afterFirst.slice().sort());
      expect(first.outputs.published, first.shown).toBe(first.published.length > 0 ? "true" : "false");
      if (first.outputs.published !== undefined || first.result.stdout.trim()) {
        const json = parseJson(first.result.stdout, first.shown);
        expect(String(json.published), first.shown).toBe(first.outputs.published ?? "false");
        expect(names(json["published-packages"] ?? []), first.shown).toEqual(names(first.published));
      }

      const second = await publish(repo, args, env);
      expect(second.result.code, second.shown).toBe(0);
      const all = await landedNow(repo, version);
      expect(all.sort()).toEqual(repo.names.slice().sort());
      // Nothing twice: the re-run published exactly what the first run had not, and reported nothing again.
      expect(npmNames(repo, second.published), second.shown).toEqual(
        repo.names.filter((n) => !afterFirst.includes(n)).sort(),
      );
      const both = [...names(first.published), ...names(second.published)];
      expect(both.length, `${first.shown}\n${second.shown}`).toBe(new Set(both).size);
      expect(both.filter((n) => n === `@${repo.scope}/py`)).toHaveLength(1);
      for (const name of repo.names) expect(await registryVersions(servers, name)).toContain(version);
    });
  }
});
