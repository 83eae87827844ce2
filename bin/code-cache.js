// V8's code cache for the bundle (dist/bundle/), read back at start-up.
//
// Why: most of what `archcheck --help` costs over node's own start is V8 compiling the same
// JavaScript on every run (bench/README.md). Node 20 has no module.enableCompileCache(), so the
// bundle is CommonJS (scripts/bundle.js) and each of its files is compiled here with vm.Script and
// the cached data `npm run build` recorded for it: V8 then deserialises the functions a command
// ran instead of parsing and compiling them again. The cache is recorded after representative
// runs (scripts/code-cache.js), so it also holds the functions V8 compiles lazily, not only the
// top level.
//
// The cache sits in a directory per node version and architecture: another node finds none and
// compiles as usual. V8 checks the data itself (its version, flags and the source's length) and
// rejects what does not fit; a rejected cache costs a normal compile and nothing else. The cache
// is rebuilt with the bundle in every `npm run build`, never written at run time (the installed
// package may be read-only).
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import Module from 'node:module'
import {dirname, join, relative, sep} from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'

/**
 * The bundle's one file with import() in it (scripts/bundle.js), always compiled by node: node 20
 * loses a script's dynamic import callback when V8 builds the script from cached data.
 */
export const DYNAMIC_IMPORT = 'dynamic-import.js'

/** Where the cache for this node lives, for the bundle in `bundleDir`. */
export const codeCacheDir = (bundleDir) => join(bundleDir, 'code-cache', `${process.version}-${process.arch}`)

/**
 * Compiles every CommonJS file under `bundleDir` with its cached code, where there is any.
 * With `record`, ignores the cache and writes one at exit instead, holding every function the run
 * compiled (kept only where larger than a cache another recording run wrote: it covers more).
 * Returns the files compiled from their cache and those whose cache V8 rejected, filled in as
 * they load.
 */
export function useCodeCache(bundleDir, {record = false} = {}) {
  const cacheDir = codeCacheDir(bundleDir)
  const usage = {accepted: [], rejected: []}
  // Nothing recorded for this node: node's own compile, no detour.
  if (!record && !existsSync(cacheDir)) return usage
  // V8 stamps cached data with a hash of its flags and rejects data made under other flags. The
  // CLI raises this one before the first connection (src/cli/main.ts, avoidWasmTierUp, the same
  // value), which would stamp a recording differently and make every file compiled after it
  // miss: set from the start, recording and run alike, the flags never change mid-run.
  v8.setFlagsFromString('--wasm-tiering-budget=1000000000')
  const prefix = bundleDir + sep
  const dynamicImport = join(bundleDir, DYNAMIC_IMPORT)
  const recorded = []
  const compile = Module.prototype._compile
  Module.prototype._compile = function compileWithCache(content, filename) {
    if (!filename.startsWith(prefix) || filename === dynamicImport) return compile.call(this, content, filename)
    const cacheFile = join(cacheDir, `${relative(bundleDir, filename)}.v8`)
    let cachedData
    if (!record) {
      try {
        cachedData = readFileSync(cacheFile)
      } catch {
        // No cache for this file: compiled as usual.
      }
    }
    const script = new vm.Script(Module.wrap(content), {
      filename,
      cachedData,
      // oclif loads ES module plugins with import(): node's own loader, as outside vm.
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    })
    if (record) recorded.push({script, cacheFile})
    if (cachedData) usage[script.cachedDataRejected ? 'rejected' : 'accepted'].push(filename)
    return runWrapper(script.runInThisContext({displayErrors: true}), this, filename)
  }
  if (record) {
    process.on('exit', () => {
      for (const {script, cacheFile} of recorded) {
        const data = script.createCachedData()
        if (existsSync(cacheFile) && statSync(cacheFile).size >= data.length) continue
        mkdirSync(dirname(cacheFile), {recursive: true})
        writeFileSync(cacheFile, data)
      }
    })
  }
  return usage
}

/** Calls a compiled CommonJS wrapper as node's loader would: with the module's require (and require.resolve). */
function runWrapper(wrapper, module, filename) {
  const require = (id) => module.require(id)
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options)
  require.cache = Module._cache
  return wrapper.call(module.exports, module.exports, require, module, filename, dirname(filename))
}
