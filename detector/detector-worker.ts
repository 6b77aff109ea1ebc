/**
 * Worker-thread side of the worker detector: one onnxruntime session per thread. onnxruntime-node
 * runs inference synchronously on the calling thread, so a session on the main thread would stall
 * frame reading, tracking and MQTT while it runs; here it stalls only this worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxDetector, type OnnxDetectorOptions } from './onnx-detector.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const detector = await createOnnxDetector(workerData as OnnxDetectorOptions);
const port = parentPort!;
port.on('message', (req: WorkerRequest) => {
  if (req.type === 'close') {
    void detector.close().then(() => port.close());
    return;
  }
  const frame = { width: req.width, height: req.height, data: Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength) };
  detector.detectTimed(frame).then(
    ({ objects, timings }) => port.postMessage({ id: req.id, objects, timings } satisfies WorkerReply),
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies WorkerReply),
  );
});
port.postMessage({ id: -1, ready: true } satisfies WorkerReply);
