import YAML from 'yaml'

/** YAML for `octavia config show`: block style, long strings unfolded, no anchors. */
export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })
}
