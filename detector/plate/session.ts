/** onnxruntime sessions for the plate models, with the same settings as the object detector's. */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../models/errors.js';

export async function openSession(modelPath: string, threads = 1): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Plates are read a few times a minute: an arena would keep the largest run's buffers for good.
    enableCpuMemArena: false,
    // No busy-waiting between runs: the box's two cores are shared with the video pipeline.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    logSeverityLevel: 3,
  });
}

/** The graph must have the named input and output, or it is not the model we were told it is. */
export async function expectIo(session: ort.InferenceSession, path: string, input: string, output: string): Promise<void> {
  const problems: string[] = [];
  if (!session.inputNames.includes(input)) problems.push(`no input "${input}" (has ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(output)) problems.push(`no output "${output}" (has ${session.outputNames.join(', ')})`);
  if (problems.length === 0) return;
  await session.release();
  throw new ModelError('MODEL_MISMATCH', `model file ${path} is not the expected model: ${problems.join('; ')}`);
}
