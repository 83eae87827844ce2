/**
 * Repositories with many tags for `archcheck audit`, pushed cheaply: each kind of image is built
 * and pushed once per repository, then its top manifest is PUT under every tag of that kind.
 *
 * Layout of a "history" repository (34 tags):
 *   1.0.0 … 1.3.1 (8)      amd64 only          → arm64 no-match
 *   1.4.0 … 2.0.1 (10)     amd64 + arm64       → ok
 *   2.1.0-rc.1             amd64 only          → a pre-release that regressed
 *   2.1.0-rc.2             amd64 + arm64
 *   2.1.0, 2.1.1, 2.2.0    amd64 + arm64
 *   2.3.0                  arm64 entry dangling → arm64 missing
 *   1.4.0-alpine … (8)     amd64 + arm64 (its own images)
 *   latest                 amd64 + arm64
 *   edge                   amd64 only
 * A "clean" repository has the same tags, every one amd64 + arm64.
 */
import {pushScenario} from './scenarios.js'
import {TestRegistryClient} from './registry.js'

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
  /** Top digests by kind. */
  digests: {multi: string; amd64Only: string; dangling: string; alpine: string}
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
  const put = async (tags: string[], bundle: typeof multi.bundle) => {
    for (const tag of tags) await client.pushManifest(repository, tag, bundle.top)
  }
  await put([...MULTI_TAGS, PRERELEASE_TAGS.multi, 'latest'], multi.bundle)
  await put([...AMD64_ONLY_TAGS, PRERELEASE_TAGS.amd64Only, 'edge'], amd64Only.bundle)
  if (options.clean) await put([DANGLING_TAG], multi.bundle)
  await put(ALPINE_TAGS, alpine.bundle)
  return {
    name: `${host}/${repository}`,
    repository,
    digests: {multi: multi.root.digest, amd64Only: amd64Only.root.digest, dangling: dangling.root.digest, alpine: alpine.root.digest},
  }
}
