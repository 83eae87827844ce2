import {ENTRY_TYPES, type EntryExtras, type EntryType, type LayerEntry, LayerEntries, normalizePath, withRoomFor} from './tar-entries.js'

/** A file of the merged filesystem, as lookup() and files() give it: its header, the layer that last wrote it and, for candidates, its first bytes. */
export interface FsNode {
  type: EntryType
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

type NodeExtras = EntryExtras & Pick<FsNode, 'hardLinkOf'>

const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'
/** Linux's limit on symlinks followed in one lookup (ELOOP past it). */
const MAX_SYMLINKS = 40
const ROOT = 0
const DIRECTORY = ENTRY_TYPES.indexOf('directory')
const SYMLINK = ENTRY_TYPES.indexOf('symlink')
const FILE = ENTRY_TYPES.indexOf('file')

export type LookupResult =
  | {found: true; node: FsNode; path: string; symlinks: string[]}
  | {found: false; error: 'not-found' | 'not-a-directory' | 'loop'; path: string; symlinks: string[]}

/**
 * The image's filesystem after applying its layers in order, the way overlayfs shows it to the
 * container: whiteouts and opaque directories hide lower layers, later entries replace earlier ones.
 *
 * Held as a path table, not an object per file: a node is an index into typed columns (type,
 * mode, size, layer), a directory a map from name to node index; what few nodes carry besides
 * (link targets, first bytes) is in a map by index. A layer of a million files costs tens of bytes
 * a file, not the few hundred objects did. lookup() and files() make the FsNode they return.
 */
export class ImageFilesystem {
  private count = 1
  private types = new Uint8Array(16).fill(DIRECTORY, 0, 1)
  private modes = new Uint32Array(16).fill(0o755, 0, 1)
  private sizes = new Float64Array(16)
  private layers = new Uint32Array(16)
  private readonly children = new Map<number, Map<string, number>>([[ROOT, new Map()]])
  private readonly extras = new Map<number, NodeExtras>()
  /** Paths hidden by a whiteout, with the index of the layer that hid them (for "why is it missing"). */
  private readonly whiteouts = new Map<string, number>()
  layerCount = 0

  /** Applies the next layer's entries (layers must come in manifest order). */
  applyLayer(entries: LayerEntries | LayerEntry[]): void {
    const table = entries instanceof LayerEntries ? entries : LayerEntries.from(entries)
    const layer = this.layerCount++
    // Consecutive entries mostly share a directory: found once for all of them. An entry only
    // changes what its own directory holds, so the directory found stays the right one.
    let parentId = -1
    let parent = ROOT
    for (let index = 0; index < table.count; index++) {
      const name = table.name(index)
      if (name === '') continue
      if (table.parentId(index) !== parentId) {
        parentId = table.parentId(index)
        parent = this.directoryForWrite(table.parentPath(index), layer)
      }
      this.applyEntry(table, index, name, table.parentPath(index), parent, layer)
    }
  }

  private applyEntry(table: LayerEntries, index: number, name: string, parentPath: string, parent: number, layer: number): void {
    const children = this.children.get(parent)!
    if (name === OPAQUE) {
      for (const removed of this.pruneLowerLayers(parent, parentPath, layer)) this.whiteouts.set(removed, layer)
      return
    }
    if (name.startsWith(WHITEOUT)) {
      const hidden = name.slice(WHITEOUT.length)
      // Whiteouts hide lower layers only (OCI image spec); an entry of the same layer stays.
      const existing = children.get(hidden)
      if (existing !== undefined && this.layers[existing] < layer) {
        this.remove(children, hidden)
        this.whiteouts.set(joinPath(parentPath, hidden), layer)
      }
      return
    }
    const existing = children.get(name)
    const type = table.type(index)
    if (type === 'directory') {
      if (existing !== undefined && this.types[existing] === DIRECTORY) {
        this.modes[existing] = table.mode(index)
        this.layers[existing] = layer
        return
      }
      if (existing !== undefined) this.remove(children, name)
      children.set(name, this.create(DIRECTORY, table.mode(index), 0, layer))
      return
    }
    let node: Omit<FsNode, 'layer'> = {type, mode: table.mode(index), size: table.size(index), ...table.extra(index)}
    if (type === 'hardlink') {
      // A hard link shares the target's contents (and mode): copy what is known of it.
      const target = this.lookup(node.linkTarget ?? '', {followLast: false})
      const hardLinkOf = node.linkTarget
      node =
        target.found && target.node.type !== 'directory'
          ? {...target.node, hardLinkOf}
          : {type: 'file', mode: node.mode, size: node.size, hardLinkOf}
    }
    // A file replacing a file keeps its index: a layer that rewrites many files adds no rows.
    const id = existing !== undefined && this.types[existing] !== DIRECTORY ? existing : undefined
    if (existing !== undefined && id === undefined) this.remove(children, name)
    const written = this.create(ENTRY_TYPES.indexOf(node.type), node.mode, node.size, layer, id)
    const {linkTarget, hardLinkOf, head, armAttributes} = node
    if (linkTarget !== undefined || hardLinkOf !== undefined || head || armAttributes) {
      this.extras.set(written, {
        ...(linkTarget === undefined ? {} : {linkTarget}),
        ...(hardLinkOf === undefined ? {} : {hardLinkOf}),
        ...(head ? {head} : {}),
        ...(armAttributes ? {armAttributes} : {}),
      })
    }
    children.set(name, written)
  }

  /** A node's row (a new one, or `reuse` overwritten); a directory gets an empty map of children. */
  private create(type: number, mode: number, size: number, layer: number, reuse?: number): number {
    let id = reuse
    if (id === undefined) {
      id = this.count++
      this.types = withRoomFor(this.types, id)
      this.modes = withRoomFor(this.modes, id)
      this.sizes = withRoomFor(this.sizes, id)
      this.layers = withRoomFor(this.layers, id)
    } else {
      this.extras.delete(id)
    }
    this.types[id] = type
    this.modes[id] = mode
    this.sizes[id] = size
    this.layers[id] = layer
    if (type === DIRECTORY) this.children.set(id, new Map())
    return id
  }

  /** Unlinks a child; a directory's map goes with it (its rows stay, unreachable). */
  private remove(children: Map<string, number>, name: string): void {
    const id = children.get(name)!
    children.delete(name)
    this.dropDirectories(id)
  }

  private dropDirectories(id: number): void {
    const below = this.children.get(id)
    if (!below) return
    this.children.delete(id)
    for (const child of below.values()) this.dropDirectories(child)
  }

  /** The directory at `path`, created (implicitly, as tar extraction does) where missing, through symlinks in lower layers. */
  private directoryForWrite(path: string, layer: number): number {
    let dir = ROOT
    const parts = path.split('/').filter(Boolean)
    for (const [index, part] of parts.entries()) {
      const children = this.children.get(dir)!
      let child = children.get(part)
      if (child !== undefined && this.types[child] === SYMLINK) {
        // The path so far, built only here: joining it at every step would cost the square of the depth.
        const resolved = this.resolve(`/${parts.slice(0, index + 1).join('/')}`, true)
        child = resolved.found && this.types[resolved.id] === DIRECTORY ? resolved.id : undefined
      }
      if (child === undefined || this.types[child] !== DIRECTORY) {
        if (children.has(part)) this.remove(children, part)
        child = this.create(DIRECTORY, 0o755, 0, layer)
        children.set(part, child)
      }
      dir = child
    }
    return dir
  }

  /** The FsNode of a row. */
  private node(id: number): FsNode {
    return {type: ENTRY_TYPES[this.types[id]], mode: this.modes[id], size: this.sizes[id], layer: this.layers[id], ...this.extras.get(id)}
  }

  /**
   * Looks a path up as the kernel does: every symlink on the way is followed (absolute targets
   * from the image root), the last one only with `followLast` (default true). Loops end in 'loop'.
   */
  lookup(path: string, options: {followLast?: boolean; cwd?: string} = {}): LookupResult {
    // Not normalised lexically: "a/../b" means the parent of wherever symlink "a" leads.
    const absolute = path.startsWith('/') ? path : `${options.cwd ?? '/'}/${path}`
    const result = this.resolve(absolute, options.followLast ?? true)
    return result.found
      ? {found: true, node: this.node(result.id), path: result.path, symlinks: result.symlinks}
      : {found: false, error: result.error, path: result.path, symlinks: result.symlinks}
  }

  private resolve(
    absolute: string,
    followLast: boolean,
  ):
    | {found: true; id: number; path: string; symlinks: string[]}
    | {found: false; error: 'not-found' | 'not-a-directory' | 'loop'; path: string; symlinks: string[]} {
    const symlinks: string[] = []
    // Components still to walk, the next one last: taking it is O(1), where shift() would make a
    // deep path cost the square of its depth.
    const pending = absolute
      .split('/')
      .filter((part) => part && part !== '.')
      .reverse()
    const rest = (): string[] => [...pending].reverse()
    const stack: number[] = [ROOT]
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
      const children = this.children.get(stack.at(-1)!)
      if (!children) return {found: false, error: 'not-a-directory', path: here(), symlinks}
      const child = children.get(part)
      if (child === undefined) return {found: false, error: 'not-found', path: joinPath(here(), part, ...rest()), symlinks}
      if (this.types[child] === SYMLINK && (pending.length > 0 || followLast)) {
        const linkTarget = this.extras.get(child)?.linkTarget ?? ''
        symlinks.push(`${joinPath(here(), part)} -> ${linkTarget}`)
        if (symlinks.length > MAX_SYMLINKS) return {found: false, error: 'loop', path: joinPath(here(), part), symlinks}
        const target = linkTarget.split('/').filter((p) => p && p !== '.')
        if (linkTarget.startsWith('/')) {
          stack.length = 1
          names.length = 0
        }
        for (let i = target.length - 1; i >= 0; i--) pending.push(target[i])
        continue
      }
      stack.push(child)
      names.push(part)
    }
    return {found: true, id: stack.at(-1)!, path: here(), symlinks}
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
    const walk = function* (fs: ImageFilesystem, dir: number, prefix: string): Generator<{path: string; node: FsNode}> {
      for (const [name, child] of fs.children.get(dir)!) {
        // Names are single components: appending is enough (normalising would cost the square of the depth).
        const path = prefix === '/' ? `/${name}` : `${prefix}/${name}`
        if (fs.types[child] === DIRECTORY) yield* walk(fs, child, path)
        else if (fs.types[child] === FILE) yield {path, node: fs.node(child)}
      }
    }
    yield* walk(this, ROOT, '/')
  }

  /** An opaque directory keeps only what its own layer wrote into it (including deeper down); returns the paths removed. */
  private pruneLowerLayers(dir: number, path: string, layer: number): string[] {
    const removed: string[] = []
    const children = this.children.get(dir)!
    for (const [name, child] of children) {
      const childPath = path === '/' ? `/${name}` : `${path}/${name}`
      if (this.types[child] === DIRECTORY) {
        const below = this.pruneLowerLayers(child, childPath, layer)
        if (this.layers[child] < layer && this.children.get(child)!.size === 0) {
          this.remove(children, name)
          removed.push(childPath)
        } else {
          for (const path of below) removed.push(path)
        }
      } else if (this.layers[child] < layer) {
        this.remove(children, name)
        removed.push(childPath)
      }
    }
    return removed
  }
}

function joinPath(...parts: string[]): string {
  return normalizePath(parts.join('/'))
}
