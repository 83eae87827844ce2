import {describe, expect, it} from 'vitest'

import {ResponseHeaders} from '../../../src/source/registry/headers.js'

describe('ResponseHeaders', () => {
  it('reads a header by any case, joins a repeated one as fetch does, and says null when absent', () => {
    const headers = new ResponseHeaders({'docker-content-digest': 'sha256:abc', link: ['<a>; rel="next"', '<b>; rel="prev"']})
    expect(headers.get('Docker-Content-Digest')).toBe('sha256:abc')
    expect(headers.get('link')).toBe('<a>; rel="next", <b>; rel="prev"')
    expect(headers.get('www-authenticate')).toBeNull()
  })

  it("does not take an object's own properties for headers", () => {
    const headers = new ResponseHeaders({})
    expect([headers.get('constructor'), headers.get('__proto__'), headers.get('toString')]).toEqual([null, null, null])
  })
})
