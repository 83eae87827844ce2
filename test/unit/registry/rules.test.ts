import {describe, expect, it} from 'vitest'

import {parseChallenges} from '../../../src/source/registry/auth.js'
import {bodyError, networkError, retryableCode} from '../../../src/source/registry/network-errors.js'
import {namedInsecure, plainHttpAllowed, registryConnection} from '../../../src/source/registry/scheme.js'
import {displayUrl, retryAfterMs} from '../../../src/source/registry/transport.js'

describe('registryConnection', () => {
  it('uses plain HTTP for loopback registries, as Docker does', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', '[::1]']) {
      expect(registryConnection(host, []), host).toBe('http')
    }
  })

  it('uses verified HTTPS for every other host', () => {
    for (const host of ['docker.io', 'ghcr.io', '10.0.0.5:5000', 'localhost.example.com', '128.0.0.1', '[::2]:5000']) {
      expect(registryConnection(host, []), host).toBe('https')
    }
  })

  it('treats hosts named insecure as insecure: without a port for any port, with a port for that port only', () => {
    expect(registryConnection('registry.lan:5000', ['registry.lan'])).toBe('insecure')
    expect(registryConnection('registry.lan', ['registry.lan'])).toBe('insecure')
    expect(registryConnection('registry.lan:5000', ['registry.lan:5000'])).toBe('insecure')
    expect(registryConnection('registry.lan:5001', ['registry.lan:5000'])).toBe('https')
    expect(registryConnection('Registry.LAN:5000', ['http://registry.lan:5000/'])).toBe('insecure')
  })

  it('skips certificate checks only for URLs of hosts named insecure, default ports included', () => {
    expect(namedInsecure(new URL('https://registry.lan/v2/'), ['registry.lan'])).toBe(true)
    expect(namedInsecure(new URL('https://registry.lan/v2/'), ['registry.lan:443'])).toBe(true)
    expect(namedInsecure(new URL('https://registry.lan:5000/v2/'), ['registry.lan:443'])).toBe(false)
    expect(namedInsecure(new URL('https://objects.example/blob'), ['registry.lan'])).toBe(false)
  })

  it('lets credentials travel over plain HTTP only to loopback and insecure hosts', () => {
    expect(plainHttpAllowed(new URL('http://127.0.0.1:5001/token'), [])).toBe(true)
    expect(plainHttpAllowed(new URL('http://[::1]:5001/token'), [])).toBe(true)
    expect(plainHttpAllowed(new URL('http://auth.lan/token'), ['auth.lan'])).toBe(true)
    expect(plainHttpAllowed(new URL('http://auth.example/token'), ['registry.lan'])).toBe(false)
  })
})

describe('parseChallenges', () => {
  it("reads Docker Hub's bearer challenge", () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull'},
      },
    ])
  })

  it('reads Basic, unquoted values, spaces, escapes and several challenges in one header', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{scheme: 'basic', params: {realm: 'Registry Realm'}}])
    expect(
      parseChallenges('Basic realm="a \\"b\\"", Bearer realm=https://t.example/token , service = reg, error="insufficient_scope"'),
    ).toEqual([
      {scheme: 'basic', params: {realm: 'a "b"'}},
      {scheme: 'bearer', params: {realm: 'https://t.example/token', service: 'reg', error: 'insufficient_scope'}},
    ])
  })

  it('keeps commas inside quoted scopes (several actions)', () => {
    expect(parseChallenges('Bearer realm="r",scope="repository:a/b:pull,push"')[0].params.scope).toBe('repository:a/b:pull,push')
  })

  it('returns nothing for an absent header', () => {
    expect(parseChallenges(null)).toEqual([])
    expect(parseChallenges('')).toEqual([])
  })
})

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates; ignores junk', () => {
    expect(retryAfterMs('5')).toBe(5000)
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString()
    expect(retryAfterMs(inTenSeconds)).toBeGreaterThan(8000)
    expect(retryAfterMs(inTenSeconds)).toBeLessThanOrEqual(10_000)
    expect(retryAfterMs(new Date(Date.now() - 60_000).toUTCString())).toBe(0)
    expect(retryAfterMs('soon')).toBeUndefined()
    expect(retryAfterMs(null)).toBeUndefined()
  })
})

describe('displayUrl', () => {
  it('hides user info and query values other than service, scope, n and last', () => {
    expect(displayUrl('https://u:p@auth.example/token?service=reg&scope=repository:a:pull&account=bob')).toBe(
      'https://auth.example/token?service=reg&scope=repository:a:pull&account=…',
    )
    expect(displayUrl('https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=def')).toBe(
      'https://s3.example/blob?X-Amz-Signature=…&X-Amz-Credential=…',
    )
  })
})

describe('networkError and retryableCode, on the errors undici gives', () => {
  const url = 'https://registry.example/v2/my/app/manifests/1'
  const undiciError = (name: string, message: string, code?: string): Error => Object.assign(new Error(message), {name, code})

  it('says what happened for connection failures, also inside an AggregateError (several addresses tried)', () => {
    const refused = new AggregateError([undiciError('Error', 'connect ECONNREFUSED ::1:443', 'ECONNREFUSED')], 'connect failed')
    expect(networkError(refused, url)).toMatchObject({kind: 'network', message: 'cannot connect to registry.example: connection refused'})
    expect(networkError(undiciError('SocketError', 'other side closed', 'UND_ERR_SOCKET'), url)).toMatchObject({
      kind: 'network',
      message: 'connection to registry.example was reset',
    })
  })

  it("names a dispatcher's own timeouts as timeouts", () => {
    expect(networkError(undiciError('HeadersTimeoutError', 'Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT'), url)).toMatchObject({
      kind: 'timeout',
      message: 'registry.example sent no response in time (UND_ERR_HEADERS_TIMEOUT)',
    })
    expect(bodyError(undiciError('BodyTimeoutError', 'Body Timeout Error', 'UND_ERR_BODY_TIMEOUT'), url)).toMatchObject({
      kind: 'timeout',
      message: 'registry.example stopped sending the response (UND_ERR_BODY_TIMEOUT)',
    })
  })

  it('retries resets, closed sockets and responses undici could not parse (which carry no code), nothing else', () => {
    expect(retryableCode(undiciError('SocketError', 'other side closed', 'UND_ERR_SOCKET'))).toBe('UND_ERR_SOCKET')
    expect(retryableCode(undiciError('HTTPParserError', 'Response does not match the HTTP/1.1 protocol'))).toBe('HTTPParserError')
    expect(retryableCode(undiciError('Error', 'connect ECONNREFUSED', 'ECONNREFUSED'))).toBeUndefined()
  })
})
