/**
 * KPIs for the supervisor: the centre's figures for the chosen range, with discovery → handled
 * (median, 90th percentile) against the SLA target, SLA compliance over time, and per camera the
 * detections and the share rejected — the cameras that raise false alarms stand out in red.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { KpiGroup, KpiSeries, WorkOrder } from '../api-types';
import { useApp } from '../context';
import { useStore } from '../store';
import { BarChart, LineChart } from './charts';

type Range = '24h' | '7d' | '30d';
const RANGES: Range[] = ['24h', '7d', '30d'];
/** Refetch at most this often while orders keep changing. */
const REFRESH_MS = 2000;
/** A camera whose closed orders are rejected this often is flagged. */
const FALSE_ALARM_SHARE = 0.3;

const minutes = (s: number | null): number | null => (s === null ? null : s / 60);

export function KpisView() {
  const app = useApp();
  const { t, fmt, settings } = app;
  const store = useStore(app.store);
  const [range, setRange] = useState<Range>('7d');
  const [data, setData] = useState<KpiSeries | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => {
      api<KpiSeries>(`/api/kpis/series?range=${range}`).then((d) => {
        setData(d);
        setError(null);
      }, (err: Error) => setError(err.message));
    }, data ? REFRESH_MS : 0);
    return () => clearTimeout(timer);
  }, [range, store.orderChanges]);

  if (!data) return <div class="kpis"><p class={error ? 'error' : 'muted'}>{error ?? t('common.loading')}</p></div>;
  const o = data.overall;
  const labels = data.buckets.map((b) => (data.bucket === 'hour' ? `${b.key.slice(11)}:00` : b.key.slice(5)));
  const cams = Object.entries(data.byCamera).map(([key, g]) => {
    const [d, c] = key.split('/');
    return { key, name: app.cameraName(d, c), g };
  });
  // Teams whose officers resolved camera orders in the range, highest reopen rate first.
  const teams = Object.entries(data.byTeam)
    .map(([id, g]) => ({ name: settings.teams.find((tm) => tm.id === id)?.name ?? id, v: g.verification }))
    .filter(({ v }) => v.resolvedByOfficer > 0)
    .sort((a, b) => (b.v.reopenRate ?? 0) - (a.v.reopenRate ?? 0));
  const reopenRate = (v: KpiGroup['verification']): string => t('kpi.reopenRate', { share: fmt.percent(v.reopenRate), reopened: v.reopened, resolved: v.resolvedByOfficer });
  return (
    <div class="kpis" data-testid="kpis">
      <div class="kpi-bar">
        <h2>{t('kpi.title')}</h2>
        <div class="segmented" role="group">
          {RANGES.map((r) => (
            <button type="button" key={r} class={r === range ? 'selected' : ''} data-testid={`range-${r}`} onClick={() => setRange(r)}>{t(`kpi.range.${r}`)}</button>
          ))}
        </div>
        {error && <span class="error">{error}</span>}
      </div>
      <div class="tiles">
        <Tile id="orders" label={t('kpi.orders')} value={String(o.orders)} sub={t('kpi.openClosed', { open: o.open, closed: o.closed })} />
        <Tile id="compliance" label={t('kpi.compliance')} value={fmt.percent(o.slaCompliance)} sub={t('kpi.judged', { met: o.slaMet, judged: o.slaJudged })} tone={tone(o.slaCompliance, 0.9, 0.7)} />
        <Tile id="resolve" label={t('kpi.toResolve')} value={mins(fmt, o.discoveryToResolve.medianSeconds, t)} sub={`P90 ${mins(fmt, o.discoveryToResolve.p90Seconds, t)}`} />
        <Tile id="dispatch" label={t('kpi.toDispatch')} value={mins(fmt, o.discoveryToDispatch.medianSeconds, t)} sub={`P90 ${mins(fmt, o.discoveryToDispatch.p90Seconds, t)}`} />
        <Tile id="rejected" label={t('kpi.rejected')} value={fmt.percent(o.rejectedShare)} sub={t('kpi.selfCleared', { share: fmt.percent(o.selfClearedShare) })} />
        <Tile id="resolved" label={t('kpi.resolved')} value={String(o.byState.resolved ?? 0)} sub={t('kpi.rejectedCount', { n: o.byState.rejected ?? 0 })} />
        <Tile id="verified" label={t('kpi.verified')} value={String(o.verification.verified)} sub={reopenRate(o.verification)} />
      </div>
      <div class="charts">
        <section>
          <h3>{t('kpi.chart.handling')}</h3>
          <LineChart
            testId="chart-handling"
            labels={labels}
            unit={t('unit.min')}
            target={{ value: settings.sla.targetMinutes, label: t('kpi.target', { n: settings.sla.targetMinutes }) }}
            series={[
              { name: t('kpi.median'), tone: 'a', values: data.buckets.map((b) => minutes(b.kpi.discoveryToResolve.medianSeconds)) },
              { name: 'P90', tone: 'b', values: data.buckets.map((b) => minutes(b.kpi.discoveryToResolve.p90Seconds)) },
            ]}
          />
          <p class="legend"><i class="swatch a" /> {t('kpi.median')} <i class="swatch b" /> P90 <i class="swatch target" /> {t('kpi.target', { n: settings.sla.targetMinutes })}</p>
        </section>
        <section>
          <h3>{t('kpi.chart.compliance')}</h3>
          <LineChart testId="chart-compliance" labels={labels} unit="%" max={100} series={[{ name: t('kpi.compliance'), tone: 'a', values: data.buckets.map((b) => (b.kpi.slaCompliance === null ? null : b.kpi.slaCompliance * 100)) }]} />
        </section>
        <section>
          <h3>{t('kpi.chart.perCamera')}</h3>
          {cams.length === 0 ? <p class="muted">{t('kpi.noData')}</p> : (
            <BarChart testId="chart-cameras" bars={[...cams].sort((a, b) => b.g.orders - a.g.orders).map((c) => ({ label: c.name, value: c.g.orders, text: String(c.g.orders) }))} />
          )}
        </section>
        <section>
          <h3>{t('kpi.chart.rejection')}</h3>
          {cams.length === 0 ? <p class="muted">{t('kpi.noData')}</p> : (
            <BarChart
              testId="chart-rejection"
              max={1}
              bars={[...cams].sort((a, b) => (b.g.rejectedShare ?? -1) - (a.g.rejectedShare ?? -1)).map((c) => ({
                label: c.name,
                value: c.g.rejectedShare ?? 0,
                text: `${fmt.percent(c.g.rejectedShare)} (${c.g.byState.rejected ?? 0}/${c.g.closed})`,
                alarm: (c.g.rejectedShare ?? 0) >= FALSE_ALARM_SHARE,
              }))}
            />
          )}
        </section>
        <section>
          <h3>{t('kpi.chart.bySource')}</h3>
          {Object.keys(data.bySource).length === 0 ? <p class="muted">{t('kpi.noData')}</p> : (
            <BarChart
              testId="chart-sources"
              bars={Object.entries(data.bySource).map(([source, g]) => ({
                label: t(`source.${source as WorkOrder['source']}`),
                value: g.orders,
                text: `${g.orders} · ${t('kpi.compliance')} ${fmt.percent(g.slaCompliance)}`,
              }))}
            />
          )}
        </section>
        <section>
          <h3>{t('kpi.chart.reopenPerTeam')}</h3>
          {teams.length === 0 ? <p class="muted">{t('kpi.noData')}</p> : (
            <BarChart
              testId="chart-reopen"
              max={1}
              bars={teams.map(({ name, v }) => ({
                label: name,
                value: v.reopenRate ?? 0,
                text: t('kpi.teamVerified', { share: fmt.percent(v.reopenRate), reopened: v.reopened, resolved: v.resolvedByOfficer, verified: v.verified }),
              }))}
            />
          )}
        </section>
      </div>
    </div>
  );
}

function Tile({ id, label, value, sub, tone: toneClass }: { id: string; label: string; value: string; sub: string; tone?: string }) {
  return (
    <div class={`tile ${toneClass ?? ''}`} data-testid={`kpi-${id}`}>
      <span class="label">{label}</span>
      <span class="value" data-testid={`kpi-${id}-value`}>{value}</span>
      <span class="sub">{sub}</span>
    </div>
  );
}

function tone(share: number | null, good: number, fair: number): string {
  if (share === null) return '';
  return share >= good ? 'good' : share >= fair ? 'fair' : 'bad';
}

function mins(fmt: ReturnType<typeof useApp>['fmt'], seconds: KpiGroup['discoveryToResolve']['medianSeconds'], t: ReturnType<typeof useApp>['t']): string {
  return seconds === null ? fmt.number(null) : `${fmt.number(seconds / 60, 1)} ${t('unit.min')}`;
}
