import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EX_CONFIG } from '../common/config-file.js';
import { ConfigError, loadEdgeConfig } from './config.js';
import { initEdgeConfig } from './init.js';

// The agent, replay and doctor load onnxruntime and sharp: imported when their command runs, so
// commands that need neither (the centre's, `device`, `models`) start without them.

export function registerEdgeCommands(program: Command): void {
  const edge = program.command('edge').description('The pole agent: cameras in, violations out over MQTT.');

  edge
    .command('run')
    .description('Run the agent: read the cameras, detect violations, publish to the broker in the config.')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON)')
    .action(async (o: { config: string }) => {
      const config = loadEdgeConfig(resolve(o.config));
      const { runAgent } = await import('./agent.js');
      const agent = await runAgent(config);
      const stop = (signal: string) => {
        agent.logger.info({ signal }, 'stopping');
        void agent.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await agent.finished;
      await agent.stop();
    });

  edge
    .command('init')
    .description('Write the box\'s edge config from a bundle made by `streetwatch device add --bundle` on the centre.')
    .argument('<bundle>', 'the provisioning bundle (JSON or YAML)')
    .option('-c, --config <file>', 'edge config to write (YAML; the broker CA goes beside it)', 'edge.yaml')
    .option('--camera-source <url|file>', 'the first camera\'s stream URL or video file (default: a placeholder to edit)')
    .option('--force', 'overwrite an existing config and CA file')
    .action((bundle: string, o: { config: string; cameraSource?: string; force?: boolean }) => {
      const r = initEdgeConfig({ bundleFile: bundle, configFile: o.config, cameraSource: o.cameraSource, force: o.force });
      const lines = [`wrote ${r.configFile} for device ${r.deviceId} (mode 0600: it holds the broker password)`];
      if (r.caFile) lines.push(`wrote ${r.caFile} (the broker certificate the box trusts)`);
      if (r.placeholderCamera) lines.push('cameras[0].source is a placeholder: set the camera\'s stream URL or video file');
      lines.push('add the camera\'s zones, then check the box:', `  streetwatch edge doctor --config ${r.configFile}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  edge
    .command('doctor')
    .description('Check the box: config, cameras, models, broker login, clock against the centre, spool disk; exit 78 if the config is invalid, 1 if any other check fails.')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON)')
    .option('--json', 'print the results as JSON')
    .option('--seconds <n>', 'how long to watch each camera', '5')
    .action(async (o: { config: string; json?: boolean; seconds: string }) => {
      const seconds = Number(o.seconds);
      if (!(seconds > 0 && seconds <= 120)) throw new ConfigError(`--seconds: "${o.seconds}" is not a number of seconds (0-120]`);
      const file = resolve(o.config);
      const { doctorFailed, formatReport, runDoctor } = await import('./doctor.js');
      const results = await runDoctor(file, { seconds });
      const failed = doctorFailed(results);
      process.stdout.write(`${o.json ? JSON.stringify({ config: file, ok: !failed, results }) : formatReport(file, results)}\n`);
      if (failed) process.exitCode = results[0].check === 'config' && results[0].status === 'fail' ? EX_CONFIG : 1;
    });

  edge
    .command('replay')
    .description('Run the pipeline over a recorded video as fast as possible, without a broker, to tune zones.')
    .requiredOption('-v, --video <file>', 'recorded video file')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON)')
    .option('--camera <id>', 'camera whose zones and fps to use (default: the first)')
    .option('--events <out.jsonl>', 'write every message the agent would publish, one JSON object per line')
    .option('--evidence-dir <dir>', 'write the evidence photos (JPEG) here')
    .option('--start <iso>', 'wall time of the first frame (default: now)')
    .action(async (o: { video: string; config: string; camera?: string; events?: string; evidenceDir?: string; start?: string }) => {
      const startMs = parseStart(o.start);
      const config = loadEdgeConfig(resolve(o.config));
      const [{ withEdgeModels }, { replay }] = await Promise.all([import('./model-updates/load-detector.js'), import('./replay.js')]);
      await withEdgeModels(config, async ({ detector, plateReader, zoneModels }) => {
        const s = await replay({
          config, detector, plateReader, zoneModels, video: resolve(o.video), cameraId: o.camera, eventsFile: o.events, evidenceDir: o.evidenceDir,
          startMs, progress: process.stderr.isTTY,
        });
        const lines = [
          `camera ${s.cameraId}: ${s.frames} frames (${s.videoSeconds.toFixed(1)} s of video) in ${s.wallSeconds.toFixed(1)} s — ${s.fps.toFixed(1)} frames/s, ${s.inferences} inferences`,
          `detections: ${Object.entries(s.detections).map(([type, n]) => `${type} ${n}`).join(', ')}`,
          `messages: ${s.messages} (${s.evidencePhotos} evidence photos)${o.events ? ` → ${o.events}` : ''}`,
          ...Object.entries(s.zoneModels).map(
            ([id, m]) => `zone model ${id}: ${m.inferences} runs, ${(m.inferenceMsTotal / m.inferences).toFixed(1)} ms each, ${m.objects} objects in their zones`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  edge
    .command('eval')
    .description('Replay labelled clips and score the detections against the labels: true and false positives, misses, precision, recall, discovery delay per clip and type; exit 1 when a threshold is not met.')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON) of the clips whose label names none')
    .requiredOption('-l, --labels <file>', 'labels file (YAML; format in docs/edge.md#evaluating-a-camera-edge-eval)')
    .option('--json', 'print the report as JSON')
    .option('--min-precision <p>', 'exit 1 when the total precision is below p (0-1)')
    .option('--min-recall <r>', 'exit 1 when the total recall is below r (0-1)')
    .option('--max-delay <s>', 'exit 1 when a matched discovery comes more than s seconds after its labelled start')
    .option('--cache <dir>', 'where clips the labels ask to `generate` are made and kept', '.cache/eval')
    .option('--start <iso>', 'wall time of each clip\'s first frame (default: now)')
    .action(async (o: { config: string; labels: string; json?: boolean; minPrecision?: string; minRecall?: string; maxDelay?: string; cache: string; start?: string }) => {
      const thresholds = {
        minPrecision: parseNumber('--min-precision', o.minPrecision, 0, 1),
        minRecall: parseNumber('--min-recall', o.minRecall, 0, 1),
        maxDelay: parseNumber('--max-delay', o.maxDelay, -Infinity, Infinity),
      };
      const [{ runEval }, { evalReport, formatReport }] = await Promise.all([import('./eval/run-eval.js'), import('./eval/report.js')]);
      const clips = await runEval({
        labelsFile: resolve(o.labels), configFile: resolve(o.config), cacheDir: resolve(o.cache), startMs: parseStart(o.start),
        onClip: (id, video) => process.stderr.write(`replaying ${id} (${video})\n`),
      });
      const report = evalReport(clips, thresholds);
      process.stdout.write(`${o.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
      if (report.unmet.length) process.exitCode = 1;
    });
}

function parseStart(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new ConfigError(`--start: "${iso}" is not an ISO 8601 time (e.g. 2026-11-26T08:00:00Z)`);
  return ms;
}

function parseNumber(option: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${option}: "${text}" is not a number${min > -Infinity ? ` in ${min}-${max}` : ''}`);
  return n;
}
