/**
 * Repositories with many tags for `archcheck audit`, pushed cheaply: each kind of image is built
 * and pushed once per repository, then its top index is PUT under every tag of that kind, each
 * tag's copy with its version as annotation: as in a real repository, every release is its own
 * top digest (the child images are shared), and tags naming one digest are one release.
 *
 * Layout of a "history" repository (34 tags):
 *   1.0.0 … 1.3.1 (8)      amd64 only          → arm64 no-match
 *   1.4.0 … 2.0.1 (10)     amd64 + arm64       → ok
 *   2.1.0-rc.1             amd64 only          → a pre-release that regressed
 *   2.1.0-rc.2             amd64 + arm64
 *   2.1.0, 2.1.1, 2.2.0    amd64 + arm64
 *   2.3.0                  arm64 entry dangling → arm64 missing
 *   1.4.0-alpine … (8)     amd64 + arm64 (its own images)
 *   latest                 2.2.0's index (an alias of 2.2.0)
 *   edge                   amd64 only
 * A "clean" repository has the same tags, every one amd64 + arm64.
 */
import {makeElf} from '../../scripts/fixtures/elf.js'
import {pushScenario, type ScenarioImage} from './scenarios.js'
import {TestRegistryClient, type PushableObject} from './registry.js'

export const AMD64_ONLY_TAGS = ['1.0.0', '1.0.1', '1.1.0', '1.1.1', '1.2.0', '1.2.1', '1.3.0', '1.3.1']
export const MULTI_TAGS = [
  '1.4.0',
  '1.4.1',
  '1.5.0',
  '1.5.1',
  '1.6.0',
  '1.7.0',
  '1.8.0',
  '1.9.0',
  '2.0.0',
  '2.0.1',
  '2.1.0',
  '2.1.1',
  '2.2.0',
]
export const DANGLING_TAG = '2.3.0'
export const PRERELEASE_TAGS = {amd64Only: '2.1.0-rc.1', multi: '2.1.0-rc.2'}
export const ALPINE_TAGS = ['1.4.0', '1.5.0', '1.6.0', '1.8.0', '2.0.0', '2.1.0', '2.2.0', '2.3.0'].map((v) => `${v}-alpine`)
/** Every release tag of a history repository (versions without suffix). */
export const RELEASE_TAGS = [...AMD64_ONLY_TAGS, ...MULTI_TAGS, DANGLING_TAG]
export const ALL_TAGS = [...RELEASE_TAGS, PRERELEASE_TAGS.amd64Only, PRERELEASE_TAGS.multi, ...ALPINE_TAGS, 'latest', 'edge']

export interface AuditRepo {
  /** `HOST/REPOSITORY` without tag. */
  name: string
  repository: string
  /** Top digests by kind (as built, before the per-tag annotation), and of each tag. */
  digests: {multi: string; amd64Only: string; dangling: string; alpine: string; byTag: Record<string, string>}
}

/** Pushes one repository; `clean` makes every tag amd64 + arm64. */
export async function pushAuditRepo(host: string, repository: string, options: {clean?: boolean} = {}): Promise<AuditRepo> {
  const client = new TestRegistryClient(host)
  const multi = await pushScenario(
    `${repository.replace(/\//g, '-')}-multi`,
    {
      repository,
      tag: 'latest',
      index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64'}]},
    },
    {host},
  )
  const amd64Only = options.clean
    ? multi
    : await pushScenario(
        `${repository.replace(/\//g, '-')}-amd64`,
        {repository, tag: 'edge', index: {entries: [{platform: 'linux/amd64'}]}},
        {host},
      )
  // Its own arm64 image (a different env), deleted after the push: the index still names it.
  const dangling = options.clean
    ? multi
    : await pushScenario(
        `${repository.replace(/\//g, '-')}-dangling`,
        {
          repository,
          tag: DANGLING_TAG,
          index: {entries: [{platform: 'linux/amd64'}, {platform: 'linux/arm64', config: {env: ['DANGLING=1']}}]},
          remove: (s) => ({manifests: [s.image('linux/arm64').digest]}),
        },
        {host},
      )
  const alpine = await pushScenario(
    `${repository.replace(/\//g, '-')}-alpine`,
    {
      repository,
      tag: ALPINE_TAGS[0],
      index: {
        entries: [
          {platform: 'linux/amd64', config: {env: ['VARIANT=alpine']}},
          {platform: 'linux/arm64', config: {env: ['VARIANT=alpine']}},
        ],
      },
    },
    {host},
  )
  const byTag: Record<string, string> = {[DANGLING_TAG]: dangling.root.digest, edge: amd64Only.root.digest}
  const put = async (tags: string[], bundle: typeof multi.bundle) => {
    for (const tag of tags) byTag[tag] = (await client.pushManifest(repository, tag, versionedTop(bundle.top, tag))).digest
  }
  await put([...MULTI_TAGS, PRERELEASE_TAGS.multi], multi.bundle)
  await put([...AMD64_ONLY_TAGS, PRERELEASE_TAGS.amd64Only], amd64Only.bundle)
  await client.pushManifest(repository, 'edge', amd64Only.bundle.top)
  if (options.clean) await put([DANGLING_TAG], multi.bundle)
  await put(ALPINE_TAGS, alpine.bundle)
  await client.pushManifest(repository, 'latest', versionedTop(multi.bundle.top, '2.2.0'))
  byTag.latest = byTag['2.2.0']
  return {
    name: `${host}/${repository}`,
    repository,
    digests: {
      multi: multi.root.digest,
      amd64Only: amd64Only.root.digest,
      dangling: dangling.root.digest,
      alpine: alpine.root.digest,
      byTag,
    },
  }
}

/** The index `top` with `org.opencontainers.image.version: TAG`: a release of its own, with the same images. */
export function versionedTop(top: PushableObject, tag: string): PushableObject {
  const index = JSON.parse(new TextDecoder().decode(top.bytes)) as {annotations?: Record<string, string>}
  index.annotations = {...index.annotations, 'org.opencontainers.image.version': tag}
  return {bytes: new TextEncoder().encode(JSON.stringify(index)), mediaType: top.mediaType}
}

/**
 * A repository as a real project's looks (21 tags), for tag selection and release identity:
 *   1.4.0, 1.4.1                  amd64 only          → arm64 no-match
 *   1.5.0 … 2.0.0 (6), 2.1.1      amd64 + arm64
 *   2.0.1                         amd64 + arm64, but the arm64 image's entrypoint is an amd64 ELF
 *                                 (the pull works, `--deep` finds the exec format error)
 *   v2.1.0                        amd64 + arm64 (a `v` spelling)
 *   2.2.0                         amd64 + arm64; `2.2`, `2` and `latest` name the same index
 *   2.3.0-rc.1                    a pre-release
 *   2.1.0-alpine, 2.2.0-alpine    variants; `2.2-alpine` names 2.2.0-alpine's index
 *   main                          a branch build, created 2026-10-01
 *   sha-3f9c2a1                   a commit build, created 2026-11-30 (newer than main)
 * Every release is its own top digest; the images under them are shared.
 */
export const RELEASE_REPO_TAGS = {
  amd64Only: ['1.4.0', '1.4.1'],
  multi: ['1.5.0', '1.6.0', '1.7.0', '1.8.0', '1.9.0', '2.0.0', 'v2.1.0', '2.1.1', '2.2.0'],
  brokenArm64Entrypoint: '2.0.1',
  prerelease: '2.3.0-rc.1',
  floating: ['2', '2.2', 'latest'],
  variants: ['2.1.0-alpine', '2.2.0-alpine', '2.2-alpine'],
  builds: {main: '2026-10-01T00:00:00Z', 'sha-3f9c2a1': '2026-11-30T00:00:00Z'},
}

export async function pushReleaseRepo(host: string, repository: string): Promise<{name: string; byTag: Record<string, string>}> {
  const client = new TestRegistryClient(host)
  const name = repository.replace(/\//g, '-')
  const hello = {entrypoint: ['/usr/bin/hello']}
  // Each kind is pushed under a tag of its own kind (re-PUT below as that tag's release), so no other tag is left behind.
  const index = (tag: string, entries: ScenarioImage[]) => pushScenario(`${name}-${tag}`, {repository, tag, index: {entries}}, {host})
  const both = (config: ScenarioImage['config'] = {}): ScenarioImage[] => [
    {platform: 'linux/amd64', config: {...hello, ...config}},
    {platform: 'linux/arm64', config: {...hello, ...config}},
  ]
  // One after another: concurrent pushes of the same layer into one repository briefly hide it.
  const amd64 = await index('1.4.0', [{platform: 'linux/amd64', config: hello}])
  const multi = await index('1.5.0', both())
  const broken = await index(RELEASE_REPO_TAGS.brokenArm64Entrypoint, [
    {platform: 'linux/amd64', config: hello},
    {platform: 'linux/arm64', config: hello, files: [{path: 'usr/bin/hello', content: makeElf('amd64')}]},
  ])
  const alpine = await index('2.1.0-alpine', both({env: ['VARIANT=alpine']}))
  const main = await index('main', both({created: RELEASE_REPO_TAGS.builds.main}))
  const sha = await index('sha-3f9c2a1', both({created: RELEASE_REPO_TAGS.builds['sha-3f9c2a1']}))
  const byTag: Record<string, string> = {
    [RELEASE_REPO_TAGS.brokenArm64Entrypoint]: broken.root.digest,
    main: main.root.digest,
    'sha-3f9c2a1': sha.root.digest,
  }
  const put = async (tag: string, top: PushableObject) => {
    byTag[tag] = (await client.pushManifest(repository, tag, top)).digest
  }
  for (const tag of RELEASE_REPO_TAGS.amd64Only) await put(tag, versionedTop(amd64.bundle.top, tag))
  for (const tag of [...RELEASE_REPO_TAGS.multi, RELEASE_REPO_TAGS.prerelease]) await put(tag, versionedTop(multi.bundle.top, tag))
  for (const tag of RELEASE_REPO_TAGS.floating) await put(tag, versionedTop(multi.bundle.top, '2.2.0'))
  await put('2.1.0-alpine', versionedTop(alpine.bundle.top, '2.1.0-alpine'))
  for (const tag of ['2.2.0-alpine', '2.2-alpine']) await put(tag, versionedTop(alpine.bundle.top, '2.2.0-alpine'))
  return {name: `${host}/${repository}`, byTag}
}
