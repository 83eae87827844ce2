/**
 * A fan-out of nested indexes: eight levels, each index listing the next level eight times (with
 * a different annotation each time, so the entries are distinct descriptors), the last one an
 * image. About 10 KB of manifests, 8^8 paths from the top to the image. Every reader must cost the
 * number of distinct manifests, not the number of paths.
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {beforeAll, describe, expect, it} from 'vitest'

import {buildIndex, type ImageBundle} from '../../scripts/fixtures/image-builder.js'
import {diagnose} from '../../src/api/diagnose.js'
import {inspect} from '../../src/api/inspect.js'
import {resolve} from '../../src/api/resolve.js'
import {verify} from '../../src/api/verify.js'
import {MAX_TREE_NODES, fetchImageTree} from '../../src/engine/tree.js'
import {RegistryError} from '../../src/oci/errors.js'
import type {TreeNode} from '../../src/oci/types.js'
import {OciLayoutSource} from '../../src/source/oci-layout.js'
import {CLI_PATH, cliEnv} from '../helpers/cli.js'
import {imageRoutes, runCliTimed, startHostileRegistry} from '../helpers/hostile-registry.js'
import {elfImage, layoutWith} from '../helpers/layouts.js'

const run = promisify(execFile)

async function fanOut(levels: number, width: number): Promise<ImageBundle> {
  let level: ImageBundle = await elfImage('amd64')
  for (let depth = 0; depth < levels; depth++) {
    const below = level
    const nested = depth > 0
    level = buildIndex({
      entries: Array.from({length: width}, (_, i) => ({
        target: below,
        annotations: {'org.example.entry': `${depth}.${i}`},
        ...(nested ? {platform: null} : {}),
      })),
    })
  }
  return level
}

/** Distinct node objects, walked with a visited set. */
function distinctNodes(root: TreeNode): number {
  const seen = new Set<TreeNode>()
  const walk = (node: TreeNode): void => {
    if (seen.has(node)) return
    seen.add(node)
    if (node.kind === 'index') for (const child of node.children) walk(child)
  }
  walk(root)
  return seen.size
}

describe('a fan-out of nested indexes (8 levels × 8 entries)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await layoutWith(await fanOut(8, 8))
  })

  it('reads each manifest once and shares nodes: 8 indexes, 64 entries, one image', async () => {
    const source = await OciLayoutSource.open(dir)
    let fetches = 0
    const fetchManifest = source.fetchManifest.bind(source)
    source.fetchManifest = (reference) => {
      fetches++
      return fetchManifest(reference)
    }
    const started = performance.now()
    const tree = await fetchImageTree(source)
    const elapsed = performance.now() - started
    await source.close()
    expect(fetches).toBe(9)
    // The top index, then 8 distinct entries on each of the 8 levels.
    expect(distinctNodes(tree.root)).toBe(1 + 8 * 8)
    expect(elapsed).toBeLessThan(2000)
  })

  it('inspect, resolve (every client), verify and diagnose finish in moments', async () => {
    const reference = `oci-layout:${dir}`
    const started = performance.now()
    const view = await inspect(reference)
    expect(view.platforms).toHaveLength(8)
    expect(view.indexes.length).toBeLessThanOrEqual(8 * 8)
    const resolved = await resolve(reference, {hosts: ['linux/amd64'], clients: 'all'})
    // containerd walks nested indexes (each distinct one once) down to the image; the others do not look inside.
    expect(resolved.results.map((r) => [r.client, r.verdict])).toContainEqual(['containerd', 'ok'])
    const verified = await verify([reference], {require: ['linux/amd64'], client: 'containerd'})
    expect(verified.references).toHaveLength(1)
    const diagnosed = await diagnose(reference, {hosts: ['linux/amd64'], client: 'containerd'})
    expect(diagnosed.hosts[0].status).toBe('ok')
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('archcheck inspect --json of it exits 0 within seconds', async () => {
    const started = performance.now()
    const {stdout} = await run(process.execPath, [CLI_PATH, 'inspect', '--json', `oci-layout:${dir}`], {
      env: cliEnv(),
      timeout: 20_000,
      maxBuffer: 64 * 1024 * 1024,
    })
    const elapsed = performance.now() - started
    const view = JSON.parse(stdout) as {platforms: unknown[]; indexes: unknown[]}
    expect(view.platforms).toHaveLength(8)
    expect(stdout.length).toBeLessThan(200_000)
    expect(elapsed).toBeLessThan(5000)
  })
})

describe('the same fan-out in a registry', () => {
  it('archcheck inspect --json asks for each manifest once and exits 0 within seconds', async () => {
    const serve = imageRoutes(await fanOut(8, 8))
    const registry = await startHostileRegistry((request, response) => {
      if (!serve(request, response)) response.writeHead(404).end()
    })
    try {
      const result = await runCliTimed(['inspect', '--json', `${registry.host}/repo:latest`])
      expect(result.code, result.stderr).toBe(0)
      expect((JSON.parse(result.stdout) as {platforms: unknown[]}).platforms).toHaveLength(8)
      // The tag, then the 8 distinct indexes and the image by digest.
      expect(registry.requests.filter((r) => r.line.startsWith('GET /v2/repo/manifests/'))).toHaveLength(9)
      expect(result.exitMs).toBeLessThan(5000)
    } finally {
      await registry.close()
    }
  })
})

describe('the bound on distinct nodes', () => {
  it('refuses a tree with more manifests and index entries than the bound, naming it', async () => {
    const image = await elfImage('arm64')
    const wide = buildIndex({entries: Array.from({length: MAX_TREE_NODES + 1}, (_, i) => ({target: image, annotations: {n: String(i)}}))})
    const source = await OciLayoutSource.open(await layoutWith(wide))
    const error = await fetchImageTree(source).catch((e: unknown) => e)
    await source.close()
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).kind).toBe('too-large')
    expect((error as Error).message).toMatch(new RegExp(`more than ${MAX_TREE_NODES} manifests and index entries`))
  })

  it('still reads an index nested 8 levels deep and refuses 9, however the levels are reached', async () => {
    const eight = await layoutWith(await fanOut(8, 2))
    const nine = await layoutWith(await fanOut(9, 2))
    const ok = await OciLayoutSource.open(eight)
    await expect(fetchImageTree(ok)).resolves.toBeTruthy()
    await ok.close()
    const deep = await OciLayoutSource.open(nine)
    await expect(fetchImageTree(deep)).rejects.toThrow(/nested more than 8 levels deep/)
    await deep.close()
  })
})
