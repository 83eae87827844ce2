/**
 * A token server that answers a "token" no Authorization header can carry (CR/LF, spaces,
 * control characters): archcheck refuses it before use and never prints it, --debug included.
 * Runs the built CLI: `npm run build` first.
 */
import {afterEach, describe, expect, it} from 'vitest'

import {buildImage} from '../../scripts/fixtures/image-builder.js'
import {imageRoutes, runCliTimed, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'

const SECRET = 'SECRETTOKENVALUE'

let registry: HostileRegistry | undefined
afterEach(async () => {
  await registry?.close()
  registry = undefined
})

describe('a bearer token that is not a b64token', () => {
  for (const token of [`abc\r\nX-Injected: ${SECRET}`, `${SECRET}\nmore`, `two ${SECRET}`, `${SECRET}\u0007`]) {
    it(`is refused and never shown: ${JSON.stringify(token)}`, async () => {
      const image = await buildImage({config: {architecture: 'amd64'}, files: [{path: 'app', content: 'x'}]})
      const serve = imageRoutes(image)
      let origin = ''
      registry = await startHostileRegistry((request, response) => {
        if (request.url?.startsWith('/token')) return void response.writeHead(200).end(JSON.stringify({token}))
        if (request.headers.authorization && serve(request, response)) return
        response.writeHead(401, {'www-authenticate': `Bearer realm="${origin}/token",service="hostile"`}).end()
      })
      origin = registry.origin
      const result = await runCliTimed(['inspect', `${registry.host}/repo:latest`, '--debug'])
      expect(result.code, result.stderr).toBe(3)
      expect(result.stderr).toMatch(/sent a token with characters a bearer token cannot have \(RFC 6750\); not using it/)
      expect(result.stderr).not.toContain(SECRET)
      expect(result.stdout).not.toContain(SECRET)
      // Nothing reached the registry with it.
      expect(registry.requests.filter((r) => r.headers.authorization)).toEqual([])
    })
  }
})
