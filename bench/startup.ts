/**
 * Start-up cost of the CLI: how long the commands that do little take, which modules they load,
 * and what importing each command module costs in a fresh process.
 *
 *   npx tsx bench/startup.ts [--runs 15] [--baseline DIR]
 *
 * Runs `node -e 0` (the floor), `archcheck --help`, `--version`, `inspect --help` and `inspect
 * oci-layout:fixtures/demo` (no network), interleaved so a change in the machine's load hits every
 * case alike, and prints median wall time, CPU time (user + system: steadier than wall time on a
 * shared machine) and peak RSS. --baseline DIR measures DIR/bin/run.js (an
 * older build: bin, dist, package.json, oclif.manifest.json, and node_modules or a link to it) in
 * the same rounds, for before/after figures. Build first (`npm run build`). Not part of the tests.
 * Ends with the start-up targets (`--help` and `--version` within 40 ms of `node -e 0`), met or missed,
 * from the medians of this one run.
 */
import {execFile} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs, promisify} from 'node:util'

import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {packageOf, traceModules} from '../test/helpers/module-trace.js'
import {figure, machineLine, median, runMeasured, table} from './lib/measure.js'

/**
 * `args` are archcheck's (null: not archcheck); `nodeArgs` replace the whole node command line of a
 * case that is not an archcheck command. The second case is the floor any command built on oclif
 * pays here: the bundle's entry and the oclif code it holds, imported, nothing run.
 */
const CASES: Array<{label: string; args: string[] | null; nodeArgs?: string[]}> = [
  {label: 'node -e 0', args: null, nodeArgs: ['-e', '0']},
  {
    label: 'import the entry and oclif, run nothing',
    args: null,
    // As bin/run.js loads it: through the code cache.
    nodeArgs: [
      '--input-type=module',
      '-e',
      [
        `const {useCodeCache} = await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'bin', 'code-cache.js')).href)})`,
        `useCodeCache(${JSON.stringify(join(PROJECT_ROOT, 'dist', 'bundle'))})`,
        `const {createRequire} = await import('node:module')`,
        `createRequire(${JSON.stringify(join(PROJECT_ROOT, 'bin', 'run.js'))})('../dist/bundle/main.js')`,
      ].join('\n'),
    ],
  },
  {label: 'archcheck --help', args: ['--help']},
  {label: 'archcheck --version', args: ['--version']},
  {label: 'archcheck inspect --help', args: ['inspect', '--help']},
  {label: 'archcheck inspect oci-layout:fixtures/demo', args: ['inspect', 'oci-layout:fixtures/demo']},
]

const execFileAsync = promisify(execFile)
/** `archcheck --help` and `--version`: at most this much over `node -e 0`. */
const START_UP_TARGET_MS = 40

function argvFor(root: string, {args, nodeArgs}: (typeof CASES)[number]): string[] {
  return args === null ? nodeArgs! : [join(root, 'bin', 'run.js'), ...args]
}

/** Modules one run loads: how many, and how many per package (`archcheck` for its own). */
async function modulesLoaded(root: string, args: string[]): Promise<{total: number; files: number; byPackage: Map<string, number>}> {
  const {code, stderr, modules, files} = await traceModules(args, {cli: join(root, 'bin', 'run.js')})
  if (code !== 0) throw new Error(`archcheck ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`)
  const byPackage = new Map<string, number>()
  for (const file of modules) {
    const name = packageOf(file) ?? 'archcheck'
    byPackage.set(name, (byPackage.get(name) ?? 0) + 1)
  }
  return {total: modules.length, files: files.length, byPackage}
}

/**
 * Milliseconds to import each dist/commands module in a fresh process, all it loads included
 * (median of `runs`, the roots interleaved), by root name and command.
 */
async function commandImportCosts(roots: Array<[string, string]>, runs: number): Promise<Map<string, Map<string, number>>> {
  const script = `
    const started = performance.now()
    await import(process.argv[1])
    process.stdout.write(String(performance.now() - started))`
  // The bundle's command files (scripts/bundle.js) where there is a bundle, an older build's dist/commands otherwise.
  const commandsDir = (root: string): string =>
    existsSync(join(root, 'dist', 'bundle', 'commands')) ? join(root, 'dist', 'bundle', 'commands') : join(root, 'dist', 'commands')
  const commandsOf = (root: string): string[] =>
    readdirSync(commandsDir(root), {recursive: true, encoding: 'utf8'})
      .filter((file) => file.endsWith('.js'))
      .sort()
  const samples = new Map<string, Map<string, number[]>>(roots.map(([name]) => [name, new Map()]))
  for (let run = 0; run < runs; run++) {
    for (const file of commandsOf(roots.at(-1)![1])) {
      for (const [name, root] of roots) {
        // A command the baseline does not have yet is measured on this build only.
        if (!existsSync(join(commandsDir(root), file))) continue
        const url = pathToFileURL(join(commandsDir(root), file)).href
        const {stdout} = await execFileAsync(process.execPath, ['--input-type=module', '-e', script, url], {cwd: root})
        const command = file.replace(/\.js$/, '').replace(/\//g, ' ')
        const times = samples.get(name)!.get(command) ?? []
        times.push(Number(stdout))
        samples.get(name)!.set(command, times)
      }
    }
  }
  return new Map(
    [...samples].map(([name, byCommand]) => [name, new Map([...byCommand].map(([command, times]) => [command, median(times)]))]),
  )
}

async function main(): Promise<void> {
  const {values} = parseArgs({options: {runs: {type: 'string', default: '15'}, baseline: {type: 'string'}}})
  const runs = Number(values.runs)
  const roots: Array<[string, string]> = [['now', PROJECT_ROOT]]
  if (values.baseline) roots.unshift(['baseline', resolve(values.baseline)])
  const env = {...process.env, NO_COLOR: '1'}

  console.log(`start-up: ${machineLine()}; ${runs} interleaved runs per case, medians`)
  const samples = new Map<string, {ms: number[]; cpu: number[]; rss: number[]}>()
  for (let run = 0; run < runs; run++) {
    for (const entry of CASES) {
      const {label, args} = entry
      for (const [name, root] of args === null ? roots.slice(0, 1) : roots) {
        const result = await runMeasured(process.execPath, argvFor(root, entry), {env, cwd: PROJECT_ROOT})
        if (result.code !== 0) throw new Error(`${label} (${name}) failed (exit ${result.code}): ${result.stderr.trim()}`)
        const key = `${label}\n${name}`
        const sample = samples.get(key) ?? {ms: [], cpu: [], rss: []}
        sample.ms.push(result.ms)
        sample.cpu.push(result.cpuMs)
        sample.rss.push(result.rssKb)
        samples.set(key, sample)
      }
    }
  }
  const floor = median(samples.get(`${CASES[0].label}\n${roots[0][0]}`)!.ms)
  const rows: string[][] = []
  for (const {label, args} of CASES) {
    for (const [name] of args === null ? roots.slice(0, 1) : roots) {
      const entry = samples.get(`${label}\n${name}`)!
      const ms = median(entry.ms)
      const baseline = values.baseline && args !== null && name === 'now' ? median(samples.get(`${label}\nbaseline`)!.ms) : undefined
      rows.push([
        args === null ? label : `${label}${roots.length > 1 ? ` [${name}]` : ''}`,
        ms.toFixed(0),
        (ms - floor).toFixed(0),
        baseline === undefined ? '' : `${(ms / baseline).toFixed(2)}x`,
        figure(median(entry.cpu)),
        figure(median(entry.rss) / 1024),
      ])
    }
  }
  console.log(table(['case', 'median ms', 'over node', 'vs baseline', 'CPU ms', 'peak RSS MB'], rows))

  // The start-up targets, from the medians of this run (the floor measured in the same rounds).
  console.log(`\ntargets, against node -e 0 = ${floor.toFixed(0)} ms in the same rounds`)
  const targetRows: string[][] = []
  for (const {label, args} of CASES) {
    if (!args || !['--help', '--version'].includes(args[0]) || args.length !== 1) continue
    const over = median(samples.get(`${label}\n${roots.at(-1)![0]}`)!.ms) - floor
    targetRows.push([label, `${over.toFixed(0)} ms over node`, '<= 40 ms over node', over <= START_UP_TARGET_MS ? 'met' : 'MISSED'])
  }
  console.log(table(['case', 'measured', 'target', ''], targetRows))

  console.log('\nmodules loaded (files node read: the sources in them; the largest packages; a bundle file counts as the sources it holds)')
  for (const {label, args} of CASES) {
    if (args === null) continue
    for (const [name, root] of roots) {
      const {total, files, byPackage} = await modulesLoaded(root, args)
      const top = [...byPackage]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 8)
        .map(([pkg, n]) => `${pkg} ${n}`)
        .join(', ')
      console.log(`  ${label}${roots.length > 1 ? ` [${name}]` : ''}: ${files} files: ${total}: ${top}`)
    }
  }

  console.log('\nimport of each command module in a fresh process, all it loads included (ms, median)')
  const costs = await commandImportCosts(roots, runs)
  const commands = [...costs.get('now')!.keys()]
  console.log(
    table(
      ['command', ...roots.map(([name]) => `${name} ms`)],
      commands.map((command) => [command, ...roots.map(([name]) => costs.get(name)!.get(command)?.toFixed(1) ?? '-')]),
    ),
  )
}

await main()
