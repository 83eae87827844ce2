/**
 * A tag the registry cannot serve whole: an index entry whose manifest was deleted (dangling) and
 * one whose config blob was deleted, pushed to the real test registry. inspect shows what it can
 * read and names what is missing; resolve and diagnose fail only the hosts that pull a missing image.
 */
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {pushScenario, type PushedScenario} from '../helpers/scenarios.js'

let s: PushedScenario

beforeAll(async () => {
  s = await pushScenario('partial-tag', {
    index: {
      entries: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'].map((platform) => ({platform, config: {entrypoint: ['/usr/bin/hello']}})),
    },
    remove: (pushed) => ({manifests: [pushed.image('linux/arm64').digest], blobs: [pushed.image('linux/arm/v7').config.digest]}),
  })
})

describe('inspect of a tag with missing images', () => {
  it('lists the readable images and each missing one in --json, warns on stderr and exits 3', async () => {
    const {code, stdout, stderr} = await runCli(['inspect', s.reference, '--json'])
    expect(code).toBe(3)
    const view = JSON.parse(stdout)
    expect(view.digest).toBe(s.root.digest)
    expect(view.platforms.map((row: {platform: string; digest: string}) => [row.platform, row.digest])).toEqual([
      ['linux/amd64', s.image('linux/amd64').digest],
    ])
    expect(view.missing).toEqual([
      {
        digest: s.image('linux/arm64').digest,
        mediaType: s.image('linux/arm64').mediaType,
        size: s.image('linux/arm64').size,
        platform: 'linux/arm64',
        missing: 'manifest',
        message: 'manifest not found (dangling index entry)',
        index: s.root.digest,
      },
      expect.objectContaining({
        digest: s.image('linux/arm/v7').digest,
        platform: 'linux/arm/v7',
        missing: 'config',
        message: expect.stringContaining(`blob ${s.image('linux/arm/v7').config.digest} not found`),
      }),
    ])
    expect(view.others).toEqual([])
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^archcheck: warning: 2 of the tag's images cannot be pulled, missing from the registry: linux\/arm64 \(sha256:\w{64}: manifest\), linux\/arm\/v7 \(sha256:\w{64}: config\)$/,
    )
  })

  it('shows the missing entries as table rows with their declared platform and digest', async () => {
    const {code, stdout} = await runCli(['inspect', s.reference])
    expect(code).toBe(3)
    const row = (digest: string): string => stdout.split('\n').find((line) => line.includes(digest)) ?? ''
    expect(row(s.image('linux/amd64').digest)).toMatch(/linux\/amd64 .* linux\/amd64 /)
    expect(row(s.image('linux/arm64').digest)).toMatch(/linux\/arm64 .* missing: manifest not found \(dangling index entry\)/)
    expect(row(s.image('linux/arm/v7').digest)).toMatch(
      new RegExp(`linux/arm/v7 .* missing: config blob ${s.image('linux/arm/v7').config.digest} not found`),
    )
  })
})

describe('resolve and diagnose of a tag with missing images', () => {
  it('fails a host whose pick is missing, naming its digest and the registry error, and exits 1', async () => {
    const {code, stdout} = await runCli(['resolve', s.reference, '--host', 'linux/arm64,linux/arm/v7', '--json'])
    expect(code).toBe(1)
    const [arm64, armv7] = JSON.parse(stdout).results
    expect(arm64).toMatchObject({verdict: 'no-match', chosen: null, clientMessage: 'manifest unknown'})
    expect(arm64.message).toBe(
      `Docker picks the linux/arm64 entry ${s.image('linux/arm64').digest} on linux/arm64, but the registry does not have its manifest: the pull fails.`,
    )
    expect(armv7).toMatchObject({verdict: 'no-match', chosen: null, clientMessage: 'blob unknown'})
    expect(armv7.message).toContain(`${s.image('linux/arm/v7').digest} on linux/arm/v7, but the registry does not have its config blob`)
  })

  it('does not fall back to an intact older entry when the best one is missing, as the clients pick by the index alone', async () => {
    // arm64 hosts run linux/arm/v7 images: a resolver that skipped the dangling arm64 entry would pick it.
    const fallback = await pushScenario('partial-tag-intact-fallback', {
      index: {
        entries: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'].map((platform) => ({platform, config: {entrypoint: ['/usr/bin/hello']}})),
      },
      remove: (pushed) => ({manifests: [pushed.image('linux/arm64').digest]}),
    })
    const {code, stdout} = await runCli(['resolve', fallback.reference, '--host', 'linux/arm64', '--json', '--explain'])
    expect(code).toBe(1)
    const [arm64] = JSON.parse(stdout).results
    expect(arm64).toMatchObject({verdict: 'no-match', chosen: null, clientMessage: 'manifest unknown'})
    expect(arm64.candidates.find((c: {rank: number | null}) => c.rank === 1)).toMatchObject({
      digest: fallback.image('linux/arm64').digest,
      accepted: true,
    })
  })

  it('passes a host whose image is there, exit 0', async () => {
    const {code, stdout} = await runCli(['resolve', s.reference, '--host', 'linux/amd64', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout).results[0]).toMatchObject({verdict: 'ok', chosen: {digest: s.image('linux/amd64').digest}})
  })

  it('diagnose fails the host whose image is missing and still examines the other', async () => {
    const {code, stdout} = await runCli(['diagnose', s.reference, '--host', 'linux/amd64,linux/arm64'])
    expect(code).toBe(1)
    const line = (host: string): string => stdout.split('\n').find((l) => l.includes(`${host} hosts`)) ?? ''
    expect(line('linux/amd64')).toMatch(/^ok +linux\/amd64 hosts pull/)
    expect(line('linux/arm64')).toMatch(/^FAIL linux\/arm64 hosts cannot pull it: `manifest unknown`\. .*sha256:\w{64}/)
  })
})

describe('verify of a tag with missing images', () => {
  it('reports the dangling entry and the lost config, as before', async () => {
    const {code, stdout} = await runCli(['verify', s.reference, '--require', 'linux/amd64,linux/arm64,linux/arm/v7', '--json'])
    expect(code).toBe(1)
    const failed = JSON.parse(stdout)
      .references[0].checks.filter((c: {status: string}) => c.status === 'fail')
      .map((c: {id: string; platform: string | null}) => `${c.id} ${c.platform}`)
    expect(failed).toEqual(['dangling-manifest linux/arm64', 'missing-blob linux/arm/v7'])
  })
})
