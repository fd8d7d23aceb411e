/** Headers of an async request, read before the handler returns (uWS frees the request). */
export interface RequestHead {
  method: string;
  path: string;
  query: string;
  authorization: string;
  contentType: string;
  contentLength: string;
  ifNoneMatch: string;
  /** Read only on routes that honour it (RouteSpec.isIdempotent); '' elsewhere. */
  idempotencyKey: string;
  /** The client's address, read for the login limits and the per-client limit; '' elsewhere. */
  client: string;
}
