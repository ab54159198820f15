// The corner stack of notices (errors of actions, confirmations), announced to screen readers.
import { useEffect } from 'react';
import { useNotices } from '../state/notices';

export function Notices() {
  const notices = useNotices((s) => s.notices);
  const dismiss = useNotices((s) => s.dismiss);
  useEffect(() => {
    const timers = notices
      .filter((n) => n.tone !== 'error')
      .map((n) => setTimeout(() => dismiss(n.id), 6000));
    return () => timers.forEach(clearTimeout);
  }, [notices, dismiss]);
  return (
    <div className="notices" aria-live="polite" aria-relevant="additions">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice ${n.tone}`}
          role={n.tone === 'error' ? 'alert' : 'status'}
        >
          <div>
            <strong>{n.title}</strong>
            {n.text && <div className="notice-text">{n.text}</div>}
          </div>
          <button
            type="button"
            className="ghost small"
            aria-label="Dismiss"
            onClick={() => dismiss(n.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
