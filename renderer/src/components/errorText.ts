// Turns any error into one honest sentence for the UI (unregistered methods are named as a version gap).
import { ApiError } from '../api/client';

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.unavailable) {
      return `This console service does not offer "${e.method}" yet: the contract declares it but no handler is registered. Update the service, then reload.`;
    }
    return `${e.message} [${e.code}]`;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isUnavailable(e: unknown): boolean {
  return e instanceof ApiError && e.unavailable;
}
