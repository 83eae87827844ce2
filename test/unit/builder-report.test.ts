import {describe, expect, it} from 'vitest'

import {builderReport} from '../../src/engine/build/builder-report.js'
import {renderBuilderReport} from '../../src/render/builder.js'

const running = {name: 'multiarch', driver: 'docker-container', status: 'running', nodes: []}

describe('builder report', () => {
  it('lists the common platforms a builder lacks and the binfmt command that adds them', () => {
    const report = builderReport({...running, platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/386']})
    expect(report.missing).toEqual(['linux/arm/v7', 'linux/arm/v6', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64'])
    const text = renderBuilderReport(report)
    expect(text).toContain('missing:   linux/arm/v7, linux/arm/v6, linux/ppc64le, linux/s390x, linux/riscv64')
    expect(text).toContain('docker run --privileged --rm tonistiigi/binfmt --install arm,ppc64le,s390x,riscv64')
  })

  it('says when nothing is missing', () => {
    const all = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6', 'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64']
    const report = builderReport({...running, platforms: all}, false)
    expect(report.missing).toEqual([])
    expect(renderBuilderReport(report)).toBe(
      [
        'reusing the existing builder multiarch',
        'builder:   multiarch',
        'driver:    docker-container',
        'status:    running',
        `platforms: ${all.join(', ')}`,
        'every common platform is supported',
        '',
      ].join('\n'),
    )
  })

  it('does not guess the platforms of a builder that is not running', () => {
    const report = builderReport({...running, status: 'inactive', platforms: []})
    expect(report.missing).toEqual([])
    expect(renderBuilderReport(report)).toContain(
      'platforms: unknown until the builder runs (archcheck builder inspect multiarch --bootstrap)',
    )
  })

  it('warns that the docker driver builds one platform at a time', () => {
    const text = renderBuilderReport(
      builderReport({...running, name: 'default', driver: 'docker', platforms: ['linux/amd64', 'linux/386']}),
    )
    expect(text).toContain('the docker driver builds one platform at a time')
  })
})
