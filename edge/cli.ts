import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ConfigError, loadEdgeConfig } from './config.js';
import { loadDetector, loadEdgePlateReader } from './load-detector.js';
import { replay } from './replay.js';
import { runAgent } from './agent.js';

export function registerEdgeCommands(program: Command): void {
  const edge = program.command('edge').description('The pole agent: cameras in, violations out over MQTT.');

  edge
    .command('run')
    .description('Run the agent: read the cameras, detect violations, publish to the broker in the config.')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON)')
    .action(async (o: { config: string }) => {
      const config = loadEdgeConfig(resolve(o.config));
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
    .command('replay')
    .description('Run the pipeline over a recorded video as fast as possible, without a broker, to tune zones.')
    .requiredOption('-v, --video <file>', 'recorded video file')
    .requiredOption('-c, --config <file>', 'edge config (YAML or JSON)')
    .option('--camera <id>', 'camera whose zones and fps to use (default: the first)')
    .option('--events <out.jsonl>', 'write every message the agent would publish, one JSON object per line')
    .option('--evidence-dir <dir>', 'write the evidence photos (JPEG) here')
    .option('--start <iso>', 'wall time of the first frame (default: now)')
    .action(async (o: { video: string; config: string; camera?: string; events?: string; evidenceDir?: string; start?: string }) => {
      const startMs = o.start === undefined ? undefined : Date.parse(o.start);
      if (startMs !== undefined && Number.isNaN(startMs)) throw new ConfigError(`--start: "${o.start}" is not an ISO 8601 time (e.g. 2026-11-26T08:00:00Z)`);
      const config = loadEdgeConfig(resolve(o.config));
      const detector = await loadDetector(config);
      const plateReader = await loadEdgePlateReader(config).catch(async (err: unknown) => {
        await detector.close();
        throw err;
      });
      try {
        const s = await replay({
          config, detector, plateReader, video: resolve(o.video), cameraId: o.camera, eventsFile: o.events, evidenceDir: o.evidenceDir,
          startMs, progress: process.stderr.isTTY,
        });
        const lines = [
          `camera ${s.cameraId}: ${s.frames} frames (${s.videoSeconds.toFixed(1)} s of video) in ${s.wallSeconds.toFixed(1)} s — ${s.fps.toFixed(1)} frames/s, ${s.inferences} inferences`,
          `detections: illegal_parking ${s.detections.illegal_parking}, street_vending ${s.detections.street_vending}`,
          `messages: ${s.messages} (${s.evidencePhotos} evidence photos)${o.events ? ` → ${o.events}` : ''}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await Promise.all([detector.close(), plateReader?.close()]);
      }
    });
}
