import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The real cargo: `$CARGO`, `~/.cargo/bin/cargo` or the first on PATH; undefined when there is none. */
export function findCargo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.CARGO,
    join(env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", "cargo"),
    ...(env.PATH ?? "").split(delimiter).map((dir) => join(dir, "cargo")),
  ];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

export interface CargoEnvOptions {
  /** A fresh folder per test file: cargo's caches and credentials stay out of the developer's ~/.cargo. */
  cargoHome: string;
  /** A named registry given through the env only (`CARGO_REGISTRIES_<NAME>_INDEX`). */
  registry?: { name: string; index: string };
}

/**
 * Variables that make the real cargo run against the stand-in with a private CARGO_HOME. rustup's `cargo` proxy
 * finds its toolchains through RUSTUP_HOME (default `~/.rustup`), which a changed HOME would hide: it is kept.
 */
export function cargoEnv(options: CargoEnvOptions): Record<string, string> {
  const rustupHome = process.env.RUSTUP_HOME ?? join(homedir(), ".rustup");
  const env: Record<string, string> = {
    CARGO_HOME: options.cargoHome,
    RUSTUP_HOME: rustupHome,
    CARGO_TERM_COLOR: "never",
    CARGO_NET_RETRY: "0",
  };
  if (options.registry) {
    env[`CARGO_REGISTRIES_${registryEnvName(options.registry.name)}_INDEX`] = options.registry.index;
  }
  return env;
}

/** Cargo's env spelling of a registry name: upper case, `-` as `_`. */
export function registryEnvName(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}
