import { OctaviaError } from '../../common/errors.ts'

/**
 * The caller could not be established (spec/api-v2.md §3.1): 401 before any routing, policy or
 * validation. `wwwAuthenticate` is the challenge to send back, when the engine has one
 * (Keystone's `Keystone uri="<identity endpoint>"`).
 */
export class Unauthorized extends OctaviaError {
  readonly kind = 'unauthorized'
  constructor(message = 'The request you have made requires authentication.', readonly wwwAuthenticate: string | null = null) {
    super(message)
  }
}
