// Faults of the other services of a release: the PyPI JSON API (pypi-check) answering 500, dropping the
// connection or hanging, and the GitHub API refusing the PyPI workflow dispatch. Each run ends with a clear
// message, the right exit code and outputs, no secret anywhere, and a re-run completes without doing anything twice.
import { describe, expect, test } from "vitest";
import { NO_STACK, npmNames, publishRun, TOKEN_ARGS } from "./fault-run.js";
import {
  actionsEnv,
  createReleaseRepo,
  type ReleaseRepo,
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

describe("PyPI JSON API faults (pypi-check)", () => {
  const cases = [
    { name: "answers 500", fault: { status: 500 } },
    { name: "drops the connection", fault: { drop: true } },
    // 30 s x 3 attempts per request would make a real client timeout cost 90 s: hang 1.5 s, then drop, every time.
    { name: "hangs, then drops the connection", fault: { delayMs: 1500, drop: true } },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const repo = await createReleaseRepo(servers);
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { extra: canaryEnv() });
      const index = servers.pypi.url.replace(/\/$/, "");
      servers.pypi.faults.add({ path: "/pypi/", times: 1000, ...c.fault });
      const first = await publish(repo, ["pypi-check", "--index", index], env);
      servers.pypi.faults.clear();
      expect(first.result.code, first.shown).toBe(1);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(
        new RegExp(`${repo.python}|pypi|index`, "i"),
      );
      expect(first.result.stderr, "no stack trace").not.toMatch(NO_STACK);
      // A failed check must not claim there is something to publish.
      expect(first.outputs.pypi ?? "false", first.shown).toBe("false");

      const second = await publish(repo, ["pypi-check", "--index", index], env);
      expect(second.result.code, second.shown).toBe(0);
      expect(second.outputs.pypi, second.shown).toBe("true");
      const packages = JSON.parse(second.outputs["pypi-packages"] ?? "[]") as {
        name: string;
        version: string;
      }[];
      expect(packages.map((p) => p.version)).toEqual(["1.0.0"]);
      // Once the release is on the index, a third check has nothing left to publish.
      servers.pypi.seed(repo.python, "1.0.0");
      const third = await publish(repo, ["pypi-check", "--index", index], env);
      expect(third.result.code, third.shown).toBe(0);
      expect(third.outputs.pypi, third.shown).toBe("false");
    });
  }
});

describe("GitHub API faults (the PyPI workflow dispatch)", () => {
  const cases = [
    { name: "answers 500", fault: { status: 500 } },
    { name: "drops the connection", fault: { drop: true } },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { extra: canaryEnv() });
      const args = [...TOKEN_ARGS, "--pypi-trigger", "dispatch", "--pypi-workflow", "publish-pypi.yml"];
      servers.github.faults.add({ path: "/repos/", times: 1000, ...c.fault });
      const first = await publish(repo, args, env);
      servers.github.faults.clear();
      expect(first.result.code, first.shown).toBe(1);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(
        /dispatch|publish-pypi\.yml/i,
      );
      expect(first.result.stderr, `no stack trace\n${first.shown}`).not.toMatch(NO_STACK);
      // The npm publish itself went through and is reported.
      expect(npmNames(repo, first.published), first.shown).toEqual(repo.names.slice().sort());

      // The re-run publishes nothing again and only dispatches.
      const before = servers.github.dispatches.length;
      const second = await publish(repo, args, env);
      expect(second.result.code, second.shown).toBe(0);
      expect(npmNames(repo, second.published), second.shown).toEqual([]);
      expect(servers.github.dispatches.length, second.shown).toBe(before + 1);
    });
  }
});
