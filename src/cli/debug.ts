/** --debug anywhere on the command line, or ARCHCHECK_DEBUG=1, asks for stacks and request lines. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || env.ARCHCHECK_DEBUG === '1'
}
