// Reads the theme's CSS variables as plain colours for SVG charts (recharts needs concrete values), per theme.
import { useMemo } from 'react';
import { useUi } from '../state/ui';

export interface ThemeColors {
  text: string;
  muted: string;
  line: string;
  panel: string;
  accent: string;
  ok: string;
  warn: string;
  bad: string;
  series: string[];
}

export function useThemeColors(): ThemeColors {
  const theme = useUi((s) => s.theme);
  return useMemo(() => {
    const css = getComputedStyle(document.documentElement);
    const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const c = {
      text: v('--text', '#e5ecf8'),
      muted: v('--muted', '#8a9bbb'),
      line: v('--line', '#26324d'),
      panel: v('--panel', '#111a2e'),
      accent: v('--accent', '#4f9cf7'),
      ok: v('--ok', '#34c38f'),
      warn: v('--warn', '#f5b94a'),
      bad: v('--bad', '#f0616d'),
      violet: v('--violet', '#a78bfa'),
    };
    return { ...c, series: [c.accent, c.ok, c.warn, c.violet, c.bad] };
    // The theme attribute changes the variables; re-read them when it flips.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [theme]);
}
