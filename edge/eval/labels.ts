/**
 * The labels `edge eval` scores a camera against: per clip, the violations a person saw in it and
 * when the box should have discovered each (the labelled start). Documented in docs/edge.md.
 */
import { z } from 'zod';
import { violationType } from '../../contract/index.js';
import { loadConfigFile, resolveFromConfig } from '../../common/config-file.js';

const unit = z.number().min(0).max(1);

export const labelledViolation = z
  .object({
    type: violationType,
    zone: z.string().min(1).describe('Zone id in the camera config.'),
    start: z.number().min(0).describe('Seconds into the clip when the violation should be discovered (after the zone\'s dwell).'),
    end: z.number().min(0).optional().describe('Seconds into the clip when it is over; none: it lasts to the end of the clip.'),
    box: z.tuple([unit, unit, unit, unit]).optional().describe('Approximate [x1, y1, x2, y2], normalised 0..1.'),
  })
  .strict()
  .refine((v) => v.end === undefined || v.end > v.start, { message: 'end must be after start', path: ['end'] })
  .refine((v) => !v.box || (v.box[2] > v.box[0] && v.box[3] > v.box[1]), { message: 'box must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1', path: ['box'] });

export const labelledClip = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    // A path is read as is; a recipe name is made with ffmpeg into the cache when missing (recipes.ts).
    video: z.union([z.string().min(1), z.object({ generate: z.string().min(1) }).strict()]),
    config: z.string().min(1).optional().describe('Edge config for this clip; default the --config of the command.'),
    camera: z.string().min(1).optional().describe('Camera of that config whose zones and fps to use; default its first.'),
    violations: z.array(labelledViolation).default([]),
  })
  .strict();

export const labelsFile = z
  .object({ clips: z.array(labelledClip).min(1) })
  .strict()
  .refine((f) => new Set(f.clips.map((c) => c.id)).size === f.clips.length, { message: 'clip ids must be unique', path: ['clips'] });

export type LabelledViolation = z.output<typeof labelledViolation>;
export type LabelledClip = z.output<typeof labelledClip>;

/** Reads a labels file; video and config paths become absolute, relative to the labels file. */
export function loadLabels(file: string): LabelledClip[] {
  return loadConfigFile(labelsFile, file).clips.map((c) => ({
    ...c,
    video: typeof c.video === 'string' ? resolveFromConfig(file, c.video) : c.video,
    config: c.config === undefined ? undefined : resolveFromConfig(file, c.config),
  }));
}
