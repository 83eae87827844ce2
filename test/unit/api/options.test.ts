import {describe, expect, it} from 'vitest'

import {
  argumentList,
  clientAliasMeaning,
  clientList,
  countOption,
  OptionError,
  platformList,
  singleClient,
  stringList,
} from '../../../src/api/options.js'
import {flagOfOption, withFlagNames} from '../../../src/cli/flags.js'
import {UsageError} from '../../../src/oci/errors.js'
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

describe('argument and scalar checks', () => {
  it('refuses what is not an array of strings, in a library caller’s words', () => {
    expect(argumentList(['a', 'b'], 'images')).toEqual(['a', 'b'])
    expect(optionError(() => argumentList({images: 'x'}, 'images')).message).toBe('images: expected an array of strings, found an object')
    expect(optionError(() => argumentList('x', 'images')).message).toBe('images: expected an array of strings, found a string')
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
