/**
 * A plain tar layer sent with `Content-Encoding: gzip`: fetch would decode it on the way in, and
 * the layer limits would count only decoded bytes (ratio 1), so 100 KB on the wire could become
 * any size. archcheck asks for `Accept-Encoding: identity` and refuses a coded body.
 * Runs the built CLI: `npm run build` first.
 */
import {gzipSync} from 'node:zlib'

import {afterEach, describe, expect, it} from 'vitest'

import {buildImage, makeTar, rawLayer} from '../../scripts/fixtures/image-builder.js'
import {imageRoutes, runCliTimed, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'

let registry: HostileRegistry | undefined
afterEach(async () => {
  await registry?.close()
  registry = undefined
})

describe('Content-Encoding on a registry response', () => {
  it('refuses a plain tar layer sent gzip-coded instead of inflating it past the limits', async () => {
    // 200 MiB of tar, about 200 KiB on the wire: past --max-ratio 200 by the wire, ratio 1 when decoded.
    const tar = await makeTar([{path: 'zeros', content: Buffer.alloc(200 * 1024 * 1024)}])
    const layer = rawLayer(tar, 'application/vnd.oci.image.layer.v1.tar')
    const wire = gzipSync(tar)
    const image = await buildImage({config: {architecture: 'amd64', entrypoint: ['/app']}, layers: [layer]})
    const serve = imageRoutes(image)
    registry = await startHostileRegistry((request, response) => {
      if (request.url?.endsWith(layer.digest)) {
        response
          .writeHead(200, {'content-encoding': 'gzip', 'content-length': String(wire.length), 'docker-content-digest': layer.digest})
          .end(wire)
        return
      }
      serve(request, response)
    })
    const result = await runCliTimed(['diagnose', `${registry.host}/repo:latest`, '--host', 'linux/amd64', '--max-ratio', '200'])
    expect(result.stderr).toMatch(/answered with Content-Encoding: gzip though asked for none \(Accept-Encoding: identity\); refusing it/)
    expect(result.code).toBe(3)
    const layerRequest = registry.requests.find((r) => r.line.endsWith(layer.digest))
    expect(layerRequest?.headers['accept-encoding']).toBe('identity')
    expect(registry.requests.filter((r) => r.line.includes('/manifests/')).every((r) => r.headers['accept-encoding'] === 'identity')).toBe(
      true,
    )
  }, 60_000)
})
