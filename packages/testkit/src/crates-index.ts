import { createHash } from "node:crypto";

/** One dependency as the index records it (cargo's `RegistryDependency`). */
export interface IndexDependency {
  /** The name the dependent uses (the rename when there is one). */
  name: string;
  req: string;
  features: string[];
  optional: boolean;
  default_features: boolean;
  target: string | null;
  kind: "normal" | "build" | "dev";
  /** Index URL of another registry; absent for this one. */
  registry?: string;
  /** The real crate name when `name` is a rename. */
  package?: string;
}

/** One line of a sparse index file (one version of a crate). */
export interface IndexEntry {
  name: string;
  vers: string;
  deps: IndexDependency[];
  cksum: string;
  features: Record<string, string[]>;
  yanked: boolean;
  links: string | null;
  v: 2;
  rust_version?: string;
}

export interface CrateVersion {
  entry: IndexEntry;
  /** The `.crate` file (gzipped tar). */
  file: Buffer;
  /** Milliseconds since the epoch from which the version is in the index (publish time + visibility delay). */
  visibleFrom: number;
}

export interface CrateRecord {
  /** The name as first published; lookups ignore case and `-`/`_`, as crates.io does. */
  name: string;
  versions: CrateVersion[];
}

/** crates.io's name rule: ASCII letters, digits, `-` and `_`, starting with a letter, at most 64 characters. */
export const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Cargo's index path of a crate (lower-cased): `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`. */
export function indexPath(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) return `1/${lower}`;
  if (lower.length === 2) return `2/${lower}`;
  if (lower.length === 3) return `3/${lower[0]}/${lower}`;
  return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
}

/** crates.io treats `foo-bar` and `Foo_Bar` as the same crate. */
export function canonicalCrateName(name: string): string {
  return name.toLowerCase().replace(/-/g, "_");
}

export function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The crates of the stand-in, by canonical name. */
export class CrateStore {
  readonly #crates = new Map<string, CrateRecord>();

  crate(name: string): CrateRecord | undefined {
    return this.#crates.get(canonicalCrateName(name));
  }

  crates(): CrateRecord[] {
    return [...this.#crates.values()];
  }

  version(name: string, version: string): CrateVersion | undefined {
    return this.crate(name)?.versions.find((candidate) => candidate.entry.vers === version);
  }

  add(entry: IndexEntry, file: Buffer, visibleFrom: number): CrateVersion {
    const key = canonicalCrateName(entry.name);
    const record = this.#crates.get(key) ?? { name: entry.name, versions: [] };
    this.#crates.set(key, record);
    const added = { entry, file, visibleFrom };
    record.versions.push(added);
    return added;
  }

  /** The index file of `path` (`ab/cd/abcd`) as it reads at `now`: the visible versions, one JSON line each. */
  indexFile(path: string, now: number): string | undefined {
    const name = path.split("/").at(-1) ?? "";
    const record = this.crate(name);
    if (!record || indexPath(record.name) !== path.toLowerCase()) return undefined;
    const visible = record.versions.filter((version) => version.visibleFrom <= now);
    if (visible.length === 0) return undefined;
    return visible.map((version) => `${JSON.stringify(version.entry)}\n`).join("");
  }
}
