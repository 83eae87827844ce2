/**
 * Indexes that exercise the platform rules, each with what `resolve` must answer per host and
 * client. Shared by the integration tests (archcheck against the test registry) and the oracle
 * tests (real dockerd/containerd against the same indexes).
 *
 * Every image gets a distinct layer (its platform and position in a file), so a real client's
 * choice can be told apart by config digest (Docker's image ID) and by layer chain (containerd).
 */
import {ELF_MACHINES, makeElf, type ElfArchitecture} from '../../scripts/fixtures/elf.js'
import type {ManifestFormat} from '../../scripts/fixtures/image-builder.js'
import type {ClientName, Verdict} from '../../src/engine/resolve/resolution.js'

import type {ExpectedImage, PushedScenario, ScenarioImage, ScenarioSpec} from './scenarios.js'

/**
 * What a real client on this machine does where it differs from the model: refuses
 * ('no-match'), cannot even parse the host specifier ('bad-platform'), or takes another image
 * (declared platform or position).
 */
export type OracleOutcome = 'no-match' | 'bad-platform' | {chosen: string | number}

export interface Expectation {
  host: string
  client?: ClientName
  verdict: Verdict
  /** The image chosen: its declared platform, or its position among the scenario's images. */
  chosen?: string | number
  /**
   * Where the oracles differ from the model. docker and docker@20.10 expectations on Linux hosts
   * are checked against dockerd 20.10 with the docker@20.10 model's prediction, docker and
   * containerd ones against containerd 1.6 (ctr) with the containerd model's, and every Linux host
   * of a case against podman 4.3 with the podman model's; unlisted means "as modelled".
   */
  oracle?: {docker2010?: OracleOutcome; containerd16?: OracleOutcome; podman43?: OracleOutcome}
}

export interface ResolveCase {
  /** Scenario name stem; the format is appended. */
  name: string
  formats: ManifestFormat[]
  spec(format: ManifestFormat, name: string): ScenarioSpec
  expect: Expectation[]
}

/** An index entry (or single image) with a layer of its own. */
export function entry(platform: string, id: string, extra: Partial<ScenarioImage> = {}): ScenarioImage {
  const [os, arch] = (extra.configPlatform ?? platform).split('/')
  const elf = os === 'linux' && arch in ELF_MACHINES ? [{path: 'usr/bin/hello', content: makeElf(arch as ElfArchitecture)}] : []
  return {platform, files: [...elf, {path: 'etc/archcheck-entry', content: `${id} ${platform}\n`, mode: 0o644}], ...extra}
}

const index =
  (...platforms: string[]) =>
  (format: ManifestFormat, name: string): ScenarioSpec => ({
    index: {format, entries: platforms.map((platform, i) => entry(platform, `${name}#${i}`))},
  })

const BOTH: ManifestFormat[] = ['oci', 'docker']

export const RESOLVE_CASES: ResolveCase[] = [
  {
    name: 'arm-variants',
    formats: BOTH,
    spec: index('linux/amd64', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7'),
    expect: [
      {host: 'linux/amd64', verdict: 'ok', chosen: 'linux/amd64'},
      {host: 'linux/arm/v7', verdict: 'ok', chosen: 'linux/arm/v7'},
      {host: 'linux/arm/v6', verdict: 'ok', chosen: 'linux/arm/v6'},
      {host: 'linux/arm/v5', verdict: 'ok', chosen: 'linux/arm/v5'},
      {host: 'linux/arm/v8', verdict: 'fallback', chosen: 'linux/arm/v7'},
      // dockerd 20.10: no exact entry, so moby's arm last resort takes the first arm entry.
      {host: 'linux/arm/v8', client: 'docker@20.10', verdict: 'fallback', chosen: 'linux/arm/v5'},
      {host: 'linux/arm64', verdict: 'fallback', chosen: 'linux/arm/v7'},
      {host: 'linux/arm64', client: 'docker@20.10', verdict: 'no-match'},
      {host: 'linux/arm/v7', client: 'docker@20.10', verdict: 'ok', chosen: 'linux/arm/v7'},
      {host: 'linux/arm64', client: 'containerd', verdict: 'fallback', chosen: 'linux/arm/v7'},
      {host: 'linux/arm64', client: 'podman', verdict: 'no-match'},
      {host: 'linux/arm/v7', client: 'podman', verdict: 'ok', chosen: 'linux/arm/v7'},
      {host: 'linux/arm/v8', client: 'podman', verdict: 'fallback', chosen: 'linux/arm/v7'},
      {host: 'linux/arm64', client: 'exact', verdict: 'no-match'},
    ],
  },
  {
    // Index order v7, v6: the arm last resort of dockerd 20.10 and current Docker's fallback agree.
    name: 'arm-newer-only',
    formats: BOTH,
    spec: index('linux/arm/v7', 'linux/386'),
    expect: [
      {host: 'linux/arm/v6', verdict: 'wrong-arch', chosen: 'linux/arm/v7'},
      {host: 'linux/arm/v6', client: 'containerd', verdict: 'no-match'},
      {host: 'linux/arm/v6', client: 'docker@20.10', verdict: 'wrong-arch', chosen: 'linux/arm/v7'},
      {host: 'linux/amd64', verdict: 'fallback', chosen: 'linux/386'},
      {host: 'linux/amd64', client: 'docker@20.10', verdict: 'no-match'},
      {host: 'linux/amd64', client: 'containerd', verdict: 'fallback', chosen: 'linux/386'},
      {host: 'linux/arm64', verdict: 'fallback', chosen: 'linux/arm/v7'},
      {host: 'linux/arm64', client: 'docker@20.10', verdict: 'no-match'},
    ],
  },
  {
    name: 'arm64-plain',
    formats: BOTH,
    spec: index('linux/amd64', 'linux/arm64'),
    expect: [
      {host: 'linux/arm64', verdict: 'ok', chosen: 'linux/arm64'},
      {host: 'linux/arm64/v8', verdict: 'ok', chosen: 'linux/arm64'},
      {host: 'linux/arm64', client: 'podman', verdict: 'ok', chosen: 'linux/arm64'},
    ],
  },
  {
    name: 'arm64-v8',
    formats: BOTH,
    spec: index('linux/amd64', 'linux/arm64/v8'),
    expect: [
      {host: 'linux/arm64', verdict: 'ok', chosen: 'linux/arm64/v8'},
      {host: 'linux/arm64', client: 'podman', verdict: 'ok', chosen: 'linux/arm64/v8'},
      {host: 'linux/arm64', client: 'exact', verdict: 'ok', chosen: 'linux/arm64/v8'},
      {
        host: 'linux/arm64/v8.2',
        verdict: 'fallback',
        chosen: 'linux/arm64/v8',
        oracle: {
          docker2010: 'bad-platform',
          containerd16: 'bad-platform',
          // podman 4.3 cannot split it either and looks for architecture "arm64/v8.2": no match, in other words.
          podman43: 'no-match',
        },
      },
      {host: 'linux/arm64', client: 'docker@20.10', verdict: 'ok', chosen: 'linux/arm64/v8'},
    ],
  },
  {
    name: 'arm64-both',
    formats: BOTH,
    spec: index('linux/arm64/v8', 'linux/arm64', 'linux/amd64'),
    expect: [
      {host: 'linux/arm64', verdict: 'ambiguous', chosen: 'linux/arm64/v8'},
      {host: 'linux/arm64', client: 'docker@20.10', verdict: 'ambiguous', chosen: 'linux/arm64/v8'},
      {host: 'linux/arm64', client: 'containerd', verdict: 'ambiguous', chosen: 'linux/arm64/v8'},
      {host: 'linux/arm64', client: 'podman', verdict: 'ok', chosen: 'linux/arm64'},
    ],
  },
  {
    name: 'amd64-levels',
    formats: BOTH,
    spec: index('linux/amd64/v2', 'linux/amd64/v3', 'linux/386'),
    expect: [
      {host: 'linux/amd64/v3', verdict: 'ok', chosen: 'linux/amd64/v3'},
      {host: 'linux/amd64/v2', verdict: 'ok', chosen: 'linux/amd64/v2'},
      {host: 'linux/amd64/v4', verdict: 'fallback', chosen: 'linux/amd64/v3'},
      {host: 'linux/amd64/v4', client: 'docker@20.10', verdict: 'no-match'},
      {host: 'linux/amd64', verdict: 'fallback', chosen: 'linux/386'},
      {host: 'linux/amd64', client: 'docker@20.10', verdict: 'no-match'},
      {host: 'linux/amd64/v3', client: 'docker@20.10', verdict: 'ok', chosen: 'linux/amd64/v3'},
      {host: 'linux/amd64', client: 'podman', verdict: 'no-match'},
      // crane takes the first amd64 entry whatever its level: a v1 CPU cannot run v2 code.
      {host: 'linux/amd64', client: 'exact', verdict: 'wrong-arch', chosen: 'linux/amd64/v2'},
      {host: 'linux/386', verdict: 'ok', chosen: 'linux/386'},
      {host: 'linux/arm64', verdict: 'no-match'},
    ],
  },
  {
    name: 'windows',
    formats: BOTH,
    spec: (format, name) => ({
      index: {
        format,
        entries: [
          entry('windows/amd64', `${name}#0`, {osVersion: '10.0.17763.5458'}),
          entry('windows/amd64', `${name}#1`, {osVersion: '10.0.20348.2113'}),
          entry('windows/amd64', `${name}#2`, {osVersion: '10.0.26100.1742'}),
          entry('linux/amd64', `${name}#3`),
        ],
      },
    }),
    expect: [
      {host: 'windows(10.0.26100)/amd64', verdict: 'ok', chosen: 2},
      {host: 'windows(10.0.22621)/amd64', verdict: 'ok', chosen: 1},
      {host: 'windows(10.0.20348)/amd64', verdict: 'ok', chosen: 1},
      {host: 'windows(10.0.17763)/amd64', verdict: 'ok', chosen: 0},
      {host: 'windows(10.0.19041)/amd64', verdict: 'no-match'},
      {host: 'windows/amd64', verdict: 'ok', chosen: 2},
      {host: 'linux/amd64', verdict: 'ok', chosen: 3},
    ],
  },
  {
    name: 'attestations',
    formats: ['oci'],
    spec: (format, name) => ({
      index: {
        format,
        entries: [entry('linux/amd64', `${name}#0`, {attestation: true}), entry('linux/arm64', `${name}#1`, {attestation: true})],
      },
    }),
    expect: [
      {host: 'linux/amd64', verdict: 'ok', chosen: 'linux/amd64'},
      {host: 'linux/arm64', verdict: 'ok', chosen: 'linux/arm64'},
      {host: 'linux/s390x', verdict: 'no-match'},
      {host: 'linux/s390x', client: 'podman', verdict: 'no-match'},
    ],
  },
  {
    name: 'duplicates',
    formats: BOTH,
    spec: index('linux/amd64', 'linux/amd64', 'linux/arm64'),
    expect: [
      {host: 'linux/amd64', verdict: 'ambiguous', chosen: 0},
      {host: 'linux/amd64', client: 'podman', verdict: 'ambiguous', chosen: 0},
      {host: 'linux/arm64', verdict: 'ok', chosen: 'linux/arm64'},
    ],
  },
  {
    name: 'config-mismatch',
    formats: BOTH,
    spec: (format, name) => ({
      index: {format, entries: [entry('linux/amd64', `${name}#0`), entry('linux/arm64', `${name}#1`, {configPlatform: 'linux/amd64'})]},
    }),
    expect: [
      {host: 'linux/arm64', verdict: 'wrong-arch', chosen: 'linux/arm64'},
      {host: 'linux/arm64', client: 'containerd', verdict: 'wrong-arch', chosen: 'linux/arm64'},
      {host: 'linux/amd64', verdict: 'ok', chosen: 'linux/amd64'},
    ],
  },
  {
    name: 'single-amd64',
    formats: BOTH,
    spec: (format, name) => ({image: entry('linux/amd64', `${name}#0`, {format})}),
    expect: [
      {host: 'linux/arm64', verdict: 'wrong-arch', chosen: 0},
      {host: 'linux/arm64', client: 'containerd', verdict: 'wrong-arch', chosen: 0},
      {host: 'linux/arm64', client: 'podman', verdict: 'wrong-arch', chosen: 0},
      {host: 'linux/amd64', verdict: 'ok', chosen: 0},
    ],
  },
  {
    name: 'no-arm64',
    formats: BOTH,
    spec: index('linux/amd64', 'linux/s390x'),
    expect: [
      {host: 'linux/arm64', verdict: 'no-match'},
      {host: 'linux/arm64', client: 'containerd', verdict: 'no-match'},
      {host: 'linux/arm64', client: 'podman', verdict: 'no-match'},
      {host: 'linux/arm64', client: 'exact', verdict: 'no-match'},
      {host: 'linux/amd64', verdict: 'ok', chosen: 'linux/amd64'},
    ],
  },
]

/** The scenario name of a case in a format. */
export const caseName = (resolveCase: ResolveCase, format: ManifestFormat): string => `resolve-${resolveCase.name}-${format}`

/** The image an expectation names. */
export function expectedImage(scenario: PushedScenario, chosen: string | number): ExpectedImage {
  const images = scenario.images.filter((image) => !image.attestationFor)
  return typeof chosen === 'number' ? images[chosen] : scenario.image(chosen)
}
