import {describe, expect, it} from 'vitest'

import {createLimiter} from '../../src/engine/limit.js'

describe('createLimiter', () => {
  it('runs at most N tasks at once, the waiting ones in the order given, also after a failure', async () => {
    const limit = createLimiter(2)
    let running = 0
    let most = 0
    const started: number[] = []
    const task = (n: number) => async (): Promise<number> => {
      started.push(n)
      most = Math.max(most, ++running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
      if (n === 1) throw new Error('task 1 failed')
      return n
    }
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => limit(task(n))))
    expect(most).toBe(2)
    expect(started).toEqual([1, 2, 3, 4, 5])
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : 'failed'))).toEqual(['failed', 2, 3, 4, 5])
  })

  it('treats a concurrency below one as one', async () => {
    const limit = createLimiter(0)
    let running = 0
    let most = 0
    await Promise.all(
      [1, 2, 3].map(() =>
        limit(async () => {
          most = Math.max(most, ++running)
          await new Promise((resolve) => setTimeout(resolve, 1))
          running--
        }),
      ),
    )
    expect(most).toBe(1)
  })
})
