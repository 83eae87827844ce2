// The small shared helpers behind list flags, counted words and the host's OS name.
import {describe, expect, it} from 'vitest'

import {splitList} from '../../../src/oci/list.js'
import {ociOs} from '../../../src/oci/platform/os.js'
import {plural} from '../../../src/oci/words.js'

describe('splitList', () => {
  it('splits repeated and comma-separated values in order, trimmed, without empty items', () => {
    expect(splitList(['linux/amd64, linux/arm64', 'linux/s390x'])).toEqual(['linux/amd64', 'linux/arm64', 'linux/s390x'])
    expect(splitList('a,,b,')).toEqual(['a', 'b'])
  })

  it('keeps empty items when asked, so that a trailing comma can be refused', () => {
    expect(splitList('a,', {keepEmpty: true})).toEqual(['a', ''])
  })
})

describe('plural', () => {
  it('counts in good English', () => {
    expect([plural(1, 'tag'), plural(3, 'tag'), plural(0, 'tag'), plural(2, 'not version', 'not versions')]).toEqual([
      '1 tag',
      '3 tags',
      '0 tags',
      '2 not versions',
    ])
  })
})

describe('ociOs', () => {
  it("names Node's platforms as OCI (GOOS) does", () => {
    expect([ociOs('linux'), ociOs('win32'), ociOs('darwin'), ociOs('sunos')]).toEqual(['linux', 'windows', 'darwin', 'solaris'])
  })
})
