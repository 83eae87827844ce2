/**
 * Real multi-arch images for tests, built here without any public registry: busybox-static for
 * amd64 (the installed Debian package) and arm64 (downloaded once with a private apt state and
 * cached), turned into per-arch images with `buildah from --arch A scratch`, combined into a
 * manifest list and pushed to the test registry. QEMU (binfmt_misc) is enabled so that RUN steps of
 * arm64 builds execute.
 *
 * Needs root and the Debian packages of scripts/install-system-deps.sh.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)
const INDEX_TYPES = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
const CACHE_DIR = join(process.cwd(), 'node_modules', '.cache', 'archcheck-busybox')

/** Where buildah keeps images: a private root with vfs storage, so tests never touch the host's. */
export interface BuildahStore {
  root: string
  runroot: string
  /** Global options to put before every buildah subcommand. */
  args: string[]
}

export function buildahStore(directory: string): BuildahStore {
  const root = join(directory, 'root')
  const runroot = join(directory, 'runroot')
  return {root, runroot, args: ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs']}
}

/** A fresh store in the OS temp dir; remove it with `removeStore`. */
export async function createStore(): Promise<BuildahStore> {
  return buildahStore(await mkdtemp(join(tmpdir(), 'archcheck-buildah-')))
}

export async function removeStore(store: BuildahStore): Promise<void> {
  // vfs layers can hold read-only files; buildah unmounts nothing here (no containers left running).
  await rm(join(store.root, '..'), {recursive: true, force: true})
}

export async function buildah(store: BuildahStore, ...args: string[]): Promise<string> {
  const {stdout} = await run('buildah', [...store.args, ...args], {maxBuffer: 64 * 1024 * 1024})
  return stdout.trim()
}

/** Mounts binfmt_misc and enables the QEMU handlers (idempotent); throws if arm64 cannot run. */
export async function enableEmulation(): Promise<void> {
  const binfmt = '/proc/sys/fs/binfmt_misc'
  if (!existsSync(join(binfmt, 'register'))) await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', binfmt])
  if (!(await handlerEnabled('qemu-aarch64'))) await run('update-binfmts', ['--enable'])
  if (!(await handlerEnabled('qemu-aarch64')))
    throw new Error('the QEMU arm64 handler is not enabled in binfmt_misc (install qemu-user-static binfmt-support)')
}

async function handlerEnabled(name: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/sys/fs/binfmt_misc/${name}`, 'utf8')).startsWith('enabled')
  } catch {
    return false
  }
}

/** Debian architecture names of the platforms the helper can build. */
const DEBIAN_ARCH: Record<string, string> = {'linux/amd64': 'amd64', 'linux/arm64': 'arm64'}

/**
 * A root filesystem with a static busybox for `platform` and a symlink for each applet
 * (`/bin/sh`, `/bin/cat`, …). Cached under node_modules/.cache between runs.
 */
export async function busyboxRootfs(platform: string): Promise<string> {
  const arch = DEBIAN_ARCH[platform]
  if (!arch) throw new Error(`no busybox for ${platform} (supported: ${Object.keys(DEBIAN_ARCH).join(', ')})`)
  const rootfs = join(CACHE_DIR, arch, 'rootfs')
  if (existsSync(join(rootfs, 'bin', 'sh'))) return rootfs

  const work = await mkdtemp(join(tmpdir(), `archcheck-busybox-${arch}-`))
  try {
    const staging = join(work, 'rootfs')
    await mkdir(join(staging, 'bin'), {recursive: true})
    await mkdir(join(staging, 'tmp'), {recursive: true})
    const binary = join(staging, 'bin', 'busybox')
    const {stdout: hostArch} = await run('dpkg', ['--print-architecture'])
    if (hostArch.trim() === arch) await cp('/bin/busybox', binary)
    else await cp(await downloadBusybox(arch, work), binary)
    // The amd64 binary lists the applets; the set is the same for every architecture of one version.
    const {stdout: applets} = await run('/bin/busybox', ['--list'])
    for (const applet of applets.split('\n').filter((name) => name && name !== 'busybox'))
      await symlink('busybox', join(staging, 'bin', applet))
    await mkdir(join(CACHE_DIR, arch), {recursive: true})
    await rename(staging, rootfs).catch(async (error: NodeJS.ErrnoException) => {
      // Another test process finished first: its copy is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
    return rootfs
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

/** `apt-get download busybox-static:ARCH` with a private apt state: dpkg's architectures stay as they are. */
async function downloadBusybox(arch: string, work: string): Promise<string> {
  const lists = join(work, 'lists')
  const cache = join(work, 'cache')
  await mkdir(join(lists, 'partial'), {recursive: true})
  await mkdir(join(cache, 'archives', 'partial'), {recursive: true})
  const aptOptions = [
    '-qq',
    '-o',
    `Dir::State::Lists=${lists}`,
    '-o',
    `Dir::Cache=${cache}`,
    '-o',
    `APT::Architecture=${arch}`,
    '-o',
    `APT::Architectures::=${arch}`,
    '-o',
    'APT::Sandbox::User=root',
    // A mirror connection that stalls is given up after 20 s and tried again, not waited on for
    // apt's default 120 s (which is as long as a test hook may take).
    '-o',
    'Acquire::http::Timeout=20',
    '-o',
    'Acquire::https::Timeout=20',
    '-o',
    'Acquire::Retries=3',
  ]
  await run('apt-get', [...aptOptions, 'update'])
  await run('apt-get', [...aptOptions, 'download', `busybox-static:${arch}`], {cwd: work})
  const deb = (await readdir(work)).find((name) => name.startsWith('busybox-static_') && name.endsWith(`_${arch}.deb`))
  if (!deb) throw new Error(`apt-get download busybox-static:${arch} left no .deb in ${work}`)
  const extracted = join(work, 'deb')
  await run('dpkg-deb', ['-x', join(work, deb), extracted])
  return join(extracted, 'bin', 'busybox')
}

export interface PushedBase {
  /** The digest of the pushed manifest list. */
  digest: string
  /** Per platform (`linux/amd64`), the digest of its image manifest. */
  images: Record<string, string>
  /** How long building and pushing took, in milliseconds. */
  elapsedMs: number
}

export interface BusyboxBaseOptions {
  /** Where to push, e.g. `127.0.0.1:5000/base/busybox:latest` (plain HTTP). */
  reference: string
  platforms?: string[]
  /** Defaults to a fresh store that is removed afterwards. */
  store?: BuildahStore
  /** Manifest format of the push (default `oci`: an OCI index of OCI manifests). */
  format?: 'oci' | 'v2s2'
}

/** Builds a busybox image per platform, combines them in a manifest list and pushes it with every child. */
export async function pushBusyboxBase(options: BusyboxBaseOptions): Promise<PushedBase> {
  const started = Date.now()
  const platforms = options.platforms ?? ['linux/amd64', 'linux/arm64']
  const store = options.store ?? (await createStore())
  try {
    const listName = `localhost/archcheck-busybox-list-${process.pid}-${Date.now()}`
    await buildah(store, 'manifest', 'create', listName)
    const images: Record<string, string> = {}
    for (const platform of platforms) {
      const rootfs = await busyboxRootfs(platform)
      const [os, arch] = platform.split('/')
      const container = await buildah(store, 'from', '--os', os, '--arch', arch, 'scratch')
      await buildah(store, 'copy', container, rootfs, '/')
      await buildah(store, 'config', '--cmd', '/bin/sh', '--env', 'PATH=/bin', container)
      const image = await buildah(store, 'commit', '--quiet', '--rm', '--timestamp', '0', container, `${listName}-${arch}`)
      await buildah(store, 'manifest', 'add', listName, image)
    }
    const digestFile = join(store.root, '..', 'list.digest')
    await buildah(
      store,
      'manifest',
      'push',
      '--all',
      '--tls-verify=false',
      '--format',
      options.format ?? 'oci',
      '--digestfile',
      digestFile,
      listName,
      `docker://${options.reference}`,
    )
    const digest = (await readFile(digestFile, 'utf8')).trim()
    // The children are re-encoded on push: ask the registry what landed.
    const slash = options.reference.indexOf('/')
    const repository = options.reference.slice(slash + 1).replace(/[:@].*$/, '')
    const response = await fetch(`http://${options.reference.slice(0, slash)}/v2/${repository}/manifests/${digest}`, {
      headers: {accept: INDEX_TYPES},
    })
    if (!response.ok) throw new Error(`pushed list ${digest} is not in the registry: HTTP ${response.status}`)
    const list = (await response.json()) as {manifests: {digest: string; platform: {os: string; architecture: string}}[]}
    for (const entry of list.manifests) images[`${entry.platform.os}/${entry.platform.architecture}`] = entry.digest
    return {digest, images, elapsedMs: Date.now() - started}
  } finally {
    if (!options.store) await removeStore(store)
  }
}

/**
 * Environment for running buildah (or archcheck's buildah backend) against a private store and
 * the plain-HTTP test registry, without flags on the command line: a storage.conf with vfs, a
 * registries.conf marking `insecureHosts` insecure, an empty Docker config, and chroot isolation (the default OCI
 * isolation cannot run RUN steps here: no cgroups).
 */
export async function buildahEnvironment(store: BuildahStore, insecureHosts: string[]): Promise<Record<string, string>> {
  const directory = join(store.root, '..')
  await mkdir(directory, {recursive: true})
  const storageConf = join(directory, 'storage.conf')
  const registriesConf = join(directory, 'registries.conf')
  await writeFile(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${store.root}"\nrunroot = "${store.runroot}"\n`)
  await writeFile(registriesConf, insecureHosts.map((host) => `[[registry]]\nlocation = "${host}"\ninsecure = true\n`).join('\n'))
  // buildah 1.28 fails a push when $DOCKER_CONFIG names a folder without config.json: give it an empty one.
  const dockerConfig = join(directory, 'docker-config')
  await mkdir(dockerConfig, {recursive: true})
  await writeFile(join(dockerConfig, 'config.json'), '{"auths": {}}\n')
  return {
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    BUILDAH_ISOLATION: 'chroot',
    DOCKER_CONFIG: dockerConfig,
  }
}
