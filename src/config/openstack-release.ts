import { INVALID, Leaf } from './option.ts'

/** OpenStack release series, oldest first; from 2023 on each also has a `YYYY.N` number. */
export const OPENSTACK_RELEASES = [
  'austin', 'bexar', 'cactus', 'diablo', 'essex', 'folsom', 'grizzly', 'havana', 'icehouse', 'juno',
  'kilo', 'liberty', 'mitaka', 'newton', 'ocata', 'pike', 'queens', 'rocky', 'stein', 'train',
  'ussuri', 'victoria', 'wallaby', 'xena', 'yoga', 'zed',
  'antelope', 'bobcat', 'caracal', 'dalmatian', 'epoxy', 'flamingo', 'gazpacho',
] as const
export type OpenStackRelease = (typeof OPENSTACK_RELEASES)[number]

export const RELEASE_NUMBERS: Readonly<Record<string, OpenStackRelease>> = {
  '2023.1': 'antelope', '2023.2': 'bobcat', '2024.1': 'caracal', '2024.2': 'dalmatian',
  '2025.1': 'epoxy', '2025.2': 'flamingo', '2026.1': 'gazpacho',
}

/** The default `version`: the newest release listed above. */
export const NEWEST_RELEASE: OpenStackRelease = 'gazpacho'

/**
 * `version`: a release name in any case, or its number (`2023.1`, which YAML reads as a number
 * unless quoted). Normalised to the lower-case name, so `2023.1` and `Antelope` agree.
 */
export function release(): Leaf<OpenStackRelease> {
  return new Leaf(`an OpenStack release name (austin ... ${NEWEST_RELEASE}) or number (2023.1 ... 2026.1)`, (input) => {
    const text = typeof input === 'number' ? input.toFixed(1) : typeof input === 'string' ? input.toLowerCase() : null
    if (text === null) return INVALID
    const name = RELEASE_NUMBERS[text] ?? text
    return (OPENSTACK_RELEASES as readonly string[]).includes(name) ? (name as OpenStackRelease) : INVALID
  }, true)
}
