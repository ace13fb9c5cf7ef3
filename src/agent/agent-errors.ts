/** Errors the agent's API answers with their status and `{message, details}` (spec/amphora-agent.md §1.2). */
export abstract class AgentError extends Error {
  abstract readonly status: number
  constructor(message: string, readonly details: string | null = null) {
    super(message)
  }
}

export class AmphoraNotFound extends AgentError {
  readonly status = 404
  constructor(id: string) {
    super('Amphora Not Found', `No amphora with id: ${id}`)
  }
}

export class InvalidRequest extends AgentError {
  readonly status = 400
}

export class AgentConflict extends AgentError {
  readonly status = 409
}

export class HaproxyError extends AgentError {
  readonly status = 500
}
