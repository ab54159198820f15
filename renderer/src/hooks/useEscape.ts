// Calls a handler when Escape is pressed (panels and dialogs close with it), unless a dialog above has taken it.
import { useEffect, useRef } from 'react';

export function useEscape(handler: () => void, active = true): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      // An open modal dialog handles its own Escape first.
      if (
        document.querySelector('dialog[open]') &&
        !(e.target instanceof Node && document.querySelector('dialog[open]')?.contains(e.target))
      )
        return;
      e.preventDefault();
      ref.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [active]);
}
