/**
 * Throughput and memory of diagnose's layer reading, against `gzip -dc | tar -t` (or `zstd -dc |
 * tar -t`) of the same blobs as the floor.
 *
 *   npx tsx bench/diagnose-throughput.ts [--size-mb 520] [--runs 3] [--compression gzip|zstd] [--dir DIR] [--keep]
 *   npx tsx bench/diagnose-throughput.ts --empty-files 1000000 [--runs 3]
 *
 * Generates an OCI layout of one linux/amd64 image whose layers hold at least --size-mb MB of
 * compressed data (mostly incompressible bytes, with executables and text spread in), then times
 * each reader --runs times in a fresh process and prints the medians: MB/s of compressed layer,
 * peak RSS, and the ratio to the floor. Not part of the test suite.
 *
 * With --empty-files N the image is one layer of N empty files (1,000 to a directory) instead:
 * what it measures is the memory per entry, which must stay flat in the entry count (the path
 * table is all that grows), not the throughput.
 */
import {execFile, spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {mkdir, mkdtemp, rename, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {createGzip} from 'node:zlib'

import * as tar from 'tar-stream'

import {makeElf} from '../scripts/fixtures/elf.js'

const run = promisify(execFile)
const MB = 1e6

interface Options {
  sizeMb: number
  runs: number
  compression: 'gzip' | 'zstd'
  dir?: string
  keep: boolean
  /** One layer of this many empty files instead of --size-mb of data. */
  emptyFiles?: number
}

/** One tar layer of about `bytes` of file data, compressed to `path`; returns digest and sizes. */
async function writeLayer(
  path: string,
  bytes: number,
  seed: number,
  compression: 'gzip' | 'zstd',
  emptyFiles?: number,
): Promise<{digest: string; size: number; diffId: string}> {
  const pack = tar.pack()
  const diffHash = createHash('sha256')
  const compressor =
    compression === 'gzip' ? createGzip({level: 1}) : spawn('zstd', ['-q', '-1', '-c'], {stdio: ['pipe', 'pipe', 'inherit']})
  const compressorIn = 'stdin' in compressor ? compressor.stdin : compressor
  const compressorOut = 'stdout' in compressor ? compressor.stdout : compressor
  const blobHash = createHash('sha256')
  const writing = pipeline(
    compressorOut,
    async function* (source: AsyncIterable<unknown>) {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        blobHash.update(chunk)
        yield chunk
      }
    },
    createWriteStream(path),
  )
  const feeding = pipeline(
    pack,
    async function* (source: AsyncIterable<unknown>) {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        diffHash.update(chunk)
        yield chunk
      }
    },
    compressorIn,
  )
  let written = 0
  if (emptyFiles !== undefined) {
    for (let i = 0; i < emptyFiles; i++) {
      const name = `usr/share/bench/d${Math.floor(i / 1000)}/f${i}`
      await new Promise<void>((resolve, reject) =>
        pack.entry({name, mode: 0o644, size: 0, mtime: new Date(0)}, Buffer.alloc(0), (error) => (error ? reject(error) : resolve())),
      )
    }
  }
  for (let i = 0; emptyFiles === undefined && written < bytes; i++) {
    const name = `usr/share/bench-${seed}/dir${i % 50}/file${i}`
    let content: Buffer
    let mode = 0o644
    if (i % 40 === 0) {
      // An executable: a real ELF header followed by incompressible bytes.
      content = Buffer.concat([makeElf(i % 80 === 0 ? 'amd64' : 'arm64'), randomBytes(200_000)])
      mode = 0o755
    } else if (i % 7 === 0) {
      content = Buffer.from(`config line ${i}\n`.repeat(2000))
    } else {
      content = randomBytes(20_000 + ((i * 7919) % 1_500_000))
    }
    await new Promise<void>((resolve, reject) =>
      pack.entry({name, mode, size: content.length, mtime: new Date(0)}, content, (error) => (error ? reject(error) : resolve())),
    )
    written += content.length
  }
  pack.finalize()
  await feeding
  await writing
  const size = (await stat(path)).size
  return {digest: `sha256:${blobHash.digest('hex')}`, size, diffId: `sha256:${diffHash.digest('hex')}`}
}

/** An OCI layout with one image; returns the blob paths of its layers. */
async function generate(dir: string, options: Options): Promise<string[]> {
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, {recursive: true})
  const layerCount = 5
  const layers: Array<{digest: string; size: number; diffId: string}> = []
  let total = 0
  for (let i = 0; options.emptyFiles === undefined ? total < options.sizeMb * MB : i < 1; i++) {
    const temp = join(dir, `layer-${i}.tmp`)
    const bytes = Math.ceil((options.sizeMb * MB * 1.02) / layerCount)
    const layer = await writeLayer(temp, bytes, i, options.compression, options.emptyFiles)
    await rename(temp, join(blobs, layer.digest.slice(7)))
    layers.push(layer)
    total += layer.size
    process.stderr.write(`generated layer ${i + 1}: ${(layer.size / MB).toFixed(0)} MB compressed\n`)
  }
  const writeBlob = async (value: unknown): Promise<{digest: string; size: number}> => {
    const bytes = Buffer.from(JSON.stringify(value))
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    await writeFile(join(blobs, digest.slice(7)), bytes)
    return {digest, size: bytes.length}
  }
  const config = await writeBlob({
    architecture: 'amd64',
    os: 'linux',
    config: {Entrypoint: ['/usr/share/bench-0/dir0/file0']},
    rootfs: {type: 'layers', diff_ids: layers.map((l) => l.diffId)},
  })
  const layerType = `application/vnd.oci.image.layer.v1.tar+${options.compression}`
  const manifest = await writeBlob({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.oci.image.config.v1+json', ...config},
    layers: layers.map((l) => ({mediaType: layerType, digest: l.digest, size: l.size})),
  })
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: {'org.opencontainers.image.ref.name': 'bench'}},
      ],
    }),
  )
  return layers.map((l) => join(blobs, l.digest.slice(7)))
}

/** In a child process: read every layer as diagnose does, print elapsed ms and peak RSS. */
async function child(layout: string, concurrency: number): Promise<void> {
  const {OciLayoutSource} = await import('../src/source/oci-layout.js')
  const {fetchImageTree} = await import('../src/engine/tree.js')
  const {readImageFilesystems} = await import('../src/engine/layers/read-image.js')
  const source = await OciLayoutSource.open(`${layout}:bench`)
  const tree = await fetchImageTree(source)
  if (tree.root.kind !== 'image') throw new Error('expected a single image')
  const started = performance.now()
  const filesystems = await readImageFilesystems(source, [tree.root], {concurrency})
  const ms = performance.now() - started
  const files = [...filesystems.values()][0].files()
  let count = 0
  for (const _ of files) count++
  await source.close()
  process.stdout.write(JSON.stringify({ms, maxRssKb: process.resourceUsage().maxRSS, files: count}))
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Runs `command` under GNU time: wall ms and peak RSS (KiB) of the largest process. */
async function timed(command: string[]): Promise<{ms: number; maxRssKb: number; stdout: string}> {
  const started = performance.now()
  const {stdout, stderr} = await run('/usr/bin/time', ['-f', 'RSS %M', ...command], {maxBuffer: 1 << 26})
  const ms = performance.now() - started
  const rss = /RSS (\d+)/.exec(stderr)
  return {ms, maxRssKb: rss ? Number(rss[1]) : Number.NaN, stdout}
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      'size-mb': {type: 'string', default: '520'},
      runs: {type: 'string', default: '3'},
      compression: {type: 'string', default: 'gzip'},
      dir: {type: 'string'},
      keep: {type: 'boolean', default: false},
      child: {type: 'string'},
      concurrency: {type: 'string', default: '3'},
      'empty-files': {type: 'string'},
    },
  })
  if (values.child) return child(values.child, Number(values.concurrency))
  const options: Options = {
    sizeMb: Number(values['size-mb']),
    runs: Number(values.runs),
    compression: values.compression === 'zstd' ? 'zstd' : 'gzip',
    dir: values.dir,
    keep: values.keep,
    emptyFiles: values['empty-files'] === undefined ? undefined : Number(values['empty-files']),
  }
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'archcheck-bench-')))
  try {
    const layers = await generate(dir, options)
    const compressed = (await Promise.all(layers.map((path) => stat(path)))).reduce((sum, s) => sum + s.size, 0)
    const decompress = options.compression === 'gzip' ? 'gzip -dc' : 'zstd -dc'
    const floorScript = layers.map((path) => `${decompress} ${path} | tar -t > /dev/null`).join(' && ')
    const self = fileURLToPath(import.meta.url)
    const tsx = ['--import', 'tsx']
    const readers: Array<[string, string[]]> = [
      [`${decompress} | tar -t (floor, one layer at a time)`, ['bash', '-c', floorScript]],
      ['archcheck, 1 layer at a time', [process.execPath, ...tsx, self, '--child', dir, '--concurrency', '1']],
      ['archcheck, 3 layers at once (default)', [process.execPath, ...tsx, self, '--child', dir, '--concurrency', '3']],
    ]
    const results: Array<{name: string; mbps: number; rssMb: number}> = []
    for (const [name, command] of readers) {
      const times: number[] = []
      const rss: number[] = []
      for (let i = 0; i < options.runs; i++) {
        const result = await timed(command)
        // The child reports its own reading time (without start-up); the floor is timed whole.
        const own = result.stdout.startsWith('{') ? (JSON.parse(result.stdout) as {ms: number}).ms : result.ms
        times.push(own)
        rss.push(result.maxRssKb)
      }
      results.push({name, mbps: compressed / MB / (median(times) / 1000), rssMb: median(rss) / 1024})
    }
    const what = options.emptyFiles === undefined ? '' : ` of ${options.emptyFiles} empty files`
    process.stdout.write(
      `${options.compression} layers${what}: ${layers.length}, ${(compressed / MB).toFixed(0)} MB compressed; medians of ${options.runs} runs\n`,
    )
    const floor = results[0]
    for (const r of results) {
      process.stdout.write(
        `${r.name.padEnd(48)} ${r.mbps.toFixed(1).padStart(7)} MB/s  peak RSS ${r.rssMb.toFixed(0).padStart(5)} MB  ${(r.mbps / floor.mbps).toFixed(2)}x floor\n`,
      )
    }
  } finally {
    if (!options.keep && !options.dir) await rm(dir, {recursive: true, force: true})
  }
}

await main()
