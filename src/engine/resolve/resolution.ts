import type {ImageNode, TreeNode} from '../../oci/types.js'
import type {Platform} from '../../oci/platform/types.js'

/** The pull clients whose platform choice archcheck models. */
export type ClientName = 'docker' | 'docker@20.10' | 'containerd' | 'podman' | 'exact'

/**
 * What a host gets from a tag:
 * - ok: the chosen image's declared platform and its config both fit the host natively;
 * - fallback: it runs only through an older variant or 32-bit mode;
 * - wrong-arch: the chosen image is for another architecture (exec format error expected);
 * - no-match: the client refuses the tag, or the image it picks is missing from the registry (the pull fails);
 * - ambiguous: several entries tie for best.
 */
export type Verdict = 'ok' | 'fallback' | 'wrong-arch' | 'no-match' | 'ambiguous'

/** One index entry as the client judged it. */
export interface Candidate {
  node: TreeNode
  /** The platform judged: the entry's declared one, or its config's when the entry has none. */
  platform?: Platform
  accepted: boolean
  /** Why it was accepted or rejected, in a user's words. */
  reason: string
  /** 1 for the client's first choice among accepted entries; undefined when rejected. */
  rank?: number
}

export interface Resolution {
  host: Platform
  client: ClientName
  verdict: Verdict
  /** The image the client pulls; undefined for no-match. */
  chosen?: ImageNode
  /** One sentence for a user, e.g. why a host is not ok. */
  message: string
  /** The client's own error text when it refuses (no-match), or its warning (Docker's single-platform warning). */
  clientMessage?: string
  candidates: Candidate[]
  /** For ambiguous: the digests of the other entries that tie with the chosen one. */
  tiedWith?: string[]
}
