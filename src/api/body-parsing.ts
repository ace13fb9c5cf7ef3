import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput } from '../common/errors.ts'
import { toFault } from './fault.ts'

// spec/api-v2.md §3.2: oslo's sizelimit default; larger bodies get 413 before anything else.
export const BODY_LIMIT_BYTES = 114_688

// WSME's JSON protocol answers to these media types (parameters such as charset are ignored).
const JSON_MEDIA_TYPES = new Set(['application/json', 'text/javascript', 'application/javascript'])

// Fastify never reads a body for these.
const BODYLESS_METHODS = new Set(['GET', 'HEAD'])

/**
 * Request bodies as Octavia reads them (spec/api-v2.md §3.2). A body is read whole in preParsing
 * (so every answer is Octavia's, never Fastify's): over 114688 bytes → 413; a non-empty body
 * whose Content-Type is not JSON (or absent) → 415 `Unknown mimetype: <type>`; undecodable
 * → 400 `Request is not in valid JSON format`. Routes then see the decoded JSON value in
 * `request.body`, or `undefined` for an empty body (each route decides whether it needs one).
 */
export function registerBodyParsing(app: FastifyInstance): void {
  const bodies = new WeakMap<FastifyRequest, unknown>()

  app.removeAllContentTypeParsers()
  // Every media type reaches this parser; the body was already decided in preParsing.
  app.addContentTypeParser('*', async (req: FastifyRequest) => bodies.get(req))

  app.addHook('preParsing', async (req, reply, payload) => {
    if (BODYLESS_METHODS.has(req.method)) return payload
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > BODY_LIMIT_BYTES) return tooLarge(reply)
    const read = await readBody(payload, BODY_LIMIT_BYTES)
    if (read === 'too-large') return tooLarge(reply)
    if (read === 'aborted') return clientFault(reply, 400, 'Request body could not be read')
    if (read.length === 0) {
      // upstream ignores an empty body whatever its Content-Type; keep Fastify from judging a type it will never parse.
      delete req.headers['content-type']
      return Readable.from([])
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (!JSON_MEDIA_TYPES.has(mediaType.toLowerCase())) return clientFault(reply, 415, `Unknown mimetype: ${mediaType}`)
    bodies.set(req, decodeJson(read))
    return Readable.from([])
  })
}

function decodeJson(bytes: Buffer): unknown {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it as Python's json does.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
  } catch {
    // Invalid UTF-8 and invalid JSON are the same client mistake.
    throw new InvalidInput('Request is not in valid JSON format')
  }
}

/** The whole body, or why it could not be had; stops collecting (without destroying the socket) past the limit. */
function readBody(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (result: Buffer | 'too-large' | 'aborted') => {
      payload.removeListener('data', onData)
      payload.removeListener('end', onEnd)
      payload.removeListener('error', onError)
      resolve(result)
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += buffer.length
      if (size > limit) {
        payload.pause()
        finish('too-large')
      } else {
        chunks.push(buffer)
      }
    }
    const onEnd = () => finish(Buffer.concat(chunks))
    const onError = () => finish('aborted')
    payload.on('data', onData)
    payload.on('end', onEnd)
    payload.on('error', onError)
  })
}

function tooLarge(reply: FastifyReply): FastifyReply {
  // The rest of the body is never read, so the connection cannot be reused.
  reply.header('connection', 'close')
  return clientFault(reply, 413, 'Request is too large.')
}

/** Octavia's fault envelope with a status no error kind maps to (413, 415); `return reply` ends the hook chain. */
function clientFault(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send(toFault(new InvalidInput(message)).body)
}
