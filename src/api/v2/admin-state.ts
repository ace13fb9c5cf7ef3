/** admin_state_up as a create stores it: absent means true, null means false (spec/api-v2.md §3.4). */
export function enabledOnCreate(adminStateUp: boolean | null | undefined): boolean {
  return adminStateUp === undefined ? true : adminStateUp === true
}
