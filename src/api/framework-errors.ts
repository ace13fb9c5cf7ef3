import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { InvalidInput } from '../common/errors.ts'
import { routingError, toFault } from './fault.ts'

/**
 * Server options so that mistakes Fastify and Node catch before any hook runs (a path that
 * does not percent-decode, an over-long path segment, a malformed HTTP request) are answered in
 * Octavia's shapes (spec/api-v2.md §4), never Fastify's `{error, message, statusCode}`.
 */
export const frameworkErrorOptions = {
  frameworkErrors: answerFrameworkError,
  // Long enough for a percent-encoded 255-character availability zone name.
  routerOptions: { maxParamLength: 2048 },
  clientErrorHandler: answerClientError,
} satisfies Pick<FastifyServerOptions, 'frameworkErrors' | 'routerOptions' | 'clientErrorHandler'>

function answerFrameworkError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-openstack-request-id', req.id)
  if (error.code === 'FST_ERR_BAD_URL') {
    reply.code(400).send(toFault(new InvalidInput(`Invalid URL: ${req.url}`)).body)
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // No object has a key this long (ids are 36 characters, names 255): the path names nothing.
    reply.code(404).send(routingError(404))
  } else {
    const fault = toFault(error)
    reply.code(fault.status).send(fault.body)
  }
}

/** Node's own answers to a request it cannot parse (408, 413, 431, else 400), with fault bodies. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408
    : err.code === 'HPE_HEADER_OVERFLOW' ? 431
      : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413
        : 400
  const reason = STATUS_CODES[status] ?? 'Bad Request'
  const body = JSON.stringify(toFault(new InvalidInput(reason)).body)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  socket.destroy(err)
}
