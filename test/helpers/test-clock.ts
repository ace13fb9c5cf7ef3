import type { Clock } from '../../src/common/clock.ts'

/** A clock tests move by hand. */
export class TestClock implements Clock {
  #now: number

  constructor(start: Date | string = '2024-05-06T07:08:09.123Z') {
    this.#now = new Date(start).getTime()
  }

  now(): Date {
    return new Date(this.#now)
  }

  set(date: Date | string): void {
    this.#now = new Date(date).getTime()
  }

  advance(ms: number): Date {
    this.#now += ms
    return this.now()
  }
}
