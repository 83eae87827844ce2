// Modules of the undici package that it exports but does not type (transport.ts imports them
// instead of undici's index, which loads undici's fetch, WebSocket and caches as well).
declare module 'undici/lib/dispatcher/agent.js' {
  import type {Agent} from 'undici'

  const agent: typeof Agent
  export default agent
}

declare module 'undici/lib/api/api-request.js' {
  import type {Dispatcher} from 'undici'

  /** undici's request API, called with the dispatcher to send through as `this`. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>
  export default request
}
