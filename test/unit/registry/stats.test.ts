// The request counts and Docker Hub rate limits the audit summary shows.
import {describe, expect, it} from 'vitest'

import {ResponseHeaders} from '../../../src/source/registry/headers.js'
import {RequestStats} from '../../../src/source/registry/stats.js'

describe('RequestStats', () => {
  it('counts requests by method', () => {
    const stats = new RequestStats()
    for (const method of ['GET', 'HEAD', 'GET']) stats.countRequest(method)
    expect(stats.snapshot()).toEqual({requests: 3, byMethod: {GET: 2, HEAD: 1}, rateLimit: {}})
  })

  it("keeps each registry's latest rate-limit headers, the window from whichever header gives it", () => {
    const stats = new RequestStats()
    stats.noteRateLimit('docker.io', new ResponseHeaders({'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600'}))
    stats.noteRateLimit('docker.io', new ResponseHeaders({'ratelimit-remaining': '75'}))
    stats.noteRateLimit('ghcr.io', new ResponseHeaders({}))
    stats.noteRateLimit('quay.io', new ResponseHeaders({'ratelimit-limit': 'unlimited'}))
    expect(stats.snapshot().rateLimit).toEqual({'docker.io': {limit: 100, remaining: 75, windowSeconds: 21600}})
  })

  it('hands out copies: a snapshot does not change as the client goes on', () => {
    const stats = new RequestStats()
    stats.countRequest('GET')
    const before = stats.snapshot()
    stats.countRequest('GET')
    expect(before).toEqual({requests: 1, byMethod: {GET: 1}, rateLimit: {}})
  })
})
