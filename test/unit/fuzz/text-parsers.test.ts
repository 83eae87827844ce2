import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {jsonErrorOffset, parseImageConfig, parseManifest} from '../../../src/oci/manifest.js'
import {formatPlatformSpec} from '../../../src/oci/platform/normalize.js'
import {parsePlatform} from '../../../src/oci/platform/parse.js'
import {formatReference, parseReference} from '../../../src/oci/reference.js'
import {fuzz, fuzzTimeout, withinDeadline} from './settings.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const lowerAlnum = fc.stringMatching(/^[a-z0-9]{1,8}$/)
const separator = fc.constantFrom('.', '_', '__', '-', '--')
const component = fc
  .tuple(lowerAlnum, fc.option(fc.tuple(separator, lowerAlnum), {nil: undefined}))
  .map(([a, rest]) => (rest ? `${a}${rest[0]}${rest[1]}` : a))
const host = fc.oneof(
  fc.constantFrom(
    'docker.io',
    'index.docker.io',
    'localhost',
    'ghcr.io',
    'Registry.Example:5000',
    '[::1]:5000',
    'localhost:0',
    'a.b:99999',
  ),
  fc
    .tuple(
      fc.stringMatching(/^[a-zA-Z0-9-]{1,10}$/),
      fc.stringMatching(/^[a-z]{2,4}$/),
      fc.option(fc.integer({min: 0, max: 70_000}), {nil: undefined}),
    )
    .map(([name, tld, port]) => `${name}.${tld}${port === undefined ? '' : `:${port}`}`),
)
/** Strings shaped like references (most valid, some near misses), and arbitrary text. */
const referenceLike = fc.oneof(
  fc
    .tuple(
      fc.option(host, {nil: undefined}),
      fc.array(component, {minLength: 1, maxLength: 4}),
      fc.option(fc.stringMatching(/^[\w][\w.-]{0,20}$/), {nil: undefined}),
      fc.option(fc.constantFrom(DIGEST, 'sha256:abc', `sha512:${'b'.repeat(128)}`, 'md5:x'), {nil: undefined}),
    )
    .map(
      ([registry, path, tag, digest]) =>
        `${registry ? `${registry}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
    ),
  fc.string({maxLength: 80}),
  fc.string({unit: fc.constantFrom(...'aZ0:/@._-[] \u0000é'), maxLength: 60}),
)

describe('fuzz: text parsers', () => {
  it(
    'parseReference: only usage errors, and formatReference is a fixed point',
    () => {
      fc.assert(
        fc.property(referenceLike, (text) => {
          const parsed = withinDeadline(() => parseReference(text))
          if (!parsed) return
          const formatted = formatReference(parsed)
          expect(parseReference(formatted)).toEqual(parsed)
          expect(formatReference(parseReference(formatted))).toBe(formatted)
        }),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )

  const platformLike = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          'linux',
          'windows',
          'Linux',
          'darwin',
          'macos',
          'freebsd',
          'x',
          'windows(10.0.20348)',
          'windows(10.0.17763+win32k)',
          'linux(%zz)',
        ),
        fc.constantFrom('', 'amd64', 'x86_64', 'aarch64', 'arm', 'armhf', 'arm64', 'i386', 'riscv64', 'mips64le', 'zz'),
        fc.constantFrom('', 'v7', 'v8', '8', 'v9.0', 'v1', '7', 'x'),
      )
      .map(([os, arch, variant]) => [os, arch, variant].filter(Boolean).join('/')),
    fc.string({maxLength: 40}),
    fc.string({unit: fc.constantFrom(...'linuxamd64/()+.%_-* v'), maxLength: 40}),
  )

  it(
    'parsePlatform: only usage errors, and its spelling parses back to the same platform',
    () => {
      fc.assert(
        fc.property(platformLike, (spec) => {
          const platform = withinDeadline(() => parsePlatform(spec))
          if (!platform) return
          expect(parsePlatform(formatPlatformSpec(platform))).toEqual(platform)
        }),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )

  /** Manifests and indexes with each field replaced, now and then, by any JSON value. */
  const anyJson = fc.jsonValue({maxDepth: 3})
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({weight: 4, arbitrary: arb}, {weight: 1, arbitrary: anyJson as fc.Arbitrary<unknown>})
  const descriptor = fc.record(
    {
      mediaType: maybe(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip', '')),
      digest: maybe(fc.constantFrom(DIGEST, 'sha256:short', 'nope')),
      size: maybe(fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, 2 ** 60))),
      platform: maybe(
        fc.record({os: maybe(fc.constantFrom('linux', '')), architecture: maybe(fc.constantFrom('amd64', 'arm'))}, {requiredKeys: []}),
      ),
      annotations: maybe(fc.dictionary(fc.string({maxLength: 5}), maybe(fc.string({maxLength: 5})))),
    },
    {requiredKeys: []},
  )
  const manifestJson = fc.oneof(
    fc.record(
      {
        schemaVersion: maybe(fc.constant(2)),
        mediaType: maybe(
          fc.constantFrom('application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'),
        ),
        manifests: maybe(fc.array(descriptor, {maxLength: 4})),
      },
      {requiredKeys: []},
    ),
    fc.record(
      {
        schemaVersion: maybe(fc.constantFrom(2, 1)),
        mediaType: maybe(
          fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'),
        ),
        config: maybe(descriptor),
        layers: maybe(fc.array(descriptor, {maxLength: 4})),
      },
      {requiredKeys: []},
    ),
    anyJson,
  )
  const manifestBytes = fc.oneof(
    {weight: 3, arbitrary: manifestJson.map((value) => Buffer.from(JSON.stringify(value) ?? 'null'))},
    {weight: 1, arbitrary: fc.uint8Array({maxLength: 200}).map((bytes) => Buffer.from(bytes))},
    {
      weight: 1,
      arbitrary: fc.tuple(manifestJson, fc.nat()).map(([value, cut]) => {
        const text = JSON.stringify(value) ?? 'null'
        return Buffer.from(text.slice(0, cut % (text.length + 1)))
      }),
    },
  )

  it(
    'parseManifest and parseImageConfig: only "malformed" errors, never the bytes quoted',
    () => {
      fc.assert(
        fc.property(
          manifestBytes,
          fc.option(fc.constantFrom('application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'), {
            nil: undefined,
          }),
          (bytes, declared) => {
            withinDeadline(() => parseManifest(bytes, DIGEST, declared))
            // What cannot be parsed is never quoted back: it may be any file a symlink led to.
            const secret = Buffer.concat([Buffer.from('ghp_MARK'), bytes])
            try {
              parseManifest(secret, DIGEST, declared)
            } catch (error) {
              expect((error as Error).message).not.toContain('ghp_MARK')
            }
            withinDeadline(() =>
              parseImageConfig(bytes, {mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: bytes.length}),
            )
          },
        ),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )

  it(
    'jsonErrorOffset: agrees with JSON.parse on where the text stops being JSON',
    () => {
      const text = fc.oneof(
        fc
          .json({maxDepth: 3})
          .chain((json) => fc.tuple(fc.constant(json), fc.nat({max: json.length}), fc.string({maxLength: 3})))
          .map(([json, at, junk]) => json.slice(0, at) + junk + json.slice(at)),
        fc.string({unit: fc.constantFrom(...'{}[]",:0123456789.eE+-tfnrulase \\u'), maxLength: 30}),
      )
      fc.assert(
        fc.property(text, (input) => {
          let message: string | undefined
          try {
            JSON.parse(input)
          } catch (error) {
            message = (error as Error).message
          }
          if (message === undefined) return
          const offset = jsonErrorOffset(input)
          expect(offset).toBeGreaterThanOrEqual(0)
          expect(offset).toBeLessThanOrEqual(input.length)
          // Where V8 says where, the scan agrees.
          const position = /at position (\d+)/.exec(message)
          if (position) expect(offset).toBe(Number(position[1]))
          if (/^Unexpected end of JSON input/.test(message)) expect(offset).toBe(input.length)
        }),
        fuzz(5000),
      )
    },
    fuzzTimeout,
  )
})
