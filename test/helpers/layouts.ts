/** Temp OCI layouts and archives written from builder bundles, removed after the test file. */
import path from 'node:path'

import {makeElf} from '../../scripts/fixtures/elf.js'
import {type BuiltImage, type ImageBundle, type ManifestFormat, buildImage} from '../../scripts/fixtures/image-builder.js'
import {type LayoutEntry, writeOciArchive, writeOciLayout} from '../../scripts/fixtures/oci-layout-writer.js'
import {tempDir} from './temp-dir.js'

/** Writes `bundle` tagged `latest` (or the given entries) as a layout directory; returns its path. */
export async function layoutWith(entries: ImageBundle | LayoutEntry[]): Promise<string> {
  const dir = path.join(await tempDir('layout'), 'layout')
  await writeOciLayout(dir, Array.isArray(entries) ? entries : [{bundle: entries, tag: 'latest'}])
  return dir
}

/** Writes `bundle` tagged `latest` as an OCI archive; returns the file's path. */
export async function archiveWith(bundle: ImageBundle): Promise<string> {
  const file = path.join(await tempDir('layout'), 'image.tar')
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
