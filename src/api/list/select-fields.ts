/**
 * spec/api-v2.md §5.6: keeps only the named top-level attributes, in the object's order;
 * unknown names are ignored, nothing matching gives {}, and a comma is not a separator
 * (`fields=id,name` names one attribute "id,name"). `fields` undefined keeps everything.
 */
export function selectFields<T extends object>(objects: readonly T[], fields: readonly string[] | undefined): Array<Partial<T>> {
  if (fields === undefined) return [...objects]
  const wanted = new Set(fields)
  return objects.map((object) => Object.fromEntries(Object.entries(object).filter(([name]) => wanted.has(name))) as Partial<T>)
}
