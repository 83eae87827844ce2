/**
 * Which modules a run of the CLI loads: every ES module (through a loader hook) and every
 * CommonJS module (require.cache at exit), as file paths, and node's own internal modules
 * (process.moduleLoadList at exit). The CLI runs a bundle (scripts/bundle.js):
 * each file of dist/bundle/ is reported as the sources it holds (dist/bundle/meta.json), so a run
 * still shows which of archcheck's sources and which packages' modules it loaded. Start-up tests
 * assert that a command does not load what it does not use; bench/startup.ts counts them.
 */
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative, sep} from 'node:path'
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
const builtins = () => process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => 'builtin:' + entry.slice(13))
process.on('exit', () => appendFileSync(process.env.ARCHCHECK_MODULE_LOG, [...Object.keys(require.cache).map((file) => pathToFileURL(file).href), ...builtins()].map((line) => line + '\\n').join('')))`

export interface TracedRun {
  code: number
  stderr: string
  /**
   * Absolute paths of the modules loaded, each once: files outside the bundle as they are, and for
   * each bundle file the sources in it (`ROOT/src/cli/main.ts`, `ROOT/node_modules/undici/lib/…`).
   */
  modules: string[]
  /** Absolute paths of the files node actually read (bundle files as themselves). */
  files: string[]
  /**
   * node's own modules the run loaded (`internal/deps/undici/undici` is the undici behind node's
   * global fetch and `Headers`; `fs`, `http`).
   */
  builtins: string[]
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
    const lines = readFileSync(log, 'utf8').split('\n')
    const files = [...new Set(lines.filter((line) => line.startsWith('file:')))].map((url) => fileURLToPath(url))
    const builtins = [...new Set(lines.filter((line) => line.startsWith('builtin:')).map((line) => line.slice('builtin:'.length)))]
    return {code, stderr, files, builtins, modules: expandBundle(files, join(dirname(options.cli ?? CLI_PATH), '..'))}
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

/** Each file of ROOT/dist/bundle/ replaced by the sources it holds, as absolute paths under ROOT. */
function expandBundle(files: string[], root: string): string[] {
  const metaPath = join(root, 'dist', 'bundle', 'meta.json')
  if (!existsSync(metaPath)) return files
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, string[]>
  const modules = new Set<string>()
  for (const file of files) {
    const inputs = meta[relative(root, file).split(sep).join('/')]
    if (!inputs) {
      modules.add(file)
      continue
    }
    // Virtual entries (`archcheck:main`) are not files.
    for (const input of inputs) if (!/^[\w-]+:/.test(input)) modules.add(join(root, input))
  }
  return [...modules]
}
