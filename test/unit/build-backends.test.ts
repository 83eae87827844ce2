import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  buildxBuildArgv,
  buildxCreateArgv,
  buildxInspectArgv,
  type BuildRequest,
  manifestBuildArgv,
  manifestPushArgvs,
} from '../../src/engine/build/argv.js'
import {parseBuilderInspect, parseBuildxVersion, parseDockerVersion} from '../../src/engine/build/buildx-output.js'
import {
  checkBuildxVersions,
  checkDestination,
  missingPlatforms,
  parsePlatformList,
  platformsWithoutEmulation,
  usedBuildxFlags,
} from '../../src/engine/build/preflight.js'
import {errorExitCode} from '../../src/api/exit-codes.js'
import {UsageError} from '../../src/oci/errors.js'
import {tempDir} from '../helpers/temp-dir.js'

const request: BuildRequest = {
  context: '.',
  tags: ['ghcr.io/acme/app:1.2', 'ghcr.io/acme/app:latest'],
  platforms: ['linux/amd64', 'linux/arm64'],
  buildArgs: ['VERSION=1.2'],
  push: true,
}

describe('backend command lines', () => {
  it('buildx build: the seed workflow plus the metadata file', () => {
    expect(buildxBuildArgv({...request, builder: 'multiarch', file: 'docker/Dockerfile', provenance: 'false'}, '/tmp/m.json')).toEqual([
      'buildx',
      'build',
      '--builder',
      'multiarch',
      '--platform',
      'linux/amd64,linux/arm64',
      '-t',
      'ghcr.io/acme/app:1.2',
      '-t',
      'ghcr.io/acme/app:latest',
      '-f',
      'docker/Dockerfile',
      '--build-arg',
      'VERSION=1.2',
      '--provenance=false',
      '--metadata-file',
      '/tmp/m.json',
      '--push',
      '.',
    ])
  })

  it('buildx build to an OCI layout directory', () => {
    expect(buildxBuildArgv({...request, tags: [], push: false, ociLayout: 'out/layout', sbom: 'true'}, 'm.json')).toEqual([
      'buildx',
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--build-arg',
      'VERSION=1.2',
      '--sbom=true',
      '--metadata-file',
      'm.json',
      '--output',
      'type=oci,dest=out/layout,tar=false',
      '.',
    ])
  })

  it('buildx create and inspect', () => {
    expect(buildxCreateArgv('multiarch', {driver: 'docker-container', use: true})).toEqual([
      'buildx',
      'create',
      '--name',
      'multiarch',
      '--driver',
      'docker-container',
      '--use',
    ])
    expect(buildxCreateArgv('b', {driver: 'docker-container', platforms: ['linux/arm64', 'linux/amd64']})).toEqual([
      'buildx',
      'create',
      '--name',
      'b',
      '--driver',
      'docker-container',
      '--platform',
      'linux/arm64,linux/amd64',
    ])
    expect(buildxInspectArgv('b', true)).toEqual(['buildx', 'inspect', 'b', '--bootstrap'])
    expect(buildxInspectArgv(undefined, false)).toEqual(['buildx', 'inspect'])
  })

  it('buildah/podman: build into a manifest list, then push it with every image to each tag', () => {
    expect(manifestBuildArgv({...request, file: 'Dockerfile.multi', target: 'final'}, 'localhost/list')).toEqual([
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--manifest',
      'localhost/list',
      '-f',
      'Dockerfile.multi',
      '--target',
      'final',
      '--build-arg',
      'VERSION=1.2',
      '.',
    ])
    expect(manifestPushArgvs({...request, ociLayout: 'out'}, 'localhost/list', '/tmp/d')).toEqual([
      ['manifest', 'push', '--all', '--digestfile', '/tmp/d', 'localhost/list', 'docker://ghcr.io/acme/app:1.2'],
      ['manifest', 'push', '--all', '--digestfile', '/tmp/d', 'localhost/list', 'docker://ghcr.io/acme/app:latest'],
      ['manifest', 'push', '--all', '--digestfile', '/tmp/d', 'localhost/list', 'oci:out'],
    ])
  })

  it('buildah/podman: plain-HTTP registries get --tls-verify=false on push', () => {
    const local = {...request, tags: ['127.0.0.1:5000/app:1', 'ghcr.io/acme/app:1']}
    expect(manifestPushArgvs(local, 'l', 'd', (tag) => tag.startsWith('127.'))).toEqual([
      ['manifest', 'push', '--all', '--tls-verify=false', '--digestfile', 'd', 'l', 'docker://127.0.0.1:5000/app:1'],
      ['manifest', 'push', '--all', '--digestfile', 'd', 'l', 'docker://ghcr.io/acme/app:1'],
    ])
  })
})

describe('buildx output', () => {
  it('reads versions in their various spellings', () => {
    expect(parseBuildxVersion('github.com/docker/buildx v0.17.1 257815a6fb95ff2b4d5c8c1e73d6bd3bd9d1dc8b\n')).toBe('0.17.1')
    expect(parseBuildxVersion('github.com/docker/buildx 0.11.0 687feca9e8dcd1534ac4c026bc4db5a49de0dd6e')).toBe('0.11.0')
    expect(parseBuildxVersion('github.com/docker/buildx v0.12.1-desktop.4 6b4a8ca')).toBe('0.12.1')
    expect(parseBuildxVersion('nonsense')).toBeUndefined()
    expect(parseDockerVersion('Docker version 27.3.1, build ce12230')).toBe('27.3.1')
    expect(parseDockerVersion('Docker version 20.10.24+dfsg1, build 297e128')).toBe('20.10.24')
  })

  it('parses buildx 0.17 inspect output (one node, platforms marked with *)', () => {
    const info = parseBuilderInspect(
      [
        'Name:          multiarch',
        'Driver:        docker-container',
        'Last Activity: 2024-10-01 10:00:00 +0000 UTC',
        '',
        'Nodes:',
        'Name:                  multiarch0',
        'Endpoint:              unix:///var/run/docker.sock',
        'Driver Options:        env.BUILDKIT_STEP_LOG_MAX_SIZE="10485760"',
        'Status:                running',
        'BuildKit daemon flags: --allow-insecure-entitlement=network.host',
        'BuildKit version:      v0.16.0',
        'Platforms:             linux/amd64*, linux/arm64, linux/arm/v7',
        'Labels:',
        ' org.mobyproject.buildkit.worker.executor:         oci',
        'GC Policy rule#0:',
        ' All:           false',
      ].join('\n'),
    )
    expect(info).toEqual({
      name: 'multiarch',
      driver: 'docker-container',
      status: 'running',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      nodes: [
        {
          name: 'multiarch0',
          endpoint: 'unix:///var/run/docker.sock',
          status: 'running',
          buildkitVersion: 'v0.16.0',
          platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
        },
      ],
    })
  })

  it('parses the documented two-node layout of older buildx', () => {
    const info = parseBuilderInspect(
      'Name:   elated_tesla\nDriver: docker-container\n\nNodes:\nName:      elated_tesla0\nEndpoint:  unix:///var/run/docker.sock\nStatus:    running\nBuildkit:  v0.10.3\nPlatforms: linux/amd64\n\nName:      elated_tesla1\nEndpoint:  ssh://ubuntu@1.2.3.4\nStatus:    running\nBuildkit:  v0.10.3\nPlatforms: linux/arm64*, linux/arm/v7, linux/arm/v6\n',
    )
    expect(info.nodes.map((node) => node.name)).toEqual(['elated_tesla0', 'elated_tesla1'])
    expect(info.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6'])
  })

  it('an inactive builder has no platforms yet', () => {
    const info = parseBuilderInspect(
      'Name: b\nDriver: docker-container\n\nNodes:\nName: b0\nEndpoint: unix:///var/run/docker.sock\nStatus: inactive\nPlatforms:\n',
    )
    expect(info.status).toBe('inactive')
    expect(info.platforms).toEqual([])
  })
})

describe('preflight rules', () => {
  it('knows which buildx each flag needs', () => {
    expect(usedBuildxFlags({push: true})).toEqual(['--metadata-file'])
    expect(usedBuildxFlags({push: true, provenance: 'false', sbom: 'true'})).toEqual(['--metadata-file', '--provenance', '--sbom'])
    expect(usedBuildxFlags({push: true, ociLayout: 'out'})).toEqual([
      '--metadata-file',
      '--output type=oci,tar=false',
      '--push with --output',
    ])
    expect(usedBuildxFlags({push: false, ociLayout: 'out'})).toEqual(['--metadata-file', '--output type=oci,tar=false'])
    expect(() => checkBuildxVersions({buildx: '0.9.1'}, usedBuildxFlags({push: false, ociLayout: 'out'}))).toThrow(
      '(--output type=oci,tar=false needs 0.10.0)',
    )
    expect(() => checkBuildxVersions({buildx: '0.12.1'}, ['--metadata-file', '--push with --output'])).toThrow(
      '(--push with --output needs 0.13.0)',
    )
    expect(() => checkBuildxVersions({docker: '27.3.1', buildx: '0.17.1'}, ['--metadata-file', '--provenance'])).not.toThrow()
    expect(() => checkBuildxVersions({buildx: '0.9.1'}, ['--metadata-file', '--provenance'])).toThrow(
      'buildx 0.9.1 is too old for this build (--provenance needs 0.10.0)',
    )
    expect(() => checkBuildxVersions({buildx: '0.5.1'}, ['--metadata-file'])).toThrow('--metadata-file needs 0.6.0')
    expect(() => checkBuildxVersions({docker: '18.9.0', buildx: '0.17.0'}, [])).toThrow('docker 18.9.0 is too old')
  })

  it('refuses a multi-platform build that goes nowhere', () => {
    const error = (() => {
      try {
        checkDestination({platforms: ['linux/amd64', 'linux/arm64'], push: false, tags: ['x']})
      } catch (error) {
        return error as UsageError
      }
    })()
    expect(error).toBeInstanceOf(UsageError)
    expect(errorExitCode(error)).toBe(2)
    expect(error?.message).toContain('the local image store cannot hold a manifest list')
    expect(() => checkDestination({platforms: ['linux/amd64'], push: false, tags: []})).toThrow(
      'archcheck build verifies what it pushes: pass --push or --output oci:PATH',
    )
    expect(() => checkDestination({platforms: ['linux/amd64'], push: true, tags: ['x/y:1']})).not.toThrow()
    expect(() => checkDestination({platforms: ['linux/amd64', 'linux/arm64'], push: false, ociLayout: 'out', tags: []})).not.toThrow()
    expect(() => checkDestination({platforms: ['linux/amd64'], push: true, tags: []})).toThrow('--push needs at least one -t')
  })

  it('normalises platform lists and compares them with what a builder lists', () => {
    expect(parsePlatformList(['linux/amd64,linux/aarch64', 'linux/arm64/v8', 'linux/arm'])).toEqual([
      'linux/amd64',
      'linux/arm64',
      'linux/arm/v7',
    ])
    expect(() => parsePlatformList([' , '])).toThrow('names no platform')
    expect(() => parsePlatformList(['linux/amd64/v2/x'])).toThrow(UsageError)
    expect(
      missingPlatforms(['linux/amd64', 'linux/arm64', 'linux/arm/v7'], ['linux/amd64', 'linux/amd64/v2', 'linux/arm64/v8', 'linux/386']),
    ).toEqual(['linux/arm/v7'])
  })

  it('finds platforms without a QEMU handler in binfmt_misc', async () => {
    const binfmt = await tempDir('binfmt')
    await mkdir(binfmt, {recursive: true})
    await writeFile(join(binfmt, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n')
    await writeFile(join(binfmt, 'qemu-riscv64'), 'disabled\n')
    // The test machine is x86-64 (amd64 and 386 run natively).
    expect(await platformsWithoutEmulation(['linux/amd64', 'linux/386', 'linux/arm64', 'linux/riscv64', 'linux/s390x'], binfmt)).toEqual([
      'linux/riscv64',
      'linux/s390x',
    ])
  })
})
