import { ErrorBody } from '@glimpse/contract';

/** Documents the error answers a route can give, all in the one error shape. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}
