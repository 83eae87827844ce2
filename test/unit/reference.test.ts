import {describe, expect, it} from 'vitest'

import {UsageError} from '../../src/oci/errors.js'
import {formatReference, formatSourceSpec, parseReference, parseSourceSpec, withDefaultTag} from '../../src/oci/reference.js'

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

  // distribution/reference v0.6: the 255-character limit is on the repository path, without the host.
  it('counts the repository path, not the registry host, against the 255-character limit (TestReferenceParse)', () => {
    // TestReferenceParse: 127 components make a 255-character path under host "a" (here docker.io).
    const path = `${'a/'.repeat(127)}a`
    const tag = 'tag-puts-this-over-max'
    expect(parseReference(`${path}:${tag}`)).toEqual({registry: 'docker.io', repository: path, tag})
    const host = 'registry.example.com:5000'
    const long = 'b'.repeat(255)
    expect(parseReference(`${host}/${long}`)).toEqual({registry: host, repository: long})
    // TestReferenceParse: "domain/" + 256 × "a" is too long.
    const tooLong = /is 263 characters long; the limit is 255 \(the registry host is not counted\)/
    expect(() => parseReference(`domain/${'a'.repeat(256)}:tag`)).toThrow(tooLong)
    expect(() => parseReference(`r.io/${'a'.repeat(256)}`)).toThrow(/is 256 characters long/)
    // The library/ prefix Docker Hub adds is part of the path.
    expect(() => parseReference('a'.repeat(250))).toThrow(/"library\/a+" is 258 characters long/)
  })

  it('reads only index.docker.io, exactly so, as Docker Hub (splitDockerDomain, TestParseRepositoryInfo)', () => {
    expect(parseReference('index.docker.io/fooo/bar')).toEqual({registry: 'docker.io', repository: 'fooo/bar'})
    expect(parseReference('index.docker.io/debian')).toEqual({registry: 'docker.io', repository: 'library/debian'})
    expect(parseReference('docker.io/foo')).toEqual({registry: 'docker.io', repository: 'library/foo'})
    const hubApiHost = parseReference('registry-1.docker.io/library/alpine')
    expect(hubApiHost).toEqual({registry: 'registry-1.docker.io', repository: 'library/alpine'})
    expect(parseReference('registry-1.docker.io/alpine')).toEqual({registry: 'registry-1.docker.io', repository: 'alpine'})
    expect(parseReference('Index.Docker.IO/x')).toEqual({registry: 'Index.Docker.IO', repository: 'x'})
  })

  it('treats only a whole 64-hex text as an image ID (TestValidateReferenceName, TestParseAnyReference)', () => {
    const hex = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'
    expect(() => parseReference(hex)).toThrow(/image ID/)
    expect(parseReference(`docker.io/${hex}`)).toEqual({registry: 'docker.io', repository: `library/${hex}`})
    expect(parseReference(`${hex}:tag`)).toEqual({registry: 'docker.io', repository: `library/${hex}`, tag: 'tag'})
    expect(parseReference(hex.slice(0, 63))).toEqual({registry: 'docker.io', repository: `library/${hex.slice(0, 63)}`})
  })

  // TestValidateReferenceName and TestNormalizedSplitHostname
  it.each([
    ['[fc00::1]:5000/docker', {registry: '[fc00::1]:5000', repository: 'docker'}],
    ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', {registry: '[fc00:1:2:3:4:5:6:7]:5000', repository: 'library/debian'}],
    ['Docker/docker', {registry: 'Docker', repository: 'docker'}],
    ['192.168.0.1:8/debian', {registry: '192.168.0.1:8', repository: 'debian'}],
    ['192.168.0.1:80', {registry: 'docker.io', repository: 'library/192.168.0.1', tag: '80'}],
    ['test_com/foo', {registry: 'docker.io', repository: 'test_com/foo'}],
    ['test-com:8080/foo', {registry: 'test-com:8080', repository: 'foo'}],
    ['xn--n3h.com:18080/foo', {registry: 'xn--n3h.com:18080', repository: 'foo'}],
    ['foo_bar.com:8080', {registry: 'docker.io', repository: 'library/foo_bar.com', tag: '8080'}],
  ])('accepts %s as distribution/reference does', (input, expected) => {
    expect(parseReference(input)).toEqual(expected)
  })

  it.each([
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
  ])('rejects %j as distribution/reference does (TestValidateReferenceName)', (input) => {
    expect(() => parseReference(input)).toThrow(UsageError)
  })

  it('formats a reference back in full', () => {
    expect(formatReference(parseReference('alpine:3'))).toBe('docker.io/library/alpine:3')
  })
})

describe('parseSourceSpec and formatSourceSpec', () => {
  const DIGEST = 'sha256:' + 'c'.repeat(64)

  it.each([
    ['alpine', {kind: 'registry', reference: {registry: 'docker.io', repository: 'library/alpine'}}, 'docker.io/library/alpine'],
    [
      'docker://alpine:3.20',
      {kind: 'registry', reference: {registry: 'docker.io', repository: 'library/alpine', tag: '3.20'}},
      'docker.io/library/alpine:3.20',
    ],
    // A registry host with a port, not skopeo's oci: prefix.
    ['oci:5000/app', {kind: 'registry', reference: {registry: 'oci:5000', repository: 'app'}}, 'oci:5000/app'],
    ['oci:./out', {kind: 'oci-layout', layout: {path: './out'}}, 'oci-layout:./out'],
    ['oci-layout:./dir:v1', {kind: 'oci-layout', layout: {path: './dir', tag: 'v1'}}, 'oci-layout:./dir:v1'],
    [`oci-layout:dir@${DIGEST}`, {kind: 'oci-layout', layout: {path: 'dir', digest: DIGEST}}, `oci-layout:dir@${DIGEST}`],
    ['oci-archive:/tmp/x.tar', {kind: 'oci-archive', layout: {path: '/tmp/x.tar'}}, 'oci-archive:/tmp/x.tar'],
    [
      'oci-archive:x.tar:ghcr.io/o/r:1',
      {kind: 'oci-archive', layout: {path: 'x.tar', tag: 'ghcr.io/o/r:1'}},
      'oci-archive:x.tar:ghcr.io/o/r:1',
    ],
  ])('%s parses to one value, shown as reports show it', (text, parsed, shown) => {
    expect(parseSourceSpec(text)).toEqual(parsed)
    expect(formatSourceSpec(parseSourceSpec(text))).toBe(shown)
  })

  it.each([
    ['Bad/Ref', /repository names must be lower-case/],
    ['oci-layout:dir:', /empty tag in "oci-layout:dir:"/],
    ['oci-archive:', /"oci-archive:" names no path/],
    ['oci-layout:dir@sha256:xyz', /invalid sha256 digest/],
  ])('%s is refused when parsed, before anything is opened', (text, message) => {
    expect(() => parseSourceSpec(text)).toThrow(UsageError)
    expect(() => parseSourceSpec(text)).toThrow(message)
  })

  it('fills in latest only for a registry reference with neither tag nor digest', () => {
    expect(formatSourceSpec(withDefaultTag(parseSourceSpec('nginx')))).toBe('docker.io/library/nginx:latest')
    expect(formatSourceSpec(withDefaultTag(parseSourceSpec(`nginx@${DIGEST}`)))).toBe(`docker.io/library/nginx@${DIGEST}`)
    expect(formatSourceSpec(withDefaultTag(parseSourceSpec('oci-layout:dir')))).toBe('oci-layout:dir')
  })
})
