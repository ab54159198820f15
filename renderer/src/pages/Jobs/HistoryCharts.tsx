// Charts over the job history: duration, bytes read and written, change rate and dedupe ratio per run over time.
import { useMemo, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { JobHistoryRecord } from '../../../../shared/backup';
import { ChartFrame } from '../../components/charts/ChartFrame';
import { chartStyle } from '../../components/charts/tooltip';
import { bytes } from '../../format';
import { useThemeColors } from '../../hooks/useThemeColors';
import { historySeries } from './historySeries';

export function HistoryCharts({ history }: { history: JobHistoryRecord[] }) {
  const kinds = useMemo(() => [...new Set(history.map((h) => h.kind))], [history]);
  const [kind, setKind] = useState<string>('backup');
  const c = useThemeColors();
  const s = chartStyle(c);
  const data = useMemo(() => historySeries(history, kind || null), [history, kind]);
  const xProps = {
    dataKey: 'label',
    ...s.axis,
    interval: 'preserveStartEnd' as const,
    minTickGap: 24,
  };
  return (
    <section className="card" aria-labelledby="hist-title" data-testid="history-charts">
      <div className="row">
        <h2 id="hist-title">History</h2>
        <label>
          <span className="muted small">Jobs </span>
          <select
            value={kind}
            onChange={(e) => setKind(e.target.value)}
            aria-label="Which jobs the charts show"
          >
            <option value="">All kinds</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">{data.length} runs</span>
      </div>
      {data.length === 0 ? (
        <p className="muted">No finished {kind || ''} jobs yet.</p>
      ) : (
        <div className="charts">
          <ChartFrame title="Duration" note="seconds per run" testId="chart-duration">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid {...s.grid} />
                <XAxis {...xProps} />
                <YAxis {...s.axis} width={44} />
                <Tooltip
                  {...s.tooltip}
                  formatter={(v) => [`${Number(v).toFixed(1)} s`, 'duration']}
                />
                <Bar
                  dataKey="duration"
                  name="duration (s)"
                  fill={c.accent}
                  isAnimationActive={false}
                />
              </BarChart>
            </ResponsiveContainer>
          </ChartFrame>
          <ChartFrame title="Bytes read and written" note="per run" testId="chart-bytes">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid {...s.grid} />
                <XAxis {...xProps} />
                <YAxis {...s.axis} width={64} tickFormatter={(v: number) => bytes(v)} />
                <Tooltip {...s.tooltip} formatter={(v, n) => [bytes(Number(v)), n]} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Bar dataKey="read" name="read" fill={c.accent} isAnimationActive={false} />
                <Bar
                  dataKey="written"
                  name="written (stored)"
                  fill={c.ok}
                  isAnimationActive={false}
                />
              </BarChart>
            </ResponsiveContainer>
          </ChartFrame>
          <ChartFrame title="Change rate" note="changed ÷ logical bytes" testId="chart-change">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid {...s.grid} />
                <XAxis {...xProps} />
                <YAxis {...s.axis} width={44} unit="%" />
                <Tooltip
                  {...s.tooltip}
                  formatter={(v) => [
                    v === null ? 'n/a' : `${Number(v).toFixed(2)} %`,
                    'change rate',
                  ]}
                />
                <Line
                  type="monotone"
                  dataKey="changePct"
                  name="change rate (%)"
                  stroke={c.warn}
                  strokeWidth={2}
                  dot={{ r: 3 }}
                  isAnimationActive={false}
                  connectNulls
                />
              </LineChart>
            </ResponsiveContainer>
          </ChartFrame>
          <ChartFrame title="Dedupe ratio" note="read ÷ stored" testId="chart-dedupe">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid {...s.grid} />
                <XAxis {...xProps} />
                <YAxis {...s.axis} width={44} unit="×" />
                <Tooltip
                  {...s.tooltip}
                  formatter={(v) => [v === null ? 'n/a' : `${Number(v).toFixed(2)}×`, 'dedupe']}
                />
                <Line
                  type="monotone"
                  dataKey="dedupe"
                  name="dedupe ratio"
                  stroke={c.series[3]}
                  strokeWidth={2}
                  dot={{ r: 3 }}
                  isAnimationActive={false}
                  connectNulls
                />
              </LineChart>
            </ResponsiveContainer>
          </ChartFrame>
        </div>
      )}
    </section>
  );
}
