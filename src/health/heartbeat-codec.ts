import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'
import { MalformedHeartbeat, parseHeartbeatDocument, type HeartbeatDocument } from './heartbeat-document.ts'

// Octavia's heartbeat datagram (spec/heartbeat.md §2): zlib(JSON) followed by the HMAC-SHA256 of
// the compressed bytes, as 64 lowercase hex characters (current amphorae) or 32 raw bytes
// (legacy amphorae, accepted on receipt only). Shared by the agent and the health manager.

const HEX_DIGEST_LENGTH = 64
const BINARY_DIGEST_LENGTH = 32

/** The receiver reads datagrams with a 64 KiB buffer; longer ones cannot be valid. */
export const HEARTBEAT_MAX_DATAGRAM = 65536

// An authentic sender could still deflate a bomb; no real heartbeat inflates to this.
const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
// Output chunks under half of Buffer.poolSize come from the shared pool: zlib's default 16 KiB
// chunk is a fresh allocation per datagram, most of it unused (a heartbeat inflates to a few KiB).
const INFLATE_OPTIONS = { maxOutputLength: MAX_DOCUMENT_BYTES, chunkSize: 2048 }

export type HeartbeatDigest = 'hex' | 'binary'

export type HeartbeatRejection =
  /** No digest form matches (wrong key, forged, truncated, random), or the matching one unwraps to garbage. */
  | 'hmac'
  /** Authentic, but not a heartbeat document. */
  | 'malformed'
  /** Longer than the receive buffer. */
  | 'oversized'

export class HeartbeatRejected extends Error {
  constructor(readonly reason: HeartbeatRejection, message: string) {
    super(message)
    this.name = 'HeartbeatRejected'
  }
}

/** A key as decodeHeartbeat takes it: the option itself, its bytes, or heartbeatKey's (made once: a receiver's choice). */
export type HeartbeatKey = string | Buffer | KeyObject

/** The key as the amphora and the health manager both use it: the option's UTF-8 bytes, no derivation. */
function keyBytes(key: string | Buffer): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key
}

/** The key prepared once for every datagram a receiver checks. */
export function heartbeatKey(key: string | Buffer): KeyObject {
  return createSecretKey(keyBytes(key))
}

function hmac(key: Buffer | KeyObject, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(payload).digest()
}

/**
 * Wraps a document for the wire: JSON, zlib at level 9, then the digest (`hex` by default,
 * as Octavia's agent sends; `binary` only to imitate a legacy amphora in tests).
 */
export function encodeHeartbeat(document: HeartbeatDocument, key: string | Buffer, digest: HeartbeatDigest = 'hex'): Buffer {
  const payload = deflateSync(Buffer.from(JSON.stringify(document), 'utf8'), { level: 9 })
  const mac = hmac(keyBytes(key), payload)
  return Buffer.concat([payload, digest === 'hex' ? Buffer.from(mac.toString('hex'), 'latin1') : mac])
}

/** The inflated bytes, if `digest` authenticates `payload` and it inflates; undefined when not. */
function inflateAuthentic(payload: Buffer, digest: Buffer, expected: Buffer): Buffer | undefined {
  if (digest.length !== expected.length || !timingSafeEqual(digest, expected)) return undefined
  try {
    return inflateSync(payload, INFLATE_OPTIONS)
  } catch {
    // Authentic but not zlib: no document, rejected as a forgery is.
    return undefined
  }
}

/**
 * decodeHeartbeat's first half, for a receiver that parses elsewhere (heartbeat-socket-thread.ts):
 * checks the digest (hex, then legacy binary) and returns the inflated JSON text, unparsed.
 * Throws HeartbeatRejected ('oversized' or 'hmac').
 */
export function verifyHeartbeat(datagram: Buffer, key: HeartbeatKey): string {
  if (datagram.length > HEARTBEAT_MAX_DATAGRAM) throw new HeartbeatRejected('oversized', `datagram of ${datagram.length} bytes`)
  const secret = typeof key === 'string' ? keyBytes(key) : key
  let inflated: Buffer | undefined
  if (datagram.length > HEX_DIGEST_LENGTH) {
    const payload = datagram.subarray(0, datagram.length - HEX_DIGEST_LENGTH)
    const expected = Buffer.from(createHmac('sha256', secret).update(payload).digest('hex'), 'latin1')
    inflated = inflateAuthentic(payload, datagram.subarray(datagram.length - HEX_DIGEST_LENGTH), expected)
  }
  if (inflated === undefined && datagram.length > BINARY_DIGEST_LENGTH) {
    const payload = datagram.subarray(0, datagram.length - BINARY_DIGEST_LENGTH)
    inflated = inflateAuthentic(payload, datagram.subarray(datagram.length - BINARY_DIGEST_LENGTH), hmac(secret, payload))
  }
  if (inflated === undefined) throw new HeartbeatRejected('hmac', 'no digest form authenticates the datagram')
  return inflated.toString('utf8')
}

/**
 * decodeHeartbeat's second half: the document in a verified datagram's text. Text that is not
 * JSON is 'hmac', as decodeHeartbeat has it (no digest form yields a document); JSON that is
 * not a heartbeat is 'malformed'.
 */
export function parseHeartbeatText(text: string): HeartbeatDocument {
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    throw new HeartbeatRejected('hmac', 'the authenticated payload is not JSON')
  }
  try {
    return parseHeartbeatDocument(value)
  } catch (err) {
    if (err instanceof MalformedHeartbeat) throw new HeartbeatRejected('malformed', err.message)
    throw err
  }
}

/**
 * Verifies and unwraps one datagram: the trailing 64-byte hex digest first, then (legacy) a
 * trailing 32-byte binary digest; throws HeartbeatRejected when neither yields a document.
 */
export function decodeHeartbeat(datagram: Buffer, key: HeartbeatKey): HeartbeatDocument {
  return parseHeartbeatText(verifyHeartbeat(datagram, key))
}
