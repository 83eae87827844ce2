// SLSA provenance v0.2 and v1 as buildkit writes it, normalised to one shape; the final stage's
// base read from a mode=max build definition.
import {describe, expect, it} from 'vitest'

import {dockerPurl, summariseProvenance, SLSA_V02, SLSA_V1} from '../../../src/engine/supply-chain/provenance.js'
import {summariseSbom} from '../../../src/engine/supply-chain/sbom.js'
import {parseArtifactJson} from '../../../src/engine/supply-chain/json.js'
import {readStatement} from '../../../src/engine/supply-chain/statement.js'
import {
  cycloneDxDocument,
  dsseEnvelope,
  keyPair,
  llbStage,
  provenanceV02,
  provenanceV1,
  spdxDocument,
  statement,
} from '../../helpers/supply-chain.js'

const amd = {name: 'golang', tag: '1.22', platform: 'linux/amd64', digest: `sha256:${'a'.repeat(64)}`}
const arm = {name: 'alpine', tag: '3.20', platform: 'linux/arm64', digest: `sha256:${'b'.repeat(64)}`}
const SOURCE = {uri: 'https://github.com/owner/app.git#main', sha1: 'c'.repeat(40), path: 'build/Dockerfile'}

describe('provenance', () => {
  for (const [version, type, make] of [
    ['v0.2', SLSA_V02, provenanceV02],
    ['v1', SLSA_V1, provenanceV1],
  ] as const) {
    it(`reads buildkit's SLSA ${version} fields into one shape`, () => {
      const summary = summariseProvenance(
        type,
        make({bases: [amd, arm], source: SOURCE, vcs: {source: 'https://github.com/owner/app', revision: 'd'.repeat(40)}}),
      )
      expect(summary).toMatchObject({
        slsaVersion: version,
        configSource: {uri: SOURCE.uri, digest: {sha1: SOURCE.sha1}, path: 'build/Dockerfile'},
        vcsHint: {source: 'https://github.com/owner/app', revision: 'd'.repeat(40), unverified: true},
        builderPlatform: 'linux/amd64',
        startedOn: '2024-01-01T00:00:00Z',
        finishedOn: '2024-01-01T00:01:00Z',
        mode: 'min',
        reproducible: false,
        completeness: {parameters: false, materials: false},
        finalStageBase: null,
      })
      expect(summary.materials.map((m) => m.image)).toEqual([
        {name: 'golang', version: '1.22', platform: 'linux/amd64'},
        {name: 'alpine', version: '3.20', platform: 'linux/arm64'},
        undefined,
      ])
    })

    it(`SLSA ${version} mode=max: the final stage's base from the build definition, not the builder stage's`, () => {
      // A builder stage on the build platform, then the final stage on the target's base: the walk
      // follows the last step's first input back to the target's source.
      const builder = llbStage(amd).map((step) => JSON.parse(JSON.stringify(step).replaceAll('step', 'builder')) as unknown)
      const summary = summariseProvenance(type, make({bases: [amd, arm], mode: 'max', llb: [...builder, ...llbStage(arm)]}))
      expect(summary.mode).toBe('max')
      expect(summary.finalStageBase).toEqual({image: `docker.io/library/alpine:3.20@${arm.digest}`, platform: 'linux/arm64'})
    })
  }

  it('ends the walk on a cyclic or scratch definition', () => {
    const cyclic = [
      {id: 'step0', op: {Op: {exec: {}}}, inputs: ['step1:0']},
      {id: 'step1', op: {Op: {exec: {}}}, inputs: ['step0:0']},
    ]
    expect(summariseProvenance(SLSA_V1, provenanceV1({bases: [], mode: 'max', llb: cyclic})).finalStageBase).toBeNull()
    const local = [
      {id: 'step0', op: {Op: {source: {identifier: 'local://context'}}}},
      {id: 'step1', op: {Op: null}, inputs: ['step0:0']},
    ]
    expect(summariseProvenance(SLSA_V1, provenanceV1({bases: [], mode: 'max', llb: local})).finalStageBase).toBeNull()
  })

  it('reads package URLs of docker images, namespaced and without a platform', () => {
    expect(dockerPurl('pkg:docker/docker/buildx-bin@0.6.1?platform=linux%2Farm%2Fv7')).toEqual({
      name: 'docker/buildx-bin',
      version: '0.6.1',
      platform: 'linux/arm/v7',
    })
    expect(dockerPurl('pkg:docker/alpine@3.20')).toEqual({name: 'alpine', version: '3.20', platform: null})
    expect(dockerPurl('https://github.com/owner/app.git')).toBeUndefined()
  })

  it('gives null for fields another builder leaves out, never throwing on odd shapes', () => {
    const summary = summariseProvenance(SLSA_V02, {builder: 'not an object', materials: [{uri: 7}, 'x', {uri: 'pkg:docker/a@1'}]})
    expect(summary).toMatchObject({builderId: null, buildType: null, vcsHint: null, hermetic: null, mode: 'min'})
    expect(summary.materials).toEqual([{uri: 'pkg:docker/a@1', digest: {}, image: {name: 'a', version: '1', platform: null}}])
  })
})

describe('statements, SBOMs and bounded JSON', () => {
  it('opens a DSSE envelope and a plain statement alike', () => {
    const body = statement(SLSA_V02, {}, `sha256:${'e'.repeat(64)}`)
    const plain = readStatement(Buffer.from(JSON.stringify(body)), 'x')
    const wrapped = readStatement(Buffer.from(JSON.stringify(dsseEnvelope(body, keyPair('ed25519').privateKey))), 'x')
    expect(plain).toEqual({predicateType: SLSA_V02, predicate: {}, subjects: [`sha256:${'e'.repeat(64)}`], envelope: 'plain'})
    expect(wrapped).toEqual({...plain, envelope: 'dsse'})
    expect(() => readStatement(Buffer.from('{"predicateType":"x"}'), 'layer')).toThrow('layer: not an in-toto statement')
  })

  it('summarises SPDX and CycloneDX (1.4 tool lists and 1.5 tool objects)', () => {
    expect(summariseSbom(spdxDocument(4))).toEqual({
      format: 'spdx',
      version: 'SPDX-2.3',
      tools: ['syft-v0.85.0', 'buildkit-v0.12.0'],
      packages: 4,
    })
    expect(summariseSbom(cycloneDxDocument(2))).toEqual({format: 'cyclonedx', version: '1.5', tools: ['syft 0.85.0'], packages: 2})
    expect(summariseSbom({bomFormat: 'CycloneDX', specVersion: '1.4', metadata: {tools: [{name: 'trivy'}]}})).toEqual({
      format: 'cyclonedx',
      version: '1.4',
      tools: ['trivy'],
      packages: 0,
    })
    expect(summariseSbom({hello: 1})).toBeUndefined()
  })

  it('counts nesting outside strings only', () => {
    const nested = `{"a":"${'['.repeat(500)}","b":${'['.repeat(100)}${']'.repeat(100)}}`
    expect(parseArtifactJson(Buffer.from(nested), 'x')).toMatchObject({a: '['.repeat(500)})
    expect(() => parseArtifactJson(Buffer.from(`${'['.repeat(129)}${']'.repeat(129)}`), 'x')).toThrow(
      'x: JSON nested deeper than 128 levels',
    )
    expect(() => parseArtifactJson(Buffer.from([0xff]), 'x')).toThrow('x: not valid UTF-8')
  })
})
