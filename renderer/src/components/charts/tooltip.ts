// Shared recharts styling derived from the theme: axes, grid and tooltip colours.
import type { ThemeColors } from '../../hooks/useThemeColors';

export function chartStyle(c: ThemeColors) {
  return {
    axis: { stroke: c.muted, fontSize: 11, tick: { fill: c.muted, fontSize: 11 } },
    grid: { stroke: c.line, strokeDasharray: '3 3' },
    tooltip: {
      contentStyle: {
        background: c.panel,
        border: `1px solid ${c.line}`,
        borderRadius: 6,
        color: c.text,
        fontSize: 12,
      },
      labelStyle: { color: c.text },
      itemStyle: { color: c.text },
    },
  };
}

export function shortTime(iso: string | number): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
}
