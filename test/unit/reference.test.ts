import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {formatReference, parseReference} from '../../src/oci/reference.js'

describe('parseReference', () => {
  it.each([
    ['alpine', {registry: 'docker.io', repository: 'library/alpine'}],
    ['alpine:3.20', {registry: 'docker.io', repository: 'library/alpine', tag: '3.20'}],
    ['docker.io/alpine', {registry: 'docker.io', repository: 'library/alpine'}],
    ['index.docker.io/library/alpine:edge', {registry: 'docker.io', repository: 'library/alpine', tag: 'edge'}],
    ['my/app:1.2', {registry: 'docker.io', repository: 'my/app', tag: '1.2'}],
    ['ghcr.io/owner/repo/sub:v1', {registry: 'ghcr.io', repository: 'owner/repo/sub', tag: 'v1'}],
    ['localhost/x', {registry: 'localhost', repository: 'x'}],
    ['localhost:5000/x:t', {registry: 'localhost:5000', repository: 'x', tag: 't'}],
    ['127.0.0.1:5000/a/b', {registry: '127.0.0.1:5000', repository: 'a/b'}],
    ['[::1]:5000/a:latest', {registry: '[::1]:5000', repository: 'a', tag: 'latest'}],
    ['Registry/app', {registry: 'Registry', repository: 'app'}],
    ['a.b-c/x__y.z-w', {registry: 'a.b-c', repository: 'x__y.z-w'}],
    [`alpine@sha256:${'a'.repeat(64)}`, {registry: 'docker.io', repository: 'library/alpine', digest: `sha256:${'a'.repeat(64)}`}],
    [`r.io/a:t@sha256:${'b'.repeat(64)}`, {registry: 'r.io', repository: 'a', tag: 't', digest: `sha256:${'b'.repeat(64)}`}],
  ])('normalises %s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected)
  })

  it.each([
    ['', /empty/],
    ['Alpine', /lower-case/],
    ['docker.io/My/App', /lower-case/],
    ['a'.repeat(64), /image ID/],
    ['alpine:-bad', /invalid tag/],
    [`alpine:${'t'.repeat(129)}`, /invalid tag/],
    [`r.io/${'a'.repeat(260)}`, /limit is 255/],
    ['alpine@sha256:abc', /64 lower-case hex/],
    [`alpine@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    ['alpine@nodigest', /invalid digest/],
    ['a b', /white space/],
    ['r.io/a//b', /invalid repository name/],
    ['r.io/-a', /invalid repository name/],
    ['r_io:5000/a', /invalid registry host/],
    ['localhost:99999/a', /invalid registry host "localhost:99999" in "localhost:99999\/a": the port must be 1 to 65535/],
    ['r.io:0/a', /the port must be 1 to 65535/],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(UsageError)
    expect(() => parseReference(input)).toThrow(message)
  })

  it('formats a reference back in full', () => {
    expect(formatReference(parseReference('alpine:3'))).toBe('docker.io/library/alpine:3')
  })
})
