/**
 * What the bench scripts share: run a command in a fresh process and take its wall time and peak
 * RSS, medians, and a plain-text table. Not part of the test suite.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import os, {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface RunResult {
  ms: number
  /** Peak resident set size in KiB (from /usr/bin/time, or the child's own rusage). */
  rssKb: number
  /** User + system CPU time of the process, ms: steadier than wall time on a shared machine. */
  cpuMs: number
  code: number
  stdout: string
  stderr: string
}

const TIME_BINARY = '/usr/bin/time'
const RSS_MARK = 'BENCH_MAXRSS_KB='

/**
 * Runs `command args…` and measures it. Wall time is taken here, around the whole process; peak
 * RSS and CPU time by GNU time (`%M %U %S`) or, without it, for node commands only, by a preloaded
 * script that prints the process's own resourceUsage at exit (other commands then show none).
 */
export function runMeasured(command: string, args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string} = {}): Promise<RunResult> {
  const [file, argv] = existsSync(TIME_BINARY)
    ? [TIME_BINARY, ['-f', `${RSS_MARK}%M %U %S`, command, ...args]]
    : [command, command === process.execPath ? ['--require', rusageReporter(), ...args] : args]
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      const ms = performance.now() - started
      const stderrAll = Buffer.concat(err).toString('utf8')
      const mark = stderrAll.lastIndexOf(RSS_MARK)
      const [rssKb, user, system] =
        mark >= 0
          ? stderrAll
              .slice(mark + RSS_MARK.length)
              .trim()
              .split(/\s+/)
              .map(Number)
          : []
      resolve({
        ms,
        rssKb: rssKb ?? Number.NaN,
        cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000,
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: mark >= 0 ? stderrAll.slice(0, mark) : stderrAll,
      })
    })
  })
}

let reporterPath: string | undefined

/** A script for `node --require` that prints what GNU time's `%M %U %S` would, at exit. */
function rusageReporter(): string {
  if (!reporterPath) {
    reporterPath = join(mkdtempSync(join(tmpdir(), 'archcheck-bench-rusage-')), 'rusage.cjs')
    writeFileSync(
      reporterPath,
      `process.on('exit', () => {
  const usage = process.resourceUsage()
  process.stderr.write('${RSS_MARK}' + usage.maxRSS + ' ' + usage.userCPUTime / 1e6 + ' ' + usage.systemCPUTime / 1e6 + '\\n')
})
`,
    )
  }
  return reporterPath
}

/** A figure for a table: `digits` decimals, or n/a when it could not be measured. */
export const figure = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Fixed-width columns, first one left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** An empty DOCKER_CONFIG for tools that would otherwise read the user's credentials. */
export function emptyDockerConfig(): string {
  return mkdtempSync(join(tmpdir(), 'archcheck-bench-docker-config-'))
}

/** One line about where the figures came from: they mean little without it. */
export function machineLine(): string {
  return `${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
}
