import { describe, expect, it } from 'vitest';
import { FramePool, FrameSplitter, parseShowinfo } from './frame-splitter.js';

describe('FrameSplitter', () => {
  it('cuts arbitrary chunking into exact frames with every byte in order', () => {
    const frameSize = 1000;
    const total = Buffer.alloc(frameSize * 7 + 123);
    for (let i = 0; i < total.length; i++) total[i] = (i * 31 + (i >> 8)) & 0xff;
    const splitter = new FrameSplitter(frameSize);
    const frames: Buffer[] = [];
    let off = 0;
    let step = 1;
    while (off < total.length) {
      const n = Math.min(total.length - off, step);
      frames.push(...splitter.push(total.subarray(off, off + n)));
      off += n;
      step = (step * 7 + 13) % 2600; // mixes tiny, partial and multi-frame chunks
      if (step === 0) step = 1;
    }
    expect(frames).toHaveLength(7);
    frames.forEach((f, i) => expect(f.equals(total.subarray(i * frameSize, (i + 1) * frameSize))).toBe(true));
    expect(splitter.pendingBytes).toBe(123);
  });

  it('fills frames into buffers handed back through its pool', () => {
    const pool = new FramePool();
    const s = new FrameSplitter(4, pool);
    const [a] = s.push(Buffer.from([1, 2, 3, 4]));
    pool.give(a);
    const [b] = s.push(Buffer.from([5, 6, 7, 8]));
    expect(b.buffer).toBe(a.buffer); // the same memory, now holding the next frame
    expect([...b]).toEqual([5, 6, 7, 8]);
    expect(pool.size).toBe(0);
  });

  it('hands out independent buffers (later chunks do not overwrite earlier frames)', () => {
    const s = new FrameSplitter(4);
    const [a] = s.push(Buffer.from([1, 2, 3, 4]));
    s.push(Buffer.from([9, 9, 9, 9]));
    expect([...a]).toEqual([1, 2, 3, 4]);
  });
});

describe('parseShowinfo', () => {
  it('reads the time base and integer pts of showinfo lines only', () => {
    expect(parseShowinfo('[Parsed_showinfo_2 @ 0x55fe] config in time_base: 1/10, frame_rate: 10/1')).toEqual({
      kind: 'timebase',
      num: 1,
      den: 10,
    });
    expect(parseShowinfo('[Parsed_showinfo_2 @ 0x55fe] config out time_base: 0/0, frame_rate: 0/0')).toBeUndefined();
    expect(
      parseShowinfo('[Parsed_showinfo_2 @ 0x55fe5bdab100] n:  12 pts:     12 pts_time:1.2     pos:    91972 fmt:rgb24 s:384x288'),
    ).toEqual({ kind: 'frame', n: 12, pts: 12 });
    expect(parseShowinfo('[Parsed_showinfo_2 @ 0x1] color_range:pc color_space:gbr')).toBeUndefined();
    expect(parseShowinfo('frame=  12 fps=0.0 q=-0.0 size=N/A time=00:00:01.20')).toBeUndefined();
    const nopts = parseShowinfo('[Parsed_showinfo_1 @ 0x1] n:   3 pts:NOPTS pts_time:NOPTS');
    expect(nopts?.kind === 'frame' && Number.isNaN(nopts.pts)).toBe(true);
  });
});

describe('FramePool', () => {
  it('keeps whole buffers once each, up to its size, and gives back only the size asked for', () => {
    const pool = new FramePool(2);
    const a = Buffer.allocUnsafeSlow(8);
    pool.give(a);
    pool.give(a); // twice: would hand one buffer to two frames
    pool.give(Buffer.allocUnsafeSlow(16).subarray(0, 8)); // a view into a larger buffer: not ours to reuse
    expect(pool.size).toBe(1);
    pool.give(Buffer.allocUnsafeSlow(8));
    pool.give(Buffer.allocUnsafeSlow(8)); // over the limit: left to the GC
    expect(pool.size).toBe(2);
    expect(pool.take(8)?.length).toBe(8);
    expect(pool.take(4)).toBeUndefined(); // another frame size (the camera changed): dropped
    expect(pool.size).toBe(0);
  });
});
