/**
 * Real clients as the oracle: the indexes of test/helpers/resolve-cases.ts are pulled from the test
 * registry by Debian's dockerd 20.10 (`docker pull --platform`), its containerd 1.6
 * (`ctr images pull --platform`) and podman 4.3 (`podman pull --platform`), and the manifest each
 * one took must be the one `resolve` predicts for the model of that client; where a client
 * version cannot follow (it refuses the host specifier) the expectations say so (`oracle`).
 *
 * - dockerd 20.10 is compared with the docker@20.10 model (exact matching, then moby's arm last
 *   resort) on every Linux host of a docker or docker@20.10 expectation, error text included. Its
 *   choice is read from the image ID (= the config digest).
 * - containerd 1.6 resolves with `platforms.Only` (fallbacks included) and is compared with the
 *   containerd model on every Linux host. ctr fetches only exact matches, so a fallback pull stops
 *   with `content digest <chosen manifest>: not found`: the digest it chose. A completed pull is
 *   identified by the chain ID of what it unpacked.
 * - podman 4.3 is compared with the podman model on every Linux host a case names, error text
 *   included; its choice is read from `podman image inspect` (the config digest). Each host pulls
 *   into a storage of its own, so the hosts of a case are pulled at once.
 * Windows hosts are not checked: a Linux dockerd refuses Windows images and ctr 1.6 cannot name
 * an os.version. Neither dockerd nor ctr parses arm64 minor variants (`linux/arm64/v8.2`).
 */
import {createHash} from 'node:crypto'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ImageTree} from '../../src/oci/types.js'
import {parsePlatform} from '../../src/oci/platform/parse.js'
import {formatPlatform} from '../../src/oci/platform/normalize.js'
import type {ClientName} from '../../src/engine/resolve/resolution.js'
import {resolveForHost} from '../../src/engine/resolve/resolve.js'
import {testRegistryHost} from '../helpers/registry.js'
import {RESOLVE_CASES, caseName, expectedImage, type Expectation, type OracleOutcome} from '../helpers/resolve-cases.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'
import {readTree} from '../helpers/tree.js'
import {startDockerEngine, type DockerEngine} from './docker-engine.js'
import {startPodman, type Podman} from './podman.js'

let engine: DockerEngine
let podman: Podman

beforeAll(async () => {
  podman = startPodman()
  engine = await startDockerEngine([testRegistryHost()])
}, 60_000)

afterAll(async () => {
  await engine?.stop()
  await podman?.stop()
})

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`

/** containerd's chain ID of an image: its layers' diff IDs folded. */
function chainIdOf(scenario: PushedScenario, configDigest: string): string {
  const config = scenario.bundle.blobs.find((blob) => blob.digest === configDigest)
  if (!config) throw new Error(`config ${configDigest} is not in the scenario`)
  const diffIds = (JSON.parse(config.bytes.toString('utf8')) as {rootfs: {diff_ids: string[]}}).rootfs.diff_ids
  return diffIds.slice(1).reduce((chain, diffId) => sha256(`${chain} ${diffId}`), diffIds[0])
}

const runnable = (scenario: PushedScenario) => scenario.images.filter((image) => !image.attestationFor)

/** What the model predicts, or what an override says this client version does instead: a manifest digest or 'no-match'. */
function expectedOutcome(scenario: PushedScenario, tree: ImageTree, host: string, client: ClientName, override?: OracleOutcome): string {
  if (override === 'no-match' || override === 'bad-platform') return override
  if (override) return expectedImage(scenario, override.chosen).digest
  return resolveForHost(tree, host, client).chosen?.descriptor.digest ?? 'no-match'
}

/** Docker's refusal, with the host as `--platform` named it (a plain pull on arm64 says linux/arm64/v8). */
const dockerRefusal = (host: string) => `no matching manifest for ${formatPlatform(parsePlatform(host))} in the manifest list entries`

let namespaces = 0

for (const resolveCase of RESOLVE_CASES) {
  for (const format of resolveCase.formats) {
    describe(`${resolveCase.name} (${format})`, async () => {
      const name = `oracle-${caseName(resolveCase, format)}`
      const scenario = await pushScenario(name, resolveCase.spec(format, name))
      const tree = await readTree(scenario.reference)
      const linux = resolveCase.expect.filter((e) => e.host.startsWith('linux/'))

      const dockerHosts = new Map<string, Expectation>()
      for (const e of linux.filter((e) => ['docker', 'docker@20.10'].includes(e.client ?? 'docker'))) {
        if (!dockerHosts.has(e.host) || e.oracle?.docker2010) dockerHosts.set(e.host, e)
      }
      for (const [host, expectation] of dockerHosts) {
        it(`dockerd 20.10 pulls what the docker@20.10 model predicts for ${host}`, async () => {
          const expected = expectedOutcome(scenario, tree, host, 'docker@20.10', expectation.oracle?.docker2010)
          const pull = await engine.docker(['pull', '--platform', host, scenario.reference])
          const refusal = pull.stderr.trim().replace(/^Error response from daemon: /, '')
          if (expected === 'bad-platform') {
            expect(pull.code).not.toBe(0)
            expect(refusal).toMatch(/is an invalid component of .*: invalid argument$/)
            return
          }
          if (expected === 'no-match') {
            expect(pull.code, pull.stdout).not.toBe(0)
            expect(refusal).toBe(dockerRefusal(host))
            if (!expectation.oracle?.docker2010) expect(resolveForHost(tree, host, 'docker@20.10').clientMessage).toBe(refusal)
            // Current Docker words it the same way where it refuses too (it names arm64 hosts arm64/v8).
            const current = resolveForHost(tree, host, 'docker')
            if (current.verdict === 'no-match') expect(current.clientMessage?.replace('/arm64/v8 ', '/arm64 ')).toBe(refusal)
            return
          }
          expect(pull.code, pull.stderr).toBe(0)
          const inspected = await engine.docker(['image', 'inspect', '--format', '{{.Id}}', scenario.reference])
          const imageId = inspected.stdout.trim()
          await engine.docker(['rmi', '-f', scenario.reference])
          const took = runnable(scenario).find((image) => image.config.digest === imageId)
          expect(took?.digest, `image ID ${imageId}`).toBe(expected)
        })
      }

      const podmanHosts = new Map<string, Expectation>()
      for (const e of linux) if (!podmanHosts.has(e.host) || e.oracle?.podman43) podmanHosts.set(e.host, e)
      for (const [host, expectation] of podmanHosts) {
        // Concurrent: each host pulls into a storage of its own.
        it.concurrent(`podman 4.3 pulls what the podman model predicts for ${host}`, async ({expect}) => {
          const expected = expectedOutcome(scenario, tree, host, 'podman', expectation.oracle?.podman43)
          const pull = await podman.run(host, ['pull', '--quiet', '--tls-verify=false', '--platform', host, scenario.reference])
          if (expected === 'bad-platform') {
            expect(pull.code).not.toBe(0)
            return
          }
          if (expected === 'no-match') {
            expect(pull.code, pull.stdout).not.toBe(0)
            const said = resolveForHost(tree, host, 'podman').clientMessage
            if (!expectation.oracle?.podman43) expect(pull.stderr).toContain(`: ${said}`)
            return
          }
          expect(pull.code, pull.stderr).toBe(0)
          const inspected = await podman.run(host, ['image', 'inspect', '--format', '{{.Id}}', scenario.reference])
          const configDigest = `sha256:${inspected.stdout.trim()}`
          const took = runnable(scenario).find((image) => image.config.digest === configDigest)
          expect(took?.digest, `image ID ${configDigest}`).toBe(expected)
        })
      }

      const hosts = new Map<string, Expectation>()
      for (const e of linux.filter((e) => ['docker', 'containerd'].includes(e.client ?? 'docker'))) {
        if (!hosts.has(e.host) || e.oracle?.containerd16) hosts.set(e.host, e)
      }
      for (const [host, expectation] of hosts) {
        it(`containerd 1.6 pulls what resolve predicts for ${host}`, async () => {
          const expected = expectedOutcome(scenario, tree, host, 'containerd', expectation.oracle?.containerd16)
          // A fresh namespace: content fetched by an earlier pull must not complete this one.
          const pull = await engine.ctr(`oracle${++namespaces}`, [
            'images',
            'pull',
            '--plain-http',
            '--print-chainid',
            '--platform',
            host,
            scenario.reference,
          ])
          const output = `${pull.stdout}\n${pull.stderr}`
          if (expected === 'bad-platform') {
            expect(pull.code).not.toBe(0)
            expect(pull.stderr).toMatch(/^ctr: invalid platform /)
            return
          }
          if (expected === 'no-match') {
            expect(pull.code, output).not.toBe(0)
            expect(pull.stderr).toContain(`ctr: no match for platform in manifest ${scenario.root.digest}: not found`)
            if (!expectation.oracle?.containerd16)
              expect(resolveForHost(tree, host, 'containerd').clientMessage).toBe(
                `no match for platform in manifest ${scenario.root.digest}: not found`,
              )
            return
          }
          const missing = /content digest (sha256:[0-9a-f]{64}): not found/.exec(pull.stderr)
          if (missing) {
            expect(missing[1]).toBe(expected)
            return
          }
          expect(pull.code, output).toBe(0)
          const chainId = /image chain ID: (sha256:[0-9a-f]{64})/.exec(pull.stdout)?.[1]
          const took = runnable(scenario).filter((image) => chainIdOf(scenario, image.config.digest) === chainId)
          expect(
            took.map((image) => image.digest),
            `chain ID ${chainId}`,
          ).toEqual([expected])
        })
      }
    })
  }
}
