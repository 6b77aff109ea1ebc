/**
 * Worker-thread side of the worker detector: one onnxruntime session per thread. onnxruntime-node
 * runs inference synchronously on the calling thread, so a session on the main thread would stall
 * frame reading, tracking and MQTT while it runs; here it stalls only this worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { youngGenerationCollector } from '../common/young-gc.js';
import { createOnnxDetector, type OnnxDetectorOptions } from './onnx-detector.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const detector = await createOnnxDetector(workerData as OnnxDetectorOptions);
const port = parentPort!;
// Each run leaves onnxruntime-node's copy of the output (1.2 MB for YOLOX-Nano) behind: collected
// after every frame, while the main thread handles the reply, instead of ~64 MB at a time.
const collectGarbage = youngGenerationCollector();
port.on('message', (req: WorkerRequest) => {
  if (req.type === 'close') {
    void detector.close().then(() => port.close());
    return;
  }
  const frame = { width: req.width, height: req.height, data: Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength) };
  const back = req.returnData ? { data: req.data } : {};
  const transfer = req.returnData ? [req.data.buffer as ArrayBuffer] : [];
  detector.detectTimed(frame, req.region).then(
    ({ objects, timings }) => {
      port.postMessage({ id: req.id, objects, timings, ...back } satisfies WorkerReply, transfer);
      collectGarbage();
    },
    (err: Error) => port.postMessage({ id: req.id, error: err.message, ...back } satisfies WorkerReply, transfer),
  );
});
port.postMessage({ id: -1, ready: true } satisfies WorkerReply);
