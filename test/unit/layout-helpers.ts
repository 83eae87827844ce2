/** Temp OCI layouts and archives written from builder bundles, removed after the test file. */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll} from 'vitest'

import {makeElf} from '../../scripts/fixtures/elf.js'
import {type BuiltImage, type ImageBundle, type ManifestFormat, buildImage} from '../../scripts/fixtures/image-builder.js'
import {type LayoutEntry, writeOciArchive, writeOciLayout} from '../../scripts/fixtures/oci-layout-writer.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, {recursive: true, force: true})))
})

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'archcheck-test-'))
  dirs.push(dir)
  return dir
}

/** Writes `bundle` tagged `latest` (or the given entries) as a layout directory; returns its path. */
export async function layoutWith(entries: ImageBundle | LayoutEntry[]): Promise<string> {
  const dir = path.join(await tempDir(), 'layout')
  await writeOciLayout(dir, Array.isArray(entries) ? entries : [{bundle: entries, tag: 'latest'}])
  return dir
}

/** Writes `bundle` tagged `latest` as an OCI archive; returns the file's path. */
export async function archiveWith(bundle: ImageBundle): Promise<string> {
  const file = path.join(await tempDir(), 'image.tar')
  await writeOciArchive(file, [{bundle, tag: 'latest'}])
  return file
}

/** A linux image for `architecture` whose entrypoint is a real ELF of that architecture. */
export async function elfImage(architecture: 'amd64' | 'arm64' | 'arm' | 's390x', format: ManifestFormat = 'oci'): Promise<BuiltImage> {
  const variant = architecture === 'arm' ? 'v7' : undefined
  return buildImage({
    format,
    config: {architecture, variant, entrypoint: ['/app'], cmd: ['--help']},
    files: [{path: 'app', content: makeElf(architecture)}],
  })
}
