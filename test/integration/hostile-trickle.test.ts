/**
 * A layer that trickles (a few bytes at a time, never idle long enough for the per-read timeout)
 * fails by the stall rule: --min-rate KiB/s on average over each --min-rate-window.
 * Runs the built CLI: `npm run build` first.
 */
import {afterEach, describe, expect, it} from 'vitest'

import {buildImage, makeTar, rawLayer} from '../../scripts/fixtures/image-builder.js'
import {layerReadOptionsFromFlags} from '../../src/cli/layer-flags.js'
import {DEFAULT_LAYER_LIMITS} from '../../src/engine/layers/limits.js'
import {imageRoutes, runCliTimed, startHostileRegistry, type HostileRegistry} from '../helpers/hostile-registry.js'

let registry: HostileRegistry | undefined
afterEach(async () => {
  await registry?.close()
  registry = undefined
})

async function tricklingRegistry(bytesPerTick: number, tickMs: number): Promise<HostileRegistry> {
  const layer = rawLayer(await makeTar([{path: 'app', content: Buffer.alloc(256 * 1024, 1)}]), 'application/vnd.oci.image.layer.v1.tar')
  const image = await buildImage({config: {architecture: 'amd64', entrypoint: ['/app']}, layers: [layer]})
  const serve = imageRoutes(image)
  return startHostileRegistry((request, response) => {
    if (!request.url?.endsWith(layer.digest)) return void serve(request, response)
    response.writeHead(200, {'content-length': String(layer.size)})
    let offset = 0
    const timer = setInterval(() => {
      if (response.destroyed || offset >= layer.size) {
        clearInterval(timer)
        response.end()
        return
      }
      response.write(layer.bytes.subarray(offset, offset + bytesPerTick))
      offset += bytesPerTick
    }, tickMs)
    response.on('close', () => clearInterval(timer))
  })
}

describe('the stall rule', () => {
  it('fails a layer that trickles below --min-rate over --min-rate-window, and exits', async () => {
    // 20 bytes every 50 ms: 400 B/s, under 1 KiB/s; each read waits 50 ms, far inside --timeout.
    registry = await tricklingRegistry(20, 50)
    const result = await runCliTimed([
      'diagnose',
      `${registry.host}/repo:latest`,
      '--host',
      'linux/amd64',
      '--min-rate',
      '1',
      '--min-rate-window',
      '1',
    ])
    expect(result.stderr).toMatch(
      /layer sha256:[0-9a-f]+: \d+ bytes in 1\.\d s, slower than the minimum of 1 KiB\/s \(--min-rate\); the source is stalling/,
    )
    expect(result.code).toBe(3)
    expect(result.exitMs).toBeLessThan(8000)
  })

  it('lets a slow but steady layer through when --min-rate 0 turns the rule off', async () => {
    // 64 KiB every 50 ms: the 256 KiB layer in well under a second, judged or not.
    registry = await tricklingRegistry(64 * 1024, 50)
    const result = await runCliTimed([
      'diagnose',
      `${registry.host}/repo:latest`,
      '--host',
      'linux/amd64',
      '--min-rate',
      '0',
      '--min-rate-window',
      '1',
      '--json',
    ])
    expect(result.code, result.stderr).not.toBe(3)
  })

  it('defaults to 1 KiB/s over 30 s, and the flags set both', () => {
    expect(DEFAULT_LAYER_LIMITS.minBytesPerSecond).toBe(1024)
    expect(DEFAULT_LAYER_LIMITS.rateWindowMs).toBe(30_000)
    const limits = layerReadOptionsFromFlags({
      'max-decompressed': 1,
      'max-ratio': 1,
      'layer-concurrency': 1,
      'max-entries': 1,
      'min-rate': 8,
      'min-rate-window': 5,
    }).limits
    expect([limits?.minBytesPerSecond, limits?.rateWindowMs]).toEqual([8192, 5000])
  })
})
