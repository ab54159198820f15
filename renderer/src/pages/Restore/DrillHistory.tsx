// Drill history for a VM: every drill with its recovery time against the target, the trend chart, and report downloads.
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartFrame } from '../../components/charts/ChartFrame';
import { chartStyle, shortTime } from '../../components/charts/tooltip';
import { ErrorNote } from '../../components/ErrorNote';
import { RtoCell } from '../../components/results/DrillResultView';
import { useDownloadDrillReport } from '../../features/drills/mutations';
import { useDrills, useDrillTrend } from '../../features/drills/queries';
import { when } from '../../format';
import { useThemeColors } from '../../hooks/useThemeColors';

function Trend({ vmId }: { vmId: string }) {
  const trend = useDrillTrend(vmId);
  const c = useThemeColors();
  const s = chartStyle(c);
  if (trend.isError) return <ErrorNote title="No trend" error={trend.error} />;
  const data = (trend.data ?? []).map((p) => ({
    t: Date.parse(p.time),
    recovery: p.recoverySeconds,
    target: p.rtoSeconds,
    status: p.status,
  }));
  const target = data.find((d) => d.target !== null)?.target ?? null;
  return (
    <ChartFrame
      title="Recovery time per drill"
      note={target ? `target ${target} s` : 'no target set'}
      testId="drill-trend"
    >
      {data.length === 0 ? (
        <p className="muted">No drills yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid {...s.grid} />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={shortTime}
              {...s.axis}
            />
            <YAxis unit=" s" {...s.axis} width={56} />
            <Tooltip
              {...s.tooltip}
              labelFormatter={(v) => shortTime(Number(v))}
              formatter={(v) => [`${Number(v).toFixed(1)} s`, 'recovery']}
            />
            <Legend wrapperStyle={{ fontSize: 12, color: c.muted }} />
            {target !== null && (
              <ReferenceLine
                y={target}
                stroke={c.bad}
                strokeDasharray="6 4"
                label={{ value: 'target', fill: c.bad, fontSize: 11, position: 'insideTopRight' }}
              />
            )}
            <Line
              type="monotone"
              dataKey="recovery"
              name="measured recovery (s)"
              stroke={c.accent}
              strokeWidth={2}
              dot={{ r: 4 }}
              isAnimationActive={false}
              connectNulls
            />
          </LineChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}

export function DrillHistory({ vmId }: { vmId: string }) {
  const drills = useDrills(vmId);
  const report = useDownloadDrillReport();
  return (
    <section className="card" aria-labelledby="drill-history-title">
      <h2 id="drill-history-title">Drill history</h2>
      {drills.isError ? (
        <ErrorNote title="Could not read the drill history" error={drills.error} />
      ) : (
        <>
          <Trend vmId={vmId} />
          {(drills.data ?? []).length === 0 ? (
            <p className="muted">
              {drills.isPending ? 'Reading…' : 'No drill has run for this VM.'}
            </p>
          ) : (
            <table className="grid" data-testid="drill-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Result</th>
                  <th>Recovery time vs target</th>
                  <th>Trigger</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {[...(drills.data ?? [])].reverse().map((d) => {
                  const v = d.vms.find((x) => x.vmId === vmId) ?? d.vms[0];
                  return (
                    <tr key={d.id}>
                      <td>{when(d.startedAt)}</td>
                      <td>
                        <span className={`state ${d.status === 'passed' ? 'succeeded' : 'failed'}`}>
                          {d.status}
                        </span>
                        {d.failure && <div className="bad small">{d.failure}</div>}
                      </td>
                      <td>
                        {v && (
                          <RtoCell
                            seconds={v.recoverySeconds}
                            target={v.rtoSeconds}
                            met={v.rtoMet}
                            margin={v.rtoMarginSeconds}
                          />
                        )}
                      </td>
                      <td className="small">{d.trigger}</td>
                      <td>
                        <button
                          type="button"
                          className="small"
                          onClick={() => report.mutate(d.id)}
                          disabled={report.isPending}
                        >
                          Report
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
