/**
 * The import rules (.dependency-cruiser.cjs, run over the tree by `npm run lint:imports`) catch
 * what they are meant to: checked on a small tree laid out like the project's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { tempDir } from './fixtures.js';

const rules = createRequire(import.meta.url)(join(projectRoot, '.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[] };

async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = tempDir('sw-import-rules-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const roots = [...new Set(Object.keys(files).map((p) => p.split('/')[0]))];
  const result = await cruise(roots, { baseDir: dir, ruleSet: { forbidden: rules.forbidden }, validate: true, tsPreCompilationDeps: true }, { extensions: ['.ts'] });
  if (typeof result.output === 'string') throw new Error(result.output);
  return result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('import rules', () => {
  it('refuse the edge importing the centre, the centre importing the detector, and a cycle', async () => {
    expect(await violations({
      'edge/agent.ts': "import { x } from '../center/config';\nexport const a = x;\n",
      'center/config.ts': 'export const x = 1;\n',
      'center/start.ts': "import { d } from '../detector/onnx';\nexport const s = d;\n",
      'detector/onnx.ts': 'export const d = 1;\n',
      'common/a.ts': "import { b } from './b';\nexport const a = b;\n",
      'common/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    })).toEqual([
      'center-not-to-edge: center/start.ts → detector/onnx.ts',
      'edge-not-to-center: edge/agent.ts → center/config.ts',
      'no-cycles: common/a.ts → common/b.ts',
    ]);
  });

  it('refuse the contract, common and the broker reaching into a role; allow ticketing the config and points only', async () => {
    expect(await violations({
      'contract/messages.ts': "import { w } from '../ticketing/workflow';\nexport const m = w;\n",
      'broker/acl.ts': "import { c } from '../center/config';\nexport const a = c;\n",
      'center/config.ts': 'export const c = 1;\n',
      'center/metrics/points.ts': 'export const p = 1;\n',
      'center/http/server.ts': 'export const h = 1;\n',
      'ticketing/workflow.ts': "import { c } from '../center/config';\nimport { p } from '../center/metrics/points';\nimport { h } from '../center/http/server';\nexport const w = c + p + h;\n",
    })).toEqual([
      'broker-only-to-contract-and-common: broker/acl.ts → center/config.ts',
      'contract-and-common-are-leaves: contract/messages.ts → ticketing/workflow.ts',
      'ticketing-uses-only-config-and-points-of-center: ticketing/workflow.ts → center/http/server.ts',
    ]);
  });
});
