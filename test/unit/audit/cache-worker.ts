/**
 * A separate process sharing a cache directory with others, for the concurrency test in
 * cache.test.ts: `writer` stores the payloads over and over under a bound so small that entries
 * are evicted and rewritten all the time; `reader` reads them over and over. Prints its counters
 * (and, for the reader, how many hits it checked byte for byte) as JSON on stdout.
 */
import {ContentCache} from '../../../src/source/cache.js'
import {payload} from './cache-payloads.js'

const [role, dir, keys, runMs, maxBytes] = process.argv.slice(2)
const cache = new ContentCache({dir, maxBytes: Number(maxBytes)})
const payloads = Array.from({length: Number(keys)}, (_, i) => payload(i))
const deadline = Date.now() + Number(runMs)
let checked = 0
let wrong = 0
while (Date.now() < deadline) {
  for (const {digest, bytes} of payloads) {
    if (role === 'writer') {
      await cache.put(digest, bytes)
    } else {
      const found = await cache.get(digest)
      if (found.hit) {
        checked++
        if (!found.bytes.equals(bytes)) wrong++
      }
    }
  }
}
process.stdout.write(JSON.stringify({...cache.stats(), checked, wrong}))
