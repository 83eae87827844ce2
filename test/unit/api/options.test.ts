import {describe, expect, it} from 'vitest'

import {
  clientAliasMeaning,
  clientList,
  countOption,
  OptionError,
  platformList,
  singleClient,
  sourceList,
  sourceSpec,
  stringList,
} from '../../../src/api/options.js'
import {flagOfOption, withFlagNames} from '../../../src/cli/flags.js'
import {UsageError} from '../../../src/oci/errors.js'
import {parseSourceSpec} from '../../../src/oci/reference.js'
import {formatPlatformSpec} from '../../../src/oci/platform/normalize.js'

function optionError(action: () => unknown): OptionError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError)
    expect(error).toBeInstanceOf(UsageError)
    return error as OptionError
  }
  throw new Error('expected an OptionError')
}

const specs = (value: unknown, rules = {}) => platformList(value, 'hosts', rules).map((platform) => formatPlatformSpec(platform))

describe('platformList', () => {
  it('splits comma-separated and repeated values once, normalises, drops repeats, keeps order', () => {
    expect(specs(['linux/arm64,linux/amd64', ' linux/aarch64 ', 'linux/arm/v7'])).toEqual(['linux/arm64', 'linux/amd64', 'linux/arm/v7'])
    expect(specs('linux/s390x')).toEqual(['linux/s390x'])
    expect(specs([{os: 'linux', architecture: 'riscv64'}])).toEqual(['linux/riscv64'])
  })

  it('gives the defaults when absent, and refuses a list that names nothing', () => {
    expect(specs(undefined, {defaults: ['linux/amd64', 'linux/arm64']})).toEqual(['linux/amd64', 'linux/arm64'])
    expect(specs(undefined)).toEqual([])
    expect(optionError(() => specs([])).message).toBe('hosts needs at least one platform')
    expect(optionError(() => specs([' , '])).message).toBe('hosts needs at least one platform')
  })

  it('refuses an unknown OS or architecture with a did-you-mean in option names, unless allowed', () => {
    const arch = optionError(() => specs(['linux/arm46']))
    expect(arch.message).toBe(
      'hosts: platform "linux/arm46": unknown architecture "arm46" (did you mean arm64?); allowUnknownPlatform accepts it as written',
    )
    expect(arch.render(flagOfOption)).toBe(
      '--host: platform "linux/arm46": unknown architecture "arm46" (did you mean arm64?); --allow-unknown-platform accepts it as written',
    )
    expect(optionError(() => specs('linx/arm64')).message).toMatch(/unknown OS "linx" \(did you mean linux\?\)/)
    expect(specs(['linux/arm46'], {allowUnknown: true})).toEqual(['linux/arm46'])
  })

  it('refuses a slip in a list and values of the wrong type', () => {
    expect(optionError(() => specs('linux/arm64,')).message).toMatch(/^hosts: invalid platform "": empty part/)
    expect(optionError(() => specs(42)).message).toBe('hosts: expected platforms, found a number')
    expect(optionError(() => specs([{os: 'linux'}])).message).toMatch(/^hosts: expected a platform specifier or \{os, architecture\}/)
  })
})

describe('clientList and singleClient', () => {
  it('resolves aliases to models, each once, from repeated and comma-separated names', () => {
    expect(clientList(['docker', 'containerd,kubernetes'])).toEqual(['docker', 'containerd'])
    expect(clientList('cri-o')).toEqual(['podman'])
    expect(clientList(undefined)).toEqual(['docker'])
    expect(clientList('all')).toHaveLength(5)
    expect(clientList(['docker', 'all'])).toHaveLength(5)
  })

  it('names the model an alias stands for', () => {
    expect(clientAliasMeaning('kubernetes')).toBe("kubernetes = containerd's rules")
    expect(clientAliasMeaning('skopeo')).toBe("skopeo = podman's rules")
    expect(clientAliasMeaning('docker')).toBeUndefined()
  })

  it('refuses an unknown client with the names it knows, and several where one is taken', () => {
    expect(optionError(() => clientList(['moby'])).message).toMatch(/^clients: unknown client "moby": expected one of docker, /)
    expect(singleClient('nerdctl')).toBe('containerd')
    expect(optionError(() => singleClient('docker,podman')).message).toBe('client: expected one client, found several')
  })
})

describe('sourceSpec', () => {
  it('parses text once into the value the layers below take', () => {
    expect(sourceSpec('alpine:3.20', 'reference')).toEqual({
      kind: 'registry',
      reference: {registry: 'docker.io', repository: 'library/alpine', tag: '3.20'},
    })
    expect(sourceSpec('oci-layout:/nowhere/dir@sha256:' + 'a'.repeat(64), 'reference')).toEqual({
      kind: 'oci-layout',
      layout: {path: '/nowhere/dir', digest: 'sha256:' + 'a'.repeat(64)},
    })
    expect(() => sourceSpec('Bad/Ref', 'reference')).toThrow(/invalid repository name "Bad\/Ref"|repository names must be lower-case/)
  })

  it('refuses a registry name that is a local path, as the CLI does', () => {
    expect(() => sourceSpec('package.json', 'reference')).toThrow(/"package.json" is a local file: did you mean oci-archive:package.json\?/)
    expect(sourceSpec('docker://package.json', 'reference').kind).toBe('registry')
  })

  it('takes a parsed value as it is, and refuses one parseSourceSpec would not make, in a library caller’s words', () => {
    const parsed = parseSourceSpec('localhost:5000/app@sha256:' + 'b'.repeat(64))
    expect(sourceSpec(parsed, 'reference')).toEqual(parsed)
    expect(
      optionError(() => sourceSpec({kind: 'registry', reference: {registry: 'docker.io', repository: 'alpine'}}, 'reference')).message,
    ).toBe('reference: expected an image reference or a SourceSpec from parseSourceSpec, found an object parseSourceSpec would not make')
    expect(optionError(() => sourceSpec({kind: 'registry', reference: {registry: 'x.io', repository: 'Up'}}, 'reference')).message).toMatch(
      /^reference: invalid repository name "Up"/,
    )
    expect(optionError(() => sourceSpec({kind: 'ftp'}, 'reference')).message).toBe(
      'reference: expected an image reference or a SourceSpec from parseSourceSpec, found another object',
    )
    expect(optionError(() => sourceSpec(42, 'reference')).message).toBe(
      'reference: expected an image reference or a SourceSpec from parseSourceSpec, found a number',
    )
  })
})

describe('argument and scalar checks', () => {
  it('refuses what is not an array of strings, in a library caller’s words', () => {
    expect(optionError(() => sourceList({images: 'x'}, 'images')).message).toBe(
      'images: expected an array of image references, found an object',
    )
    expect(optionError(() => sourceList('x', 'images')).message).toBe('images: expected an array of image references, found a string')
    expect(optionError(() => stringList([1], 'from')).message).toBe('from: expected a string or an array of strings, found an array')
    expect(optionError(() => countOption(0, 'concurrency')).message).toBe('concurrency: expected a whole number of at least 1, found 0')
    expect(countOption(undefined, 'latest')).toBeUndefined()
  })

  it('is shown on the command line with flag names', () => {
    const shown = withFlagNames(new OptionError('{deep} needs {require}; {tagPattern}, {hostsFrom}, {clients}, {images}')) as Error
    expect(shown).toBeInstanceOf(UsageError)
    expect(shown.message).toBe('--deep needs --require; --tag-pattern, --hosts-from, --client, IMAGE…')
    const other = new UsageError('x')
    expect(withFlagNames(other)).toBe(other)
  })
})
