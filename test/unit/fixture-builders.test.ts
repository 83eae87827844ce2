import {execFile} from 'node:child_process'
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {gunzipSync} from 'node:zlib'

import {afterAll, describe, expect, it} from 'vitest'

import {ELF_ARCHITECTURES, ELF_MACHINES, type ElfArchitecture, makeElf} from '../../scripts/fixtures/elf.js'
import {MediaTypes, buildAttestation, buildImage, buildIndex, sha256} from '../../scripts/fixtures/image-builder.js'

const run = promisify(execFile)
const dirs: string[] = []
afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, {recursive: true, force: true}))))

describe('makeElf', () => {
  // From the ELF specification and each psABI, written out rather than read from ELF_MACHINES,
  // so a wrong entry there cannot check itself: [EI_CLASS (1 = 32-bit, 2 = 64-bit), EI_DATA
  // (1 = little-endian, 2 = big-endian), e_machine, e_flags].
  const EXPECTED_HEADERS: Record<string, [number, number, number, number]> = {
    amd64: [2, 1, 62, 0], // EM_X86_64
    arm64: [2, 1, 183, 0], // EM_AARCH64
    arm: [1, 1, 40, 0x05000400], // EM_ARM; EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD (armhf)
    '386': [1, 1, 3, 0], // EM_386
    ppc64le: [2, 1, 21, 2], // EM_PPC64; ELFv2 ABI
    s390x: [2, 2, 22, 0], // EM_S390
    riscv64: [2, 1, 243, 0x5], // EM_RISCV; EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE (lp64d)
  }

  it('covers every architecture the generator knows', () => {
    expect([...ELF_ARCHITECTURES].sort()).toEqual(Object.keys(EXPECTED_HEADERS).sort())
  })

  it.each(Object.entries(EXPECTED_HEADERS))(
    '%s has the identification, machine and flags of its architecture',
    (arch, [elfClass, elfData, machine, flags]) => {
      const elf = makeElf(arch as ElfArchitecture)
      expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46])
      expect(elf[4]).toBe(elfClass)
      expect(elf[5]).toBe(elfData)
      const littleEndian = elfData === 1
      const u16 = (o: number) => (littleEndian ? elf.readUInt16LE(o) : elf.readUInt16BE(o))
      const u32 = (o: number) => (littleEndian ? elf.readUInt32LE(o) : elf.readUInt32BE(o))
      expect(u16(16)).toBe(2) // ET_EXEC
      expect(u16(18)).toBe(machine)
      expect(u32(elfClass === 2 ? 48 : 36)).toBe(flags)
    },
  )

  it('names the loader in PT_INTERP when asked', () => {
    const elf = makeElf('arm64', {interpreter: ELF_MACHINES.arm64.glibcLoader})
    expect(elf.includes(Buffer.from('/lib/ld-linux-aarch64.so.1\0'))).toBe(true)
    expect(elf.readUInt16LE(56)).toBe(2) // e_phnum
    expect(elf.readUInt32LE(64)).toBe(3) // first program header: PT_INTERP
  })

  it('makes an executable that runs on this machine and exits 0', async () => {
    const native = ({x64: 'amd64', arm64: 'arm64'} as Record<string, ElfArchitecture>)[process.arch]
    expect(native, `no ELF generator for host ${process.arch}`).toBeDefined()
    const dir = await mkdtemp(path.join(tmpdir(), 'archcheck-elf-'))
    dirs.push(dir)
    const file = path.join(dir, 'exit0')
    await writeFile(file, makeElf(native))
    await chmod(file, 0o755)
    await expect(run(file)).resolves.toBeDefined()
  })
})

describe('image builder', () => {
  const spec = () => ({config: {architecture: 'arm64', entrypoint: ['/app']}, files: [{path: 'usr/bin/app', content: makeElf('arm64')}]})

  it('is deterministic: the same input gives the same digests', async () => {
    const [a, b] = [await buildImage(spec()), await buildImage(spec())]
    expect(a.manifest.digest).toBe(b.manifest.digest)
    expect(a.layers[0].bytes.readUInt32LE(4)).toBe(0) // no gzip timestamp
  })

  it('returns objects whose digests and sizes match their bytes, linked correctly', async () => {
    const image = await buildImage(spec())
    for (const object of [image.manifest, image.config, ...image.layers]) {
      expect(object.digest).toBe(sha256(object.bytes))
      expect(object.size).toBe(object.bytes.length)
    }
    const manifest = JSON.parse(image.manifest.bytes.toString())
    expect(manifest.config).toEqual({mediaType: MediaTypes.ociConfig, digest: image.config.digest, size: image.config.size})
    const config = JSON.parse(image.config.bytes.toString())
    expect(config.rootfs.diff_ids).toEqual([sha256(gunzipSync(image.layers[0].bytes))])
    expect(config.config.Entrypoint).toEqual(['/app'])
  })

  it('builds a Docker list with attestations and a declared platform that may differ from the config', async () => {
    const arm = await buildImage({...spec(), format: 'docker'})
    const attestation = await buildAttestation(arm.manifest)
    const list = buildIndex({
      format: 'docker',
      entries: [{target: arm, platform: {os: 'linux', architecture: 'amd64'}}, {target: attestation}],
    })
    const json = JSON.parse(list.index.bytes.toString())
    expect(json.mediaType).toBe(MediaTypes.dockerList)
    expect(json.manifests[0]).toMatchObject({
      mediaType: MediaTypes.dockerManifest,
      digest: arm.manifest.digest,
      platform: {os: 'linux', architecture: 'amd64'},
    })
    expect(json.manifests[1]).toMatchObject({
      platform: {os: 'unknown', architecture: 'unknown'},
      annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': arm.manifest.digest},
    })
    expect(list.manifests.map((m) => m.digest)).toEqual([arm.manifest.digest, attestation.manifest.digest, list.index.digest])
  })
})
