/**
 * Writes fixtures/demo: the bundled multi-architecture demo image the README's first command
 * inspects. An OCI layout tagged `latest` with linux/amd64 and linux/arm64 images, each running
 * a tiny real ELF executable of its architecture, and a buildx-style provenance attestation for
 * each. Deterministic: re-running gives identical bytes (a test checks the committed copy).
 *
 *   npx tsx scripts/make-demo-fixture.ts [DIR]     (default: fixtures/demo)
 */
import {rm} from 'node:fs/promises'
import {pathToFileURL} from 'node:url'

import {type ElfArchitecture, ELF_MACHINES, makeElf} from './fixtures/elf.js'
import {type BuiltImage, buildAttestation, buildImage, buildIndex} from './fixtures/image-builder.js'
import {type LayoutEntry, writeOciLayout} from './fixtures/oci-layout-writer.js'

const DEMO_ARCHITECTURES: ElfArchitecture[] = ['amd64', 'arm64']

async function demoImage(architecture: ElfArchitecture): Promise<BuiltImage> {
  const {platform} = ELF_MACHINES[architecture]
  return buildImage({
    config: {...platform, entrypoint: ['/usr/local/bin/hello'], env: ['PATH=/usr/local/bin:/usr/bin:/bin']},
    files: [{path: 'usr/local/bin/hello', content: makeElf(architecture)}],
    annotations: {'org.opencontainers.image.title': `archcheck demo (${platform.os}/${platform.architecture})`},
  })
}

/** The demo layout's single entry: an index over both images and their attestations. */
export async function demoFixtureEntries(): Promise<LayoutEntry[]> {
  const images = await Promise.all(DEMO_ARCHITECTURES.map(demoImage))
  const attestations = await Promise.all(
    images.map((image) => buildAttestation(image.manifest, {name: 'pkg:docker/archcheck/demo@latest'})),
  )
  const index = buildIndex({
    entries: [...images, ...attestations].map((target) => ({target})),
    annotations: {'org.opencontainers.image.source': 'archcheck scripts/make-demo-fixture.ts'},
  })
  return [{bundle: index, tag: 'latest'}]
}

export async function writeDemoFixture(dir: string): Promise<void> {
  await rm(dir, {recursive: true, force: true})
  await writeOciLayout(dir, await demoFixtureEntries())
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? 'fixtures/demo'
  await writeDemoFixture(dir)
  process.stdout.write(`wrote ${dir}\n`)
}
