import {type EntryType, type LayerEntry, normalizePath} from './tar-entries.js'

interface FsNodeFields {
  name: string
  mode: number
  size: number
  /** Index (0-based, in manifest order) of the layer this node comes from. */
  layer: number
  /** Symlink target as written. */
  linkTarget?: string
  /** For a file written as a hard link: the path it links to. */
  hardLinkOf?: string
  head?: Uint8Array
  /** Of a 32-bit ARM ELF: its `.ARM.attributes` section (LayerEntry.armAttributes). */
  armAttributes?: Uint8Array
}

/** A directory of the merged filesystem, with what it holds by name. */
export interface FsDirectory extends FsNodeFields {
  type: 'directory'
  children: Map<string, FsNode>
}

/** Anything else in it (file, symlink, device…): no children. */
export interface FsLeaf extends FsNodeFields {
  type: Exclude<EntryType, 'directory'>
}

/** A file in the merged filesystem: its header, the layer that last wrote it and, for candidates, its first bytes. */
export type FsNode = FsDirectory | FsLeaf

const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'
/** Linux's limit on symlinks followed in one lookup (ELOOP past it). */
const MAX_SYMLINKS = 40

export type LookupResult =
  | {found: true; node: FsNode; path: string; symlinks: string[]}
  | {found: false; error: 'not-found' | 'not-a-directory' | 'loop'; path: string; symlinks: string[]}

/**
 * The image's filesystem after applying its layers in order, the way overlayfs shows it to the
 * container: whiteouts and opaque directories hide lower layers, later entries replace earlier ones.
 */
export class ImageFilesystem {
  readonly root: FsDirectory = {name: '', type: 'directory', mode: 0o755, size: 0, layer: -1, children: new Map()}
  /** Paths hidden by a whiteout, with the index of the layer that hid them (for "why is it missing"). */
  private readonly whiteouts = new Map<string, number>()
  layerCount = 0

  /** Applies the next layer's entries (layers must come in manifest order). */
  applyLayer(entries: LayerEntry[]): void {
    const layer = this.layerCount++
    for (const entry of entries) this.applyEntry(entry, layer)
  }

  private applyEntry(entry: LayerEntry, layer: number): void {
    if (entry.path === '/') return
    const slash = entry.path.lastIndexOf('/')
    const parentPath = entry.path.slice(0, slash) || '/'
    const name = entry.path.slice(slash + 1)
    const parent = this.directoryForWrite(parentPath, layer)
    const children = parent.children
    if (name === OPAQUE) {
      for (const removed of pruneLowerLayers(parent, parentPath, layer)) this.whiteouts.set(removed, layer)
      return
    }
    if (name.startsWith(WHITEOUT)) {
      const hidden = name.slice(WHITEOUT.length)
      // Whiteouts hide lower layers only (OCI image spec); an entry of the same layer stays.
      const existing = children.get(hidden)
      if (existing && existing.layer < layer) {
        children.delete(hidden)
        this.whiteouts.set(joinPath(parentPath, hidden), layer)
      }
      return
    }
    const existing = children.get(name)
    if (entry.type === 'directory') {
      if (existing?.type === 'directory') {
        Object.assign(existing, {mode: entry.mode, layer})
        return
      }
      children.set(name, {name, type: 'directory', mode: entry.mode, size: 0, layer, children: new Map()})
      return
    }
    const node: FsLeaf = {name, type: entry.type, mode: entry.mode, size: entry.size, layer}
    if (entry.type === 'symlink') node.linkTarget = entry.linkTarget
    if (entry.type === 'hardlink') {
      // A hard link shares the target's contents (and mode): copy what is known of it.
      const target = this.lookup(entry.linkTarget ?? '', {followLast: false})
      node.hardLinkOf = entry.linkTarget
      if (target.found && target.node.type !== 'directory') {
        Object.assign(node, {
          type: target.node.type,
          mode: target.node.mode,
          size: target.node.size,
          linkTarget: target.node.linkTarget,
          head: target.node.head,
          armAttributes: target.node.armAttributes,
        })
      } else {
        node.type = 'file'
      }
    } else if (entry.head) {
      node.head = entry.head
      if (entry.armAttributes) node.armAttributes = entry.armAttributes
    }
    children.set(name, node)
  }

  /** The directory at `path`, created (implicitly, as tar extraction does) where missing, through symlinks in lower layers. */
  private directoryForWrite(path: string, layer: number): FsDirectory {
    let dir = this.root
    const parts = path.split('/').filter(Boolean)
    for (const [index, part] of parts.entries()) {
      let child = dir.children.get(part)
      if (child?.type === 'symlink') {
        // The path so far, built only here: joining it at every step would cost the square of the depth.
        const resolved = this.lookup(`/${parts.slice(0, index + 1).join('/')}`)
        child = resolved.found && resolved.node.type === 'directory' ? resolved.node : undefined
      }
      if (child?.type !== 'directory') {
        const created: FsDirectory = {name: part, type: 'directory', mode: 0o755, size: 0, layer, children: new Map()}
        dir.children.set(part, created)
        child = created
      }
      dir = child
    }
    return dir
  }

  /**
   * Looks a path up as the kernel does: every symlink on the way is followed (absolute targets
   * from the image root), the last one only with `followLast` (default true). Loops end in 'loop'.
   */
  lookup(path: string, options: {followLast?: boolean; cwd?: string} = {}): LookupResult {
    const followLast = options.followLast ?? true
    const symlinks: string[] = []
    // Not normalised lexically: "a/../b" means the parent of wherever symlink "a" leads.
    const absolute = path.startsWith('/') ? path : `${options.cwd ?? '/'}/${path}`
    // Components still to walk, the next one last: taking it is O(1), where shift() would make a
    // deep path cost the square of its depth.
    const pending = absolute
      .split('/')
      .filter((part) => part && part !== '.')
      .reverse()
    const rest = (): string[] => [...pending].reverse()
    const stack: FsNode[] = [this.root]
    const names: string[] = []
    const here = (): string => `/${names.join('/')}`
    while (pending.length) {
      const part = pending.pop()!
      if (part === '..') {
        if (stack.length > 1) {
          stack.pop()
          names.pop()
        }
        continue
      }
      const dir = stack.at(-1)!
      if (dir.type !== 'directory') return {found: false, error: 'not-a-directory', path: here(), symlinks}
      const child = dir.children.get(part)
      if (!child) return {found: false, error: 'not-found', path: joinPath(here(), part, ...rest()), symlinks}
      if (child.type === 'symlink' && (pending.length > 0 || followLast)) {
        symlinks.push(`${joinPath(here(), part)} -> ${child.linkTarget}`)
        if (symlinks.length > MAX_SYMLINKS) return {found: false, error: 'loop', path: joinPath(here(), part), symlinks}
        const target = (child.linkTarget ?? '').split('/').filter((p) => p && p !== '.')
        if (child.linkTarget?.startsWith('/')) {
          stack.length = 1
          names.length = 0
        }
        for (let i = target.length - 1; i >= 0; i--) pending.push(target[i])
        continue
      }
      stack.push(child)
      names.push(part)
    }
    return {found: true, node: stack.at(-1)!, path: here(), symlinks}
  }

  /**
   * The layer whose whiteout removed `path` (or a directory above it), if one did: explains a
   * "not found" that the image's history would not.
   */
  removedBy(path: string): {path: string; layer: number} | undefined {
    if (this.whiteouts.size === 0) return undefined
    for (let current = normalizePath(path); ; current = current.slice(0, current.lastIndexOf('/')) || '/') {
      const layer = this.whiteouts.get(current)
      if (layer !== undefined) return {path: current, layer}
      if (current === '/') return undefined
    }
  }

  /** Every regular file, depth first, with its absolute path. */
  *files(): Generator<{path: string; node: FsNode}> {
    const walk = function* (dir: FsDirectory, prefix: string): Generator<{path: string; node: FsNode}> {
      for (const [name, node] of dir.children) {
        // Names are single components: appending is enough (normalising would cost the square of the depth).
        const path = prefix === '/' ? `/${name}` : `${prefix}/${name}`
        if (node.type === 'directory') yield* walk(node, path)
        else if (node.type === 'file') yield {path, node}
      }
    }
    yield* walk(this.root, '/')
  }
}

function joinPath(...parts: string[]): string {
  return normalizePath(parts.join('/'))
}

/** An opaque directory keeps only what its own layer wrote into it (including deeper down); returns the paths removed. */
function pruneLowerLayers(dir: FsDirectory, path: string, layer: number): string[] {
  const removed: string[] = []
  for (const [name, child] of dir.children) {
    const childPath = path === '/' ? `/${name}` : `${path}/${name}`
    if (child.type === 'directory') {
      const below = pruneLowerLayers(child, childPath, layer)
      if (child.layer < layer && child.children.size === 0) {
        dir.children.delete(name)
        removed.push(childPath)
      } else {
        for (const path of below) removed.push(path)
      }
    } else if (child.layer < layer) {
      dir.children.delete(name)
      removed.push(childPath)
    }
  }
  return removed
}
