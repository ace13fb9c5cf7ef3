import { haproxyWord } from './haproxy-word.ts'

// The request line and status variables mean nothing on a TCP-mode frontend (spec/haproxy-mapping.md §4).
const HTTP_ONLY_VARIABLES = /%\{\+Q\}r(?![A-Za-z])|%r(?![A-Za-z])|%\{\+Q\}ST(?![A-Za-z])|%ST(?![A-Za-z])/g

/**
 * The `log-format` argument of a listener's frontend: [haproxy_amphora] user_log_format with
 * `{{ project_id }}` and `{{ lb_id }}` filled in, as one configuration word.
 */
export function tenantLogFormat(format: string, values: { project_id: string | null; lb_id: string }, httpMode: boolean): string {
  const substituted = format
    .replace(/\{\{\s*project_id\s*\}\}/g, () => literal(values.project_id ?? ''))
    .replace(/\{\{\s*lb_id\s*\}\}/g, () => literal(values.lb_id))
  const text = httpMode ? substituted : substituted.replace(HTTP_ONLY_VARIABLES, '-')
  return text.replace(/[ #]/g, (ch) => `\\${ch}`)
}

/** A value written into a log-format: `%` doubled so it is not a variable, spaces left for the caller's escaping. */
function literal(value: string): string {
  if (value === '') return '-'
  return haproxyWord(value.replace(/%/g, '%%')).replace(/\\ /g, ' ')
}
