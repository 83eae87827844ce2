/**
 * The layer rules of docs/architecture.md: each layer imports only the layers below it.
 * oci → source → engine → api → cli | render | commands | action. `npm run lint:deps` checks them.
 */
const layer = (name) => `^src/${name}/`
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Modules and folders must not import each other in a circle.',
      from: {},
      to: {circular: true},
    },
    {name: 'oci-is-a-leaf', severity: 'error', from: {path: layer('oci')}, to: {path: '^src/', pathNot: layer('oci')}},
    {
      name: 'source-above-oci-only',
      severity: 'error',
      from: {path: layer('source')},
      to: {path: '^src/', pathNot: [layer('oci'), layer('source')]},
    },
    {
      name: 'engine-above-source',
      severity: 'error',
      from: {path: layer('engine')},
      to: {path: '^src/', pathNot: [layer('oci'), layer('source'), layer('engine')]},
    },
    {
      name: 'api-above-engine',
      severity: 'error',
      from: {path: layer('api')},
      to: {path: '^src/', pathNot: [layer('oci'), layer('source'), layer('engine'), layer('api')]},
    },
    {
      name: 'render-reads-results',
      severity: 'error',
      comment: 'Renderers draw api results (and oci types): never the engine or a source.',
      from: {path: layer('render')},
      to: {path: ['^src/cli/', '^src/commands/', layer('engine'), layer('source')]},
    },
    {
      name: 'cli-above-api',
      severity: 'error',
      comment: 'Flag parsing and output reach the engine through the api.',
      from: {path: layer('cli')},
      to: {path: ['^src/commands/', layer('engine'), layer('source')]},
    },
    {
      name: 'commands-go-through-api',
      severity: 'error',
      comment: "A command parses flags, calls the api and renders: engine and source are the api's business.",
      from: {path: layer('commands')},
      to: {path: [layer('engine'), layer('source')]},
    },
    {
      name: 'action-uses-the-library',
      severity: 'error',
      comment: 'The GitHub Action is a top layer like the CLI: it calls the api and renders, and shares nothing with the CLI.',
      from: {path: layer('action')},
      to: {path: ['^src/cli/', '^src/commands/', layer('engine'), layer('source')]},
    },
    {
      name: 'nothing-imports-the-action',
      severity: 'error',
      from: {path: '^src/', pathNot: layer('action')},
      to: {path: layer('action')},
    },
    {name: 'no-test-code-in-src', severity: 'error', from: {path: '^src/'}, to: {path: '^(test|bench|scripts)/'}},
    {
      name: 'known-folders',
      severity: 'error',
      comment: 'Every module lives in a layer folder.',
      from: {path: '^src/', pathNot: ['^src/(oci|source|engine|api|cli|render|commands|action)/', '^src/index\\.ts$']},
      to: {},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
  },
}
