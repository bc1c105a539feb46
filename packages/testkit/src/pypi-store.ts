import { createHash } from "node:crypto";
import { blake2b } from "@noble/hashes/blake2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { compareVersions, normalizeProjectName, normalizeVersion, sameVersion } from "./pypi-names.js";

export interface PypiFile {
  filename: string;
  packagetype: "sdist" | "bdist_wheel";
  pythonVersion: string;
  requiresPython?: string;
  sha256: string;
  md5: string;
  blake2_256: string;
  size: number;
  uploadTime: Date;
  content: Buffer;
}

export interface PypiRelease {
  /** Normalized PEP 440 spelling, as warehouse stores `str(Version(...))`. */
  version: string;
  summary?: string;
  requiresPython?: string;
  /** When the release was created: PyPI refuses new files for a release older than 14 days. */
  createdAt: Date;
  files: PypiFile[];
}

export interface PypiProject {
  /** Display name: the spelling of the first upload (or of the trusted publisher that registered it). */
  name: string;
  normalizedName: string;
  releases: PypiRelease[];
}

export interface FileDigests {
  sha256: string;
  md5: string;
  blake2_256: string;
}

export function digestsOf(content: Buffer): FileDigests {
  return {
    sha256: createHash("sha256").update(content).digest("hex"),
    md5: createHash("md5").update(content).digest("hex"),
    blake2_256: bytesToHex(blake2b(content, { dkLen: 32 })),
  };
}

/** In-memory projects, releases and files of the PyPI stand-in. */
export class PypiStore {
  readonly #projects = new Map<string, PypiProject>();

  project(name: string): PypiProject | undefined {
    return this.#projects.get(normalizeProjectName(name));
  }

  projects(): PypiProject[] {
    return [...this.#projects.values()].sort((a, b) => a.normalizedName.localeCompare(b.normalizedName));
  }

  /** Creates the project when missing (an upload or a trusted publisher registers it). */
  ensureProject(name: string): PypiProject {
    const normalizedName = normalizeProjectName(name);
    let project = this.#projects.get(normalizedName);
    if (!project) {
      project = { name, normalizedName, releases: [] };
      this.#projects.set(normalizedName, project);
    }
    return project;
  }

  release(name: string, version: string): PypiRelease | undefined {
    return this.project(name)?.releases.find((release) => sameVersion(release.version, version));
  }

  ensureRelease(project: PypiProject, version: string): PypiRelease {
    const existing = project.releases.find((release) => sameVersion(release.version, version));
    if (existing) return existing;
    const release: PypiRelease = {
      version: normalizeVersion(version) ?? version,
      createdAt: new Date(),
      files: [],
    };
    project.releases.push(release);
    project.releases.sort((a, b) => compareVersions(a.version, b.version));
    return release;
  }

  /** File names are unique across the whole index, not per project. */
  findFile(filename: string): PypiFile | undefined {
    for (const project of this.#projects.values()) {
      for (const release of project.releases) {
        const file = release.files.find((candidate) => candidate.filename === filename);
        if (file) return file;
      }
    }
    return undefined;
  }
}

/** Builds a stored file from raw bytes (used by uploads and by `seed`). */
export function makeFile(
  filename: string,
  content: Buffer,
  packagetype: PypiFile["packagetype"],
  extra: { pythonVersion?: string; requiresPython?: string } = {},
): PypiFile {
  const digests = digestsOf(content);
  return {
    filename,
    packagetype,
    pythonVersion: extra.pythonVersion ?? (packagetype === "sdist" ? "source" : "py3"),
    ...(extra.requiresPython ? { requiresPython: extra.requiresPython } : {}),
    ...digests,
    size: content.length,
    uploadTime: new Date(),
    content,
  };
}

/** Warehouse-like storage path; the digest prefix keeps equal file names of different content apart. */
export function filePath(file: PypiFile): string {
  const hash = file.blake2_256;
  return `packages/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4)}/${encodeURIComponent(file.filename)}`;
}
