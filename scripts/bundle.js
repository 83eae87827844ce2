#!/usr/bin/env node
// Bundles what bin/run.js runs into dist/bundle/ (part of `npm run build`, after tsc).
//
// Why: the CLI loaded 107 files for `--help` and 226 for `inspect REF --json` (oclif, its
// dependencies, undici, archcheck's own modules); resolving and compiling them one by one was the
// largest part of start-up (bench/README.md). esbuild puts the entry and everything it imports
// statically into one file, and each lazily imported part (undici's Agent, the table, layers,
// build) into a chunk of its own, loaded only by the command that needs it, as before.
//
// Entries: main.js (bin/run.js's entry: main() and oclif's settings) and one file per command
// under commands/, which oclif loads by the path oclif.manifest.json records for the command run
// (package.json: oclif.commands). Their shared code (oclif, the base command) lands in shared
// chunks, so all see one copy of oclif's classes. One file per command rather than oclif's explicit
// discovery (one module exporting every command class): that module would load every command and
// what each imports statically (verify's and build's code, semver) for any command run, about
// 33 ms of CPU more for `inspect` on the machine of bench/README.md.
//
// dist/bundle/meta.json is esbuild's metafile: which sources each output file holds.
// test/helpers/module-trace.ts reads it to report the sources a run loaded, so
// test/integration/startup-modules.test.ts still asserts, source by source, what each command loads.
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, transform} from 'esbuild'

import {DYNAMIC_IMPORT} from '../bin/code-cache.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const commandsDir = join(root, 'src', 'commands')
const outdir = join(root, 'dist', 'bundle')

const commandFiles = readdirSync(commandsDir, {recursive: true, encoding: 'utf8'})
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .sort()

// bin/run.js's entry: the CLI's main, and oclif's settings from the same (bundled) copy of oclif.
const mainSource = "export {main} from './src/cli/main.js'\nexport {settings} from '@oclif/core/settings'\n"

/**
 * `await import('tar-stream')` of a CommonJS package gives, in node, a namespace with `default`
 * (module.exports) and its named exports (`extract`); esbuild's chunk for it exports `default` only,
 * so `tarStream.extract` or `const {EnvHttpProxyAgent} = await import('undici')` would be undefined.
 * Each such import from src/ goes through a module that re-exports the package's keys by name, read
 * here by requiring it. ES module packages (fzstd) are left to esbuild.
 */
const cjsNamedExports = {
  name: 'cjs-named-exports',
  setup(builder) {
    const requireFromRoot = createRequire(join(root, 'package.json'))
    builder.onResolve({filter: /^[^./]/}, async (args) => {
      if (args.kind !== 'dynamic-import' || !args.importer.startsWith(join(root, 'src')) || args.path.startsWith('node:')) return undefined
      const resolved = await builder.resolve(args.path, {kind: 'import-statement', resolveDir: args.resolveDir})
      if (resolved.errors.length > 0 || /\.mjs$|[/\\]esm[/\\]/.test(resolved.path)) return undefined
      return {path: args.path, namespace: 'cjs-named-exports', pluginData: {resolveDir: args.resolveDir}}
    })
    builder.onLoad({filter: /.*/, namespace: 'cjs-named-exports'}, (args) => {
      const names = Object.keys(requireFromRoot(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default')
      const contents = [
        `import module from ${JSON.stringify(args.path)}`,
        'export default module',
        ...(names.length > 0 ? [`export const {${names.join(', ')}} = module`] : []),
      ].join('\n')
      return {contents, loader: 'js', resolveDir: args.pluginData.resolveDir}
    })
  },
}

/**
 * oclif requires these at the top of its modules, but a run with oclif.manifest.json present
 * uses them only now and then (command discovery globs, spinners, reading flags from stdin,
 * `which`, the module type of a command file, plugin patterns): each becomes a stand-in that requires the real module, unbundled, on first use.
 * Evaluating them eagerly cost about 10 ms of CPU in every run (bench/README.md); the shared chunk
 * holding oclif shrinks from 540 to 377 kB. ejs has a stand-in of its own (oclifTemplates).
 */
const LAZY_FOR_OCLIF = [
  'tinyglobby',
  'cli-spinners',
  'node:child_process',
  'node:perf_hooks',
  'node:readline',
  // The ES-module test of a command file (loading one command, never for --help), and plugin name
  // patterns (archcheck declares no plugin).
  'get-package-type',
  'minimatch',
]
const lazyOclifModules = {
  name: 'lazy-oclif-modules',
  setup(builder) {
    const oclifDir = join(root, 'node_modules', '@oclif', 'core')
    // oclif's dependencies, resolved from oclif as its own require() would (they need not be archcheck's).
    const requireFromOclif = createRequire(join(oclifDir, 'package.json'))
    builder.onResolve({filter: /.*/, namespace: 'lazy'}, (args) => ({path: args.path, external: true}))
    builder.onResolve({filter: new RegExp(`^(${LAZY_FOR_OCLIF.join('|')})$`)}, (args) =>
      args.importer.startsWith(oclifDir) && args.kind === 'require-call' ? {path: args.path, namespace: 'lazy'} : undefined,
    )
    builder.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => {
      const esModule = Boolean(requireFromOclif(args.path).__esModule)
      const spec = JSON.stringify(args.path)
      const contents = `let real
const load = () => (real ??= require('node:module').createRequire(require.resolve('@oclif/core/package.json'))(${spec}))
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? ${esModule} : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Object.getOwnPropertyDescriptor(load(), key)
    return descriptor && {...descriptor, configurable: true}
  },
})
`
      return {contents, loader: 'js'}
    })
  },
}

/**
 * oclif renders every help text through ejs, which it requires at the top of its help and config
 * modules: the stand-in (scripts/oclif-ejs.ts) fills in the tags archcheck's texts use and loads
 * the real ejs, unbundled, for any other text.
 */
const oclifTemplates = {
  name: 'oclif-templates',
  setup(builder) {
    const oclifDir = join(root, 'node_modules', '@oclif', 'core')
    builder.onResolve({filter: /^ejs$/}, (args) =>
      args.importer.startsWith(oclifDir) && args.kind === 'require-call' ? {path: 'ejs', namespace: 'oclif-templates'} : undefined,
    )
    builder.onLoad({filter: /.*/, namespace: 'oclif-templates'}, () => {
      const contents = `const {templateRenderer} = require('./oclif-ejs.ts')
const load = () => require('node:module').createRequire(require.resolve('@oclif/core/package.json'))('ejs')
module.exports = {render: templateRenderer(load)}
`
      return {contents, loader: 'js', resolveDir: join(root, 'scripts')}
    })
  },
}

/**
 * oclif names the platform at every start (Config.load: `await import('wsl-utils')`, then
 * `isWsl`); wsl-utils also imports node's child_process (with net and dgram) and fs/promises for
 * the Windows helpers oclif calls only on Windows: about 5 ms of every start. The stand-in answers
 * `isWsl` from is-wsl (which wsl-utils re-exports) and loads the real module for anything else.
 */
const oclifPlatform = {
  name: 'oclif-platform',
  setup(builder) {
    const oclifDir = join(root, 'node_modules', '@oclif', 'core')
    builder.onResolve({filter: /^wsl-utils$/}, (args) =>
      args.importer.startsWith(oclifDir) && args.kind === 'dynamic-import' ? {path: 'wsl-utils', namespace: 'oclif-platform'} : undefined,
    )
    builder.onLoad({filter: /.*/, namespace: 'oclif-platform'}, () => {
      const contents = `import isWsl from 'is-wsl'
export {isWsl}
export const powerShellPath = async (...args) => (await import('wsl-utils')).powerShellPath(...args)
`
      return {contents, loader: 'js', resolveDir: join(root, 'node_modules', 'wsl-utils')}
    })
  },
}

/**
 * oclif sorts the commands of each plugin with `localeCompare`, whose first call sets up ICU's
 * collator: about 5 ms of every start, `--help` included. Command ids are ASCII (lower-case words
 * and `:`), which code-unit order sorts as the collator does. The build fails if oclif's line
 * changes, rather than silently sorting another way.
 */
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id));'
const oclifCommandSort = {
  name: 'oclif-command-sort',
  setup(builder) {
    const pluginFile = join(root, 'node_modules', '@oclif', 'core', 'lib', 'config', 'plugin.js')
    builder.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      if (args.path !== pluginFile) return undefined
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(OCLIF_COMMAND_SORT)) throw new Error(`${args.path} no longer sorts commands with ${OCLIF_COMMAND_SORT}`)
      return {contents: source.replace(OCLIF_COMMAND_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'), loader: 'js'}
    })
  },
}

/**
 * undici's HTTP/2 client requires node's http2 at the top of its module, for its constants, and
 * uses the rest only when a server offers HTTP/2 over TLS. Registries are read over HTTP/1.1 here
 * unless TLS negotiates otherwise, and loading http2 cost about 10 ms of every `inspect` of a
 * registry: the stand-in answers `constants` from a copy taken now (protocol numbers and header
 * names, the same in every node) and requires the real module on any other use.
 */
const lazyHttp2 = {
  name: 'lazy-http2',
  setup(builder) {
    const undiciDir = join(root, 'node_modules', 'undici')
    builder.onResolve({filter: /^node:http2$/}, (args) =>
      args.importer.startsWith(undiciDir) && args.kind === 'require-call' ? {path: args.path, namespace: 'lazy-http2'} : undefined,
    )
    builder.onLoad({filter: /.*/, namespace: 'lazy-http2'}, async () => {
      const {constants} = await import('node:http2')
      const contents = `const constants = ${JSON.stringify(constants)}
let real
module.exports = new Proxy({constants}, {get: (_, key) => (key === 'constants' ? constants : (real ??= require('node:http2'))[key])})
`
      return {contents, loader: 'js'}
    })
  },
}

// Bundled CommonJS packages (oclif, undici) call require() for node's modules; the action's ESM has none.
const requireBanner = {
  js: "import {createRequire as __archcheckRequire} from 'node:module';const require = __archcheckRequire(import.meta.url);",
}

async function bundleCli() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      main: 'archcheck:main',
      ...Object.fromEntries(
        commandFiles.map((file) => [`commands/${file.split(sep).join('/').replace(/\.ts$/, '')}`, join('src', 'commands', file)]),
      ),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    // oclif reads tsconfig.json with TypeScript only for development runs from src/ (bin/dev.js),
    // which do not use this bundle; bundled, it would be 10 MB.
    external: ['typescript', 'ts-node'],
    logLevel: 'warning',
    plugins: [
      cjsNamedExports,
      lazyOclifModules,
      oclifTemplates,
      oclifPlatform,
      oclifCommandSort,
      lazyHttp2,
      {
        name: 'archcheck-main',
        setup(builder) {
          builder.onResolve({filter: /^archcheck:main$/}, () => ({path: 'main', namespace: 'archcheck'}))
          builder.onLoad({filter: /.*/, namespace: 'archcheck'}, () => ({contents: mainSource, loader: 'ts', resolveDir: root}))
        },
      },
    ],
  })

  // Each file, split as ES modules, then rewritten as CommonJS: node compiles CommonJS through
  // Module.prototype._compile, where bin/code-cache.js gives V8 its cached code; ES modules have no
  // such hook in node 20. esbuild splits only ES modules, hence the two steps. A chunk imported
  // lazily becomes a require() on first use (the same module instance, through require's cache), as
  // does a lazily imported node module; import() of anything else (oclif loading an ES module
  // plugin) stays as it is.
  for (const file of Object.keys(result.metafile.outputs).filter((name) => name.endsWith('.js'))) {
    const path = join(root, file)
    const esm = readFileSync(path, 'utf8').replaceAll(
      /\bimport\(("(?:\.\.?\/[^"]+\.js|node:[^"]+)")\)/g,
      (_, spec) => `Promise.resolve().then(() => require(${spec}))`,
    )
    const {code} = await transform(esm, {format: 'cjs', loader: 'js', platform: 'node', target: 'node20', logLevel: 'warning'})
    // What import() remains has a computed argument (oclif loading an ES module plugin, tsx): it
    // goes through DYNAMIC_IMPORT, which node compiles itself. Node 20 drops a script's dynamic
    // import callback when the script comes from V8's code cache, so import() inside a cached
    // file would throw. esbuild prints string literals in double quotes: none may be left.
    const helperPath = relative(dirname(path), join(outdir, DYNAMIC_IMPORT)).split(sep).join('/')
    const helper = JSON.stringify(helperPath.startsWith('.') ? helperPath : `./${helperPath}`)
    const cjs = code.replaceAll(/\bimport\((?!["'`)])/g, `require(${helper})(`)
    if (/\bimport\("/.test(cjs)) throw new Error(`${file}: an import() of a literal that is neither a chunk nor a node module`)
    writeFileSync(path, cjs)
  }
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({type: 'commonjs'})}\n`)
  writeFileSync(
    join(outdir, DYNAMIC_IMPORT),
    '// import() for the bundle, compiled by node (never from the code cache: bin/code-cache.js).\nmodule.exports = (specifier) => import(specifier)\n',
  )

  // Paths relative to the project root, as esbuild gives the inputs.
  const meta = Object.fromEntries(
    Object.entries(result.metafile.outputs)
      .filter(([file]) => file.endsWith('.js'))
      .map(([file, output]) => [relative(root, join(root, file)).split(sep).join('/'), Object.keys(output.inputs)]),
  )
  writeFileSync(join(outdir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`)
}

/**
 * The GitHub Action (action.yml runs `dist-action/index.js`): one file, committed, because a runner
 * runs no install step. Its own build, so nothing of it reaches the CLI's bundle. Lazily imported
 * modules land in the same file (no splitting): the runner checks out the action and runs one file.
 */
async function bundleAction(actionOutdir) {
  await build({
    absWorkingDir: root,
    entryPoints: {index: 'src/action/main.ts'},
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: actionOutdir,
    // oclif is the CLI's; the action never loads it, and a stray import would fail the build here.
    external: ['@oclif/*'],
    logLevel: 'warning',
    banner: requireBanner,
    plugins: [cjsNamedExports],
  })
}

// `--action [DIR]`: the action's bundle (into DIR, default dist-action/); otherwise the CLI's.
const actionFlag = process.argv.indexOf('--action')
if (actionFlag === -1) await bundleCli()
else await bundleAction(process.argv[actionFlag + 1] ?? join(root, 'dist-action'))
