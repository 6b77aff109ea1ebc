/**
 * Tests only: real ONNX files for model-update tests, written as protobuf by hand (no onnx
 * package in JavaScript). `fakeYoloxOnnx` builds a graph with yolox_nano's interface (input
 * `images` [1,3,416,416], output `output` [1,anchors,85]) whose output is a constant chosen by the
 * test, one for dark frames and one for bright ones, so a model can pass a self-test on a dark
 * frame and misbehave on the camera's. `withDocString` makes a byte-different copy of a real model
 * (a new sha256, the same network), as a retrained release would be. `fakeYolov8Onnx` is a user's own
 * second-stage model (zone models) that always finds the same boxes.
 */
const YOLOX_ANCHORS = 3549;
const YOLOX_VALUES = 85;

// Protobuf wire format: varint (0), 32-bit (5) and length-delimited (2) fields.
const varint = (value: number): Buffer => {
  const out: number[] = [];
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // two's complement, as protobuf encodes negative int64
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Buffer.from(out);
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number) => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer) => Buffer.concat([key(field, 2), varint(value.length), value]);
const str = (field: number, value: string) => bytes(field, Buffer.from(value, 'utf8'));
const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));

const FLOAT = 1;
const ATTR = { INT: 2, TENSOR: 4, GRAPH: 5 } as const;

function floatTensor(field: number, dims: number[], values: Float32Array): Buffer {
  return msg(field, ...dims.map((d) => int(1, d)), int(2, FLOAT), bytes(9, Buffer.from(values.buffer, values.byteOffset, values.byteLength)));
}

function node(op: string, inputs: string[], outputs: string[], ...attributes: Buffer[]): Buffer {
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attributes);
}
const attr = (name: string, type: number, value: Buffer) => msg(5, str(1, name), int(20, type), value);

/** A float tensor type; dims are sizes or symbolic names. */
function valueInfo(field: number, name: string, dims?: (number | string)[]): Buffer {
  const shape = dims && msg(2, ...dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  return msg(field, str(1, name), msg(2, msg(1, int(1, FLOAT), ...(shape ? [shape] : []))));
}

export interface FakeHead {
  /** Anchors in the output (yolox_nano has 3549; another count makes the output the wrong shape). */
  anchors?: number;
  /** Value of every output element (default 0: nothing found). */
  fill?: number;
  /** Whole anchor rows by index: [dx, dy, log w, log h, objectness, 80 class scores]. */
  rows?: Record<number, number[]>;
}

function headValues(head: FakeHead): { dims: number[]; values: Float32Array } {
  const anchors = head.anchors ?? YOLOX_ANCHORS;
  const values = new Float32Array(anchors * YOLOX_VALUES).fill(head.fill ?? 0);
  for (const [row, v] of Object.entries(head.rows ?? {})) values.set(v, Number(row) * YOLOX_VALUES);
  return { dims: [1, anchors, YOLOX_VALUES], values };
}

/** A branch of the If: one Constant node giving the head's output. */
function branch(name: string, head: FakeHead): Buffer {
  const { dims, values } = headValues(head);
  return Buffer.concat([node('Constant', [], [name], attr('value', ATTR.TENSOR, floatTensor(5, dims, values))), str(2, name), valueInfo(12, name)]);
}

/**
 * The model answers `dark` when the mean input value (letterboxed, 0-255, padding 114) is below
 * `darkBelow`, else `bright` (default: the same as `dark`).
 */
export function fakeYoloxOnnx(opts: { dark: FakeHead; bright?: FakeHead; darkBelow?: number }): Buffer {
  const graph = Buffer.concat([
    node('ReduceMean', ['images'], ['mean'], attr('keepdims', ATTR.INT, int(3, 0))),
    node('Constant', [], ['threshold'], attr('value', ATTR.TENSOR, floatTensor(5, [], Float32Array.of(opts.darkBelow ?? 60)))),
    node('Less', ['mean', 'threshold'], ['dark']),
    node('If', ['dark'], ['output'],
      attr('then_branch', ATTR.GRAPH, msg(6, branch('dark_output', opts.dark))),
      attr('else_branch', ATTR.GRAPH, msg(6, branch('bright_output', opts.bright ?? opts.dark)))),
    str(2, 'fake_yolox'),
    valueInfo(11, 'images', [1, 3, 416, 416]),
    valueInfo(12, 'output', [1, 'anchors', YOLOX_VALUES]),
  ]);
  return Buffer.concat([int(1, 7), str(2, 'streetwatch-tests'), msg(7, graph), msg(8, str(1, ''), int(2, 13))]);
}

/** The same model with a doc string appended: other bytes and sha256, same graph and weights. */
export function withDocString(model: Buffer, text: string): Buffer {
  return Buffer.concat([model, str(6, text)]);
}

/** One box a fake YOLOv8 head always outputs, in network-input pixels. */
export interface FakeV8Box {
  cx: number;
  cy: number;
  w: number;
  h: number;
  classId: number;
  score: number;
}

/**
 * A user-style YOLOv8 export (Ultralytics layout: input `images` [1,3,size,size], output `output0`
 * [1, 4 + classes, anchors]) that outputs the same boxes whatever it is shown; other anchors score 0.
 */
export function fakeYolov8Onnx(opts: { size: number; classes: number; boxes: FakeV8Box[]; anchors?: number }): Buffer {
  const anchors = opts.anchors ?? 64;
  const rows = 4 + opts.classes;
  const values = new Float32Array(rows * anchors);
  opts.boxes.forEach((b, i) => {
    [b.cx, b.cy, b.w, b.h].forEach((v, r) => (values[r * anchors + i] = v));
    values[(4 + b.classId) * anchors + i] = b.score;
  });
  const graph = Buffer.concat([
    node('Constant', [], ['output0'], attr('value', ATTR.TENSOR, floatTensor(5, [1, rows, anchors], values))),
    str(2, 'fake_yolov8'),
    valueInfo(11, 'images', [1, 3, opts.size, opts.size]),
    valueInfo(12, 'output0', [1, rows, anchors]),
  ]);
  return Buffer.concat([int(1, 7), str(2, 'streetwatch-tests'), msg(7, graph), msg(8, str(1, ''), int(2, 13))]);
}
