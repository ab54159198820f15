// An inline error message with the error code; a missing service method is shown as a notice, not a crash.
import { describeError, isUnavailable } from './errorText';

export function ErrorNote({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const gap = isUnavailable(error);
  return (
    <div className={`note ${gap ? 'warn' : 'bad'}`} role="alert">
      {title && <strong>{title}: </strong>}
      {describeError(error)}
      {onRetry && !gap && (
        <button type="button" className="small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
