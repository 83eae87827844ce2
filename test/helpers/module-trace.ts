/**
 * Which modules a run of the CLI loads: every ES module (through a loader hook) and every
 * CommonJS module (require.cache at exit), as file paths. Start-up tests assert that a command
 * does not load what it does not use; bench/startup.ts counts them.
 */
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {CLI_PATH, cliEnv, PROJECT_ROOT} from './cli.js'

const HOOKS = `
import {appendFileSync} from 'node:fs'
export async function load(url, context, next) {
  appendFileSync(process.env.ARCHCHECK_MODULE_LOG, url + '\\n')
  return next(url, context)
}`

const preload = (hooksUrl: string): string => `
import {appendFileSync} from 'node:fs'
import {createRequire, register} from 'node:module'
import {pathToFileURL} from 'node:url'
register(${JSON.stringify(hooksUrl)})
const require = createRequire(import.meta.url)
process.on('exit', () => appendFileSync(process.env.ARCHCHECK_MODULE_LOG, Object.keys(require.cache).map((file) => pathToFileURL(file).href + '\\n').join('')))`

export interface TracedRun {
  code: number
  stderr: string
  /** Absolute paths of the files loaded, each once. */
  modules: string[]
}

/**
 * Runs `node CLI args…` (default: the built archcheck, hermetic environment as runCli gives it)
 * and returns the modules it loaded.
 */
export async function traceModules(
  args: string[],
  options: {cli?: string; env?: Record<string, string | undefined>} = {},
): Promise<TracedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'archcheck-module-trace-'))
  try {
    const log = join(dir, 'modules.log')
    writeFileSync(log, '')
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS)
    writeFileSync(join(dir, 'preload.mjs'), preload(pathToFileURL(join(dir, 'hooks.mjs')).href))
    const argv = ['--import', pathToFileURL(join(dir, 'preload.mjs')).href, options.cli ?? CLI_PATH, ...args]
    const env = cliEnv({...options.env, ARCHCHECK_MODULE_LOG: log})
    const {code, stderr} = await new Promise<{code: number; stderr: string}>((resolve) => {
      execFile(process.execPath, argv, {cwd: PROJECT_ROOT, env}, (error, _stdout, stderrText) => {
        resolve({code: error ? Number((error as {code?: unknown}).code ?? 1) : 0, stderr: String(stderrText)})
      })
    })
    const urls = new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.startsWith('file:')),
    )
    return {code, stderr, modules: [...urls].map((url) => fileURLToPath(url))}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The npm package a module file belongs to (`@oclif/core`, `undici`; the innermost when nested), or undefined for archcheck's own. */
export function packageOf(file: string): string | undefined {
  const parts = file.split(/[/\\]/)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0 || at + 1 >= parts.length) return undefined
  return parts[at + 1].startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]
}
