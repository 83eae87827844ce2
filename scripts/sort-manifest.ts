// Run by `npm run build` after `oclif manifest`: oclif lists commands in the order the file system
// returns their files, which differs between two clones of the same tree; sorted by id, the
// committed manifest is the same wherever it is built (check-manifest compares it as text).
import {readFileSync, writeFileSync} from 'node:fs'

const path = new URL('../oclif.manifest.json', import.meta.url)
const text = readFileSync(path, 'utf8')
const manifest = JSON.parse(text) as {commands: Record<string, unknown>}
const ids = Object.keys(manifest.commands).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
manifest.commands = Object.fromEntries(ids.map((id) => [id, manifest.commands[id]]))
// oclif writes two-space JSON with no newline at the end.
writeFileSync(path, JSON.stringify(manifest, null, 2))
