import { formatPath, isMapping, type Path } from './option.ts'

/**
 * The pillar as merged from every layer (files in order, then env, then --set), remembering for
 * each key which layer gave it last, so a message can name the file a bad value came from.
 * Mappings merge key by key; any other value (lists included) replaces what was there.
 */
export class PillarTree {
  readonly root: Record<string, unknown> = {}
  private readonly origins = new Map<string, string | undefined>()

  /** Merges a whole document; `source` is undefined for the embedded defaults. */
  merge(document: Record<string, unknown>, source: string | undefined): void {
    this.mergeInto(this.root, document, [], source)
  }

  /** Sets one key (an override), creating mappings on the way. */
  set(path: readonly string[], value: unknown, source: string): void {
    let node = this.root
    path.forEach((key, i) => {
      this.origins.set(formatPath(path.slice(0, i + 1)), source)
      if (i === path.length - 1) {
        node[key] = isMapping(value) ? this.mergeInto({}, value, path, source) : value
        return
      }
      if (!isMapping(node[key])) node[key] = {}
      node = node[key] as Record<string, unknown>
    })
  }

  get(path: readonly string[]): unknown {
    let node: unknown = this.root
    for (const key of path) {
      if (!isMapping(node)) return undefined
      node = node[key]
    }
    return node
  }

  /** The layer that gave this key, or the nearest enclosing key that has one. */
  sourceOf(path: Path): string | undefined {
    for (let end = path.length; end > 0; end--) {
      const key = formatPath(path.slice(0, end))
      if (this.origins.has(key)) return this.origins.get(key)
    }
    return undefined
  }

  private mergeInto(target: Record<string, unknown>, overlay: Record<string, unknown>, at: readonly string[], source: string | undefined): Record<string, unknown> {
    for (const [key, value] of Object.entries(overlay)) {
      const path = [...at, key]
      this.origins.set(formatPath(path), source)
      if (isMapping(value)) {
        const existing = target[key]
        target[key] = this.mergeInto(isMapping(existing) ? existing : {}, value, path, source)
      } else {
        target[key] = value
      }
    }
    return target
  }
}
